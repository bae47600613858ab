"""Protection rows (R4-R8): started, ended, and read for the scheduler's R4 and R8 jobs.

A filing writes its own protection row on the hot path (``models.filing_sql``). Here is
the rest: a visit protection started from a filing's approved arrival (the staff issue's
approval calls ``start_visit``), the filing row ended when the agent cancels, and the
scans of the reminder and end jobs. Pushes go to the protection's agent only while that
agent is still bound to the protection's distributor: ``ProtectionRow.openid`` is None
for an agent who has since bound elsewhere or was unbound by the channel team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from models import policy as rules
from models.accounts import log_decision
from models.deal_entities import Deal
from models.entities import Agent, Client, Filing, Project
from models.push_entities import Protection, Push, PushStatus


@dataclass(frozen=True)
class ProtectionRow:
    """An open protection with what its rules and its pushes need."""

    id: int
    kind: str
    ends_at: datetime
    project_id: int
    policy: dict[str, Any]
    project_name: str
    client_id: int
    client_name: str
    phone_mask: str
    filing_id: int | None
    filing_status: str | None
    agent_id: int
    distributor_id: int
    openid: str | None  # None: the agent is no longer bound to this distributor

    @property
    def subject(self) -> str:
        return f"protection:{self.id}"


def start_visit(
    session: Session,
    *,
    filing_id: int,
    started_by: str,
    arrived_at: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> Protection:
    """R5: an approved arrival starts the visit protection (45 days, arrival day = day 1).

    The filing's own protection is superseded (it will neither lapse nor be reminded), the
    filing is visited, and the new row is the client's current protection, which the
    filing rules read (R3; after the end, R8's 公客). Locked (R10) at the registered
    arrival time. The client's ``version`` is bumped in the same transaction, as by every
    writer of its protection rows: the filing's compare-and-set relies on it.
    """
    filing = session.get(Filing, filing_id, with_for_update=True)
    if filing is None or filing.client_id is None:
        raise ValueError(f"no accepted filing #{filing_id}")
    project = session.get(Project, filing.project_id)
    assert project is not None
    policy = rules.Policy.from_mapping(project.policy)
    ends_at = rules.visit_protection_end(arrived_at, policy, tz)
    end_filing_protection(session, filing.id, filing.client_id, rules.ProtectionEnd.SUPERSEDED)
    filing.status = rules.FilingStatus.VISITED
    filing.protection_ends_at = ends_at  # what the agent's 查询 and 带看 (a re-visit) read
    client = session.get(Client, filing.client_id, with_for_update=True)
    assert client is not None
    client.state = rules.ClientStatus.VISITED  # owner and end: the visit row below
    client.version += 1  # every writer of a client's protection rows bumps it
    client.updated_at = now
    protection = Protection(
        project_id=filing.project_id, client_id=filing.client_id, filing_id=filing.id,
        distributor_id=filing.distributor_id, agent_id=filing.agent_id,
        kind=rules.ProtectionKind.VISIT, starts_at=arrived_at, ends_at=ends_at,
        started_by=started_by, lock_at=arrived_at, created_at=now,
    )  # fmt: skip
    session.add(protection)
    session.flush()
    log_decision(
        session, now, started_by, "visit_protection", f"protection:{protection.id}", "R5",
        "protected", f"到访保护至 {ends_at.astimezone(tz):%Y-%m-%d}",
        {"filing_id": filing.id, "arrived_at": arrived_at.isoformat()}, filing.project_id,
        policy.as_dict(),
    )  # fmt: skip
    return protection


#: The kinds that protect a visited client (R5-R7): the latest open one is its end.
VISIT_KINDS = (rules.ProtectionKind.VISIT, rules.ProtectionKind.BULK, rules.ProtectionKind.RENEWAL)


def visit_protection(session: Session, client_id: int, distributor_id: int) -> Protection | None:
    """The distributor's open visit protection of the client that ends last, or None."""
    return session.scalars(
        select(Protection)
        .where(
            Protection.client_id == client_id,
            Protection.distributor_id == distributor_id,
            Protection.kind.in_(VISIT_KINDS),
            Protection.ended_reason.is_(None),
        )
        .order_by(Protection.ends_at.desc(), Protection.id.desc())
        .limit(1)
    ).first()


def extended_before(session: Session, client_id: int) -> bool:
    """R6: whether the client's visit protection was ever extended as bulk (once only)."""
    query = select(Protection.id).where(
        Protection.client_id == client_id, Protection.kind == rules.ProtectionKind.BULK
    )
    return session.scalar(query.limit(1)) is not None


def extend(
    session: Session,
    current: Protection,
    *,
    kind: rules.ProtectionKind,
    ends_at: datetime,
    started_by: str,
    now: datetime,
    tz: ZoneInfo,
) -> Protection:
    """R6's bulk extension or R7's renewal: a row from the day after the current end.

    The current row stays open until its own end, when the end job sees it outlasted
    and closes it as superseded (nothing told); its waiting reminders are dropped now and
    the reminder job skips it, so the agent hears of the new end only. The lock time
    (R10) stays the approved first visit's: the client was never unprotected.
    """
    start = rules.end_of_day(rules.local_day(current.ends_at, tz), tz)
    row = Protection(
        project_id=current.project_id, client_id=current.client_id,
        filing_id=current.filing_id, distributor_id=current.distributor_id,
        agent_id=current.agent_id, kind=kind,
        starts_at=start + timedelta(microseconds=1), ends_at=ends_at,
        started_by=started_by, lock_at=current.lock_at, created_at=now,
    )  # fmt: skip
    session.add(row)
    client = session.get(Client, current.client_id, with_for_update=True)
    assert client is not None
    client.version, client.updated_at = client.version + 1, now  # the new row is its end
    if current.filing_id is not None:
        filing = session.get(Filing, current.filing_id)
        if filing is not None:
            filing.protection_ends_at = ends_at
    session.flush()
    drop_reminders(session, [f"protection:{current.id}"])
    return row


def end_filing_protection(session: Session, filing_id: int, client_id: int, reason: str) -> int:
    """End a filing's open protection row (cancelled, superseded) and drop its reminders."""
    ended = session.scalars(
        update(Protection)
        .where(
            Protection.client_id == client_id,  # the indexed column, then the filing's row
            Protection.filing_id == filing_id,
            Protection.kind == rules.ProtectionKind.FILING,
            Protection.ended_reason.is_(None),
        )
        .values(ended_reason=reason)
        .returning(Protection.id)
    ).all()
    drop_reminders(session, [f"protection:{pid}" for pid in ended])
    return len(ended)


def drop_reminders(session: Session, subjects: list[str]) -> int:
    """Reminders still waiting for a protection that has ended are never sent."""
    if not subjects:
        return 0
    result = session.execute(
        update(Push)
        .where(
            Push.subject.in_(subjects),
            Push.kind.in_(rules.REMINDER_KINDS),
            Push.status == PushStatus.PENDING,
        )
        .values(status=PushStatus.DROPPED, last_error="dropped: the protection ended")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _rows_query() -> Any:
    return (
        select(
            Protection.id, Protection.kind, Protection.ends_at, Protection.project_id,
            Project.policy, Project.name.label("project_name"), Protection.client_id,
            Client.name.label("client_name"), Client.phone_mask, Protection.filing_id,
            Filing.status.label("filing_status"), Protection.agent_id,
            Protection.distributor_id, Agent.openid,
        )
        .join(Project, Project.id == Protection.project_id)
        .join(Client, Client.id == Protection.client_id)
        .outerjoin(Filing, Filing.id == Protection.filing_id)
        .outerjoin(
            Agent,
            and_(
                Agent.id == Protection.agent_id,
                Agent.distributor_id == Protection.distributor_id,
                Agent.unbound_at.is_(None),  # an unbound agent is told nothing more (R12)
            ),
        )
        .where(Protection.ended_reason.is_(None), ~_live_deal.exists())
        .order_by(Protection.id)
    )  # fmt: skip


# R9: a client with a live (not voided) deal neither lapses, expires nor is reminded; the
# rows stay open, so the client's owner is unchanged, and a 退定 lets the jobs resume
# from the protection's end.
_live_deal = select(Deal.id).where(Deal.client_id == Protection.client_id, Deal.voided_at.is_(None))


def open_until(session: Session, start: datetime, end: datetime) -> list[ProtectionRow]:
    """Open protections whose end lies in [start, end]: the reminder job's candidates."""
    query = _rows_query().where(Protection.ends_at >= start, Protection.ends_at <= end)
    return [ProtectionRow(**row._mapping) for row in session.execute(query)]


def claim_ended(session: Session, now: datetime, limit: int) -> list[ProtectionRow]:
    """Open protections whose end has passed, locked for this transaction; rows another
    scheduler holds are skipped (PostgreSQL), so two schedulers never end one row twice."""
    query = (
        _rows_query()
        .where(Protection.ends_at < now)
        .limit(limit)
        .with_for_update(of=Protection, skip_locked=True)
    )
    return [ProtectionRow(**row._mapping) for row in session.execute(query)]


def close(session: Session, protection_id: int, reason: str) -> bool:
    """Set the end reason once; False when someone else already did.

    The end job closes rows whose end has passed and does not bump ``clients.version``:
    the client was unprotected at every time still to be judged either way, and a row
    that ran out stays its client's current one (``models.policy.current_protection``),
    so no filing's ruling depends on it. Every other writer of a protection row bumps it."""
    result = session.execute(
        update(Protection)
        .where(Protection.id == protection_id, Protection.ended_reason.is_(None))
        .values(ended_reason=reason)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def outlasted(session: Session, row: ProtectionRow) -> bool:
    """Another open protection of the same client and distributor ends later (a bulk
    extension or a renewal took over): this row ends as superseded, with nothing to tell."""
    later = select(Protection.id).where(
        Protection.client_id == row.client_id,
        Protection.distributor_id == row.distributor_id,
        Protection.id != row.id,
        Protection.ended_reason.is_(None),
        Protection.ends_at > row.ends_at,
    )
    return session.scalar(later.limit(1)) is not None


def reminders_queued(session: Session, since: date) -> set[tuple[str, str, date]]:
    """(subject, kind, due day) of the reminders queued since ``since``: what not to redo."""
    query = select(Push.subject, Push.kind, Push.due_day).where(
        Push.kind.in_(rules.REMINDER_KINDS), Push.due_day >= since
    )
    return {(s, k, d) for s, k, d in session.execute(query)}
