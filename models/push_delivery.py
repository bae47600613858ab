"""The outbox as the sender and the operator see it: claim, settle, list, retry, confirm.

A sender claims due rows with a lease (``claimed_until``) in one statement: on PostgreSQL
the rows are picked ``FOR UPDATE SKIP LOCKED``, so two senders never take the same push;
on SQLite the statement runs inside ``BEGIN IMMEDIATE`` (``models.db``), so senders are
serialised. A push whose sender died stays ``sending`` until its lease ends, then it is
claimed again. Each attempt is settled in its own transaction, so a crash loses at most
the attempt in flight (docs/pushes.md says what happens to that one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import Session

from models.accounts import log_decision
from models.db import table_of
from models.entities import Agent, Staff
from models.policy.recipients import NOBODY, Entitlement, Standing
from models.push_entities import Push, PushAttempt, PushStatus

PUSHES = table_of(Push)
ATTEMPTS = table_of(PushAttempt)
AGENTS = table_of(Agent)
STAFF = table_of(Staff)
DETAIL_CHARS = 200
# What the operator is shown by default: everything that is not (yet) delivered.
OPEN_STATUSES = (
    PushStatus.PENDING,
    PushStatus.SENDING,
    PushStatus.FAILED,
    PushStatus.UNDELIVERABLE,
    PushStatus.WITHHELD,
)


@dataclass(frozen=True)
class Claimed:
    """A push this sender holds until ``claimed_until``."""

    id: int
    kind: str
    openid: str
    text: str
    fields: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Settlement:
    """How one attempt ended: the push's new status and when to try again, if ever."""

    status: PushStatus
    outcome: str  # for push_attempts: sent, busy, quota, unfollowed, window, refused, ...
    errcode: int | None = None
    detail: str = ""
    next_attempt_at: datetime | None = None  # only with status pending
    wechat_msgid: int | None = None
    counts: bool = True  # whether this attempt counts against max_attempts


def claim(engine: Engine, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to ``limit`` due pushes (and any whose sender's lease ran out), oldest first."""
    due = (
        select(PUSHES.c.id)
        .where(
            or_(
                and_(PUSHES.c.status == PushStatus.PENDING, PUSHES.c.next_attempt_at <= now),
                and_(PUSHES.c.status == PushStatus.SENDING, PUSHES.c.claimed_until < now),
            )
        )
        .order_by(PUSHES.c.next_attempt_at, PUSHES.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(PUSHES)
        .where(PUSHES.c.id.in_(due.scalar_subquery()))
        .values(status=PushStatus.SENDING, claimed_until=now + lease)
        .returning(
            PUSHES.c.id,
            PUSHES.c.kind,
            PUSHES.c.openid,
            PUSHES.c.text,
            PUSHES.c.fields,
            PUSHES.c.attempts,
            PUSHES.c.next_attempt_at,
        )
    )
    with engine.begin() as conn:
        rows = sorted(conn.execute(statement), key=lambda row: (row.next_attempt_at, row.id))
    return [
        Claimed(row.id, row.kind, row.openid, row.text, dict(row.fields or {}), row.attempts)
        for row in rows
    ]


def settle(engine: Engine, push_id: int, now: datetime, result: Settlement) -> None:
    """Record one attempt and the push's new state, in one transaction."""
    values: dict[str, Any] = {
        "status": result.status,
        "claimed_until": None,
        "last_errcode": result.errcode,
        "last_error": result.detail[:DETAIL_CHARS] or None,
    }
    if result.counts:
        values["attempts"] = PUSHES.c.attempts + 1
    if result.status == PushStatus.PENDING:
        values["next_attempt_at"] = result.next_attempt_at or now
    if result.status == PushStatus.SENT:
        values.update(sent_at=now, wechat_msgid=result.wechat_msgid)
    with engine.begin() as conn:
        conn.execute(update(PUSHES).where(PUSHES.c.id == push_id).values(**values))
        conn.execute(
            insert(ATTEMPTS).values(
                push_id=push_id,
                at=now,
                errcode=result.errcode,
                outcome=result.outcome,
                detail=result.detail[:DETAIL_CHARS],
            )
        )


def standings(engine: Engine, openids: Sequence[str]) -> dict[str, Standing]:
    """What each recipient is now: a bound agent, and how many staff posts they hold.
    One statement for the whole batch, so the send rate does not pay per push."""
    wanted = sorted(set(openids))
    if not wanted:
        return {}
    agents = select(AGENTS.c.openid, literal(1).label("agent")).where(
        AGENTS.c.openid.in_(wanted), AGENTS.c.unbound_at.is_(None)
    )
    posts = select(STAFF.c.openid, literal(0).label("agent")).where(STAFF.c.openid.in_(wanted))
    found: dict[str, Standing] = {}
    with engine.connect() as conn:
        for row in conn.execute(union_all(agents, posts)):
            was = found.get(row.openid, NOBODY)
            found[row.openid] = (
                Standing(True, was.staff_posts) if row.agent
                else Standing(was.bound_agent, was.staff_posts + 1)
            )  # fmt: skip
    return found


def withhold(engine: Engine, push: Claimed, ruling: Entitlement, now: datetime) -> None:
    """Settle a push its recipient may no longer hear as ``withheld`` (never sent), with
    the attempt and the decision (R12) kept, in one transaction."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(PUSHES)
            .where(PUSHES.c.id == push.id)
            .values(status=PushStatus.WITHHELD, claimed_until=None, last_errcode=None,
                    last_error=ruling.why[:DETAIL_CHARS])
        )  # fmt: skip
        session.execute(
            insert(ATTEMPTS).values(
                push_id=push.id, at=now, errcode=None, outcome="withheld",
                detail=ruling.why[:DETAIL_CHARS],
            )
        )  # fmt: skip
        log_decision(
            session, now, "sender", "push_withheld", f"push:{push.id}", ruling.rule,
            "withheld", f"推送 #{push.id}（{push.kind}）未发送：收件人已不在职（解绑或无岗位）",
            {"push_id": push.id, "kind": push.kind, "openid": push.openid, "why": ruling.why},
        )  # fmt: skip


def listing(session: Session, statuses: Sequence[str] = OPEN_STATUSES) -> list[Any]:
    """Pushes in these statuses, oldest first: what ``flask --app bot pushes list`` shows."""
    statement = select(PUSHES).where(PUSHES.c.status.in_(list(statuses))).order_by(PUSHES.c.id)
    return list(session.execute(statement))


def retry(session: Session, push_id: int, now: datetime) -> bool:
    """Queue a failed or undeliverable push again, due now, with a fresh count of tries."""
    statement = (
        update(PUSHES)
        .where(
            PUSHES.c.id == push_id,
            PUSHES.c.status.in_([PushStatus.FAILED, PushStatus.UNDELIVERABLE]),
        )
        .values(status=PushStatus.PENDING, next_attempt_at=now, attempts=0, claimed_until=None)
        .returning(PUSHES.c.id)
    )
    return session.execute(statement).first() is not None


def confirm_delivery(engine: Engine, msgid: int, status: str) -> bool:
    """WeChat's TEMPLATESENDJOBFINISH: keep its Status against the push it names."""
    statement = (
        update(PUSHES)
        .where(PUSHES.c.wechat_msgid == msgid)
        .values(delivery_status=status[:32])
        .returning(PUSHES.c.id)
    )
    with engine.begin() as conn:
        return conn.execute(statement).first() is not None
