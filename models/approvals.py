"""A manager's decisions on arrivals and visited clients: 通过, 驳回, 大宗 (R5-R7).

Each is one ORM transaction: lock the arrival (or the filing), ask the pure policy
(``models.policy.approvals``), carry out what it rules on the protection rows
(``models.protections``), keep the ruling in the decision log with the project's policy
values, and queue the agent's push in the same transaction (the outbox sends it at once).
The number staff type is the filing number; a filing of a project the sender does not
serve is answered as one that does not exist (R12). The full phone the desk recorded
stays in the arrival row: no log line, fact or push here names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import arrivals, outbox, protections
from models import policy as rules
from models.accounts import log_decision
from models.arrival_entities import Arrival, ArrivalStatus
from models.db import make_session_factory
from models.entities import Agent, Client, Distributor, Filing, Project
from models.identity import Identity, StaffPost
from models.policy import approvals as decide
from models.policy import push_wording as words
from models.policy.approvals import Outcome, StaffRuling
from models.privacy import scrub


@dataclass(frozen=True)
class StaffAction:
    """What a manager's command came to; ``ruling`` None: no such filing or arrival
    (in the sender's projects), or ``not_manager`` in that filing's project."""

    number: int
    ruling: StaffRuling | None = None
    client_name: str = ""
    phone_mask: str = ""
    not_manager: bool = False
    told: bool = False  # the agent's push is queued (they are still with the distributor)


@dataclass(frozen=True)
class PendingRow:
    """An arrival awaiting a ruling, with the filing's distributor (the list shows it)."""

    arrival: arrivals.PendingArrival
    company: str


def _manager(identity: Identity, project_id: int) -> StaffPost | None | bool:
    """The sender's manager post in the project; False when staff there in another role."""
    post = identity.post_in(project_id)
    if post is None:
        return None
    return post if post.role == rules.Role.MANAGER else False


def _policy(session: Session, project_id: int) -> tuple[Project, rules.Policy]:
    project = session.get(Project, project_id)
    assert project is not None
    return project, rules.Policy.from_stored(project.policy)


def _arrival_facts(session: Session, arrival: Arrival, filing: Filing) -> decide.ArrivalFacts:
    """A re-visit (R7) when the filing's visit protection still held at the arrival."""
    current = None
    if filing.status == rules.FilingStatus.VISITED and filing.client_id is not None:
        current = protections.visit_protection(session, filing.client_id, filing.distributor_id)
    held = current is not None and arrival.arrived_at <= current.ends_at
    return decide.ArrivalFacts(
        arrival.proposed, arrival.proposed_rule, arrival.explanation, arrival.arrived_at,
        current.ends_at if held and current else None,
        visited=filing.status == rules.FilingStatus.VISITED,
        cooperation_stopped=_blacklisted(session, filing.distributor_id),
    )  # fmt: skip


def _blacklisted(session: Session, distributor_id: int) -> bool:
    """R11: a distributor whose cooperation stopped is granted no new protection."""
    distributor = session.get(Distributor, distributor_id)
    return distributor is not None and distributor.status == rules.DistributorStatus.BLACKLISTED


def _find(
    session: Session, identity: Identity, number: int
) -> tuple[Arrival, Filing, StaffPost] | StaffAction:
    arrival = arrivals.find_for_decision(session, number, identity.posts)
    if arrival is None or arrival.filing_id is None:
        return StaffAction(number)
    post = _manager(identity, arrival.project_id)
    if not post:
        return StaffAction(number, not_manager=post is False)
    filing = session.get(Filing, arrival.filing_id, with_for_update=True)
    assert filing is not None and isinstance(post, StaffPost)
    return arrival, filing, post


def approve(
    engine: Engine, identity: Identity, number: int, exception: str | None, now: datetime,
    tz: ZoneInfo,
) -> StaffAction:  # fmt: skip
    """``通过 #N [例外 <理由>]``: start the visit protection (R5), renew it (R7), or refuse."""
    exception = scrub(exception) if exception else None
    with make_session_factory(engine).begin() as session:
        found = _find(session, identity, number)
        if isinstance(found, StaffAction):
            return found
        arrival, filing, post = found
        project, policy = _policy(session, arrival.project_id)
        facts = _arrival_facts(session, arrival, filing)
        ruling = decide.decide_approval(facts, exception, policy, tz)
        if ruling.outcome in (Outcome.APPROVED, Outcome.APPROVED_EXCEPTION):
            protections.start_visit(
                session, filing_id=filing.id, started_by=f"arrival:{arrival.id}",
                arrived_at=arrival.arrived_at, now=now, tz=tz,
            )  # fmt: skip
        elif ruling.outcome is Outcome.RENEWED:
            assert filing.client_id is not None and ruling.until is not None
            current = protections.visit_protection(session, filing.client_id, filing.distributor_id)
            assert current is not None
            protections.extend(
                session, current, kind=rules.ProtectionKind.RENEWAL, ends_at=ruling.until,
                started_by=f"arrival:{arrival.id}", now=now, tz=tz,
            )  # fmt: skip
        if ruling.ok:
            _decided(arrival, ArrivalStatus.APPROVED, post, ruling, now, filing)
        _record(session, "approve", arrival, filing, post, ruling, now, policy)
        told = ruling.ok and _tell_agent(
            session, project, filing, ruling, f"arrival:{arrival.id}", arrival, now, tz
        )
        return StaffAction(filing.id, ruling, filing.client_name, filing.phone_mask, told=told)


def reject(
    engine: Engine, identity: Identity, number: int, reason: str, now: datetime, tz: ZoneInfo
) -> StaffAction:
    """``驳回 #N <理由>``: a natural visit (R5); the client becomes known to the site (R3).
    A rejected re-visit renews nothing and leaves the standing protection as it is."""
    reason = scrub(reason)
    with make_session_factory(engine).begin() as session:
        found = _find(session, identity, number)
        if isinstance(found, StaffAction):
            return found
        arrival, filing, post = found
        project, policy = _policy(session, arrival.project_id)
        facts = _arrival_facts(session, arrival, filing)
        ruling = decide.decide_rejection(facts, reason)
        if not facts.visited:  # a first visit (filed, or held by its arrival): natural
            _natural_visit(session, filing, arrival, now)
        _decided(arrival, ArrivalStatus.REJECTED, post, ruling, now, filing)
        _record(session, "reject", arrival, filing, post, ruling, now, policy)
        told = _tell_agent(
            session, project, filing, ruling, f"arrival:{arrival.id}", arrival, now, tz
        )
        return StaffAction(filing.id, ruling, filing.client_name, filing.phone_mask, told=told)


def mark_bulk(
    engine: Engine, identity: Identity, number: int, now: datetime, tz: ZoneInfo
) -> StaffAction:
    """``大宗 #N``: R6's extension of a visited client's protection, once per client."""
    with make_session_factory(engine).begin() as session:
        filing = session.get(Filing, number, with_for_update=True)
        if filing is None or filing.client_id is None:
            return StaffAction(number)
        post = _manager(identity, filing.project_id)
        if not isinstance(post, StaffPost):
            return StaffAction(number, not_manager=post is False)
        session.get(Client, filing.client_id, with_for_update=True)  # one bulk at a time
        project, policy = _policy(session, filing.project_id)
        visited = filing.status == rules.FilingStatus.VISITED
        current = (
            protections.visit_protection(session, filing.client_id, filing.distributor_id)
            if visited
            else None
        )
        facts = decide.BulkFacts(
            visited,
            current.ends_at if current else None,
            protections.extended_before(session, filing.client_id),
        )
        ruling = decide.decide_bulk(facts, now, policy, tz)
        subject, told = f"filing:{filing.id}", False
        if ruling.outcome is Outcome.BULK_EXTENDED and current is not None:
            assert ruling.until is not None
            row = protections.extend(
                session, current, kind=rules.ProtectionKind.BULK, ends_at=ruling.until,
                started_by=current.started_by, now=now, tz=tz,
            )  # fmt: skip
            subject = f"protection:{row.id}"
            told = _tell_agent(session, project, filing, ruling, subject, None, now, tz)
        log_decision(
            session, now, f"staff:{post.staff_id}", "bulk", subject, ruling.rule,
            ruling.outcome.value, ruling.explanation(),
            {"filing_id": filing.id, "previous_end": _iso(ruling.previous),
             "ends_at": _iso(ruling.until)},
            filing.project_id, policy.as_dict(),
        )  # fmt: skip
        return StaffAction(filing.id, ruling, filing.client_name, filing.phone_mask, told=told)


def pending_list(engine: Engine, identity: Identity) -> list[PendingRow]:
    """STAFF_PENDING: the arrivals awaiting a ruling in the sender's projects, oldest
    first, each with the filing's distributor."""
    waiting = arrivals.pending(engine, {post.project_id for post in identity.posts})
    numbers = {row.filing_id for row in waiting if row.filing_id is not None}
    companies: dict[int, str] = {}
    if numbers:
        with engine.connect() as conn:
            query = (
                select(Filing.id, Distributor.name)
                .join(Distributor, Distributor.id == Filing.distributor_id)
                .where(Filing.id.in_(numbers))
            )
            companies = {number: name for number, name in conn.execute(query)}
    return [PendingRow(row, companies.get(row.filing_id or 0, "—")) for row in waiting]


# ---------------------------------------------------------------- the parts


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _decided(
    arrival: Arrival, status: ArrivalStatus, post: StaffPost, ruling: StaffRuling,
    now: datetime, filing: Filing,
) -> None:  # fmt: skip
    arrival.status, arrival.decided_by, arrival.decided_at = status, post.staff_id, now
    arrival.decision_reason = ruling.reason
    arrival.override = ruling.outcome is Outcome.APPROVED_EXCEPTION
    arrival.client_id = arrival.client_id or filing.client_id


def _natural_visit(session: Session, filing: Filing, arrival: Arrival, now: datetime) -> None:
    """A rejected first visit: the filing no longer protects (未通过), and the client is
    known to the site as a natural visit, so later filings of them are refused (R3)."""
    filing.status = rules.FilingStatus.REFUSED
    if filing.client_id is None:
        return
    protections.end_filing_protection(
        session, filing.id, filing.client_id, rules.ProtectionEnd.REJECTED
    )
    client = session.get(Client, filing.client_id, with_for_update=True)
    assert client is not None
    client.state, client.known_source = rules.ClientStatus.KNOWN, "natural_visit"
    client.full_phone = client.full_phone or arrival.full_phone  # site data (R3)
    client.updated_at = now  # the filing's row ended above: no owner, no end
    client.version += 1


def _record(
    session: Session, action: str, arrival: Arrival, filing: Filing, post: StaffPost,
    ruling: StaffRuling, now: datetime, policy: rules.Policy,
) -> None:  # fmt: skip
    log_decision(
        session, now, f"staff:{post.staff_id}", action, f"arrival:{arrival.id}", ruling.rule,
        ruling.outcome.value, ruling.explanation(),
        {
            "filing_id": filing.id, "arrived_at": arrival.arrived_at.isoformat(),
            "proposed": arrival.proposed, "proposed_rule": arrival.proposed_rule,
            "override": ruling.outcome is Outcome.APPROVED_EXCEPTION,
            "reason": ruling.reason, "previous_end": _iso(ruling.previous),
            "ends_at": _iso(ruling.until),
        },
        arrival.project_id, policy.as_dict(),
    )  # fmt: skip


def _tell_agent(
    session: Session, project: Project, filing: Filing, ruling: StaffRuling, subject: str,
    arrival: Arrival | None, now: datetime, tz: ZoneInfo,
) -> bool:  # fmt: skip
    """Queue the ruling for the filing's agent, at once, while they are still bound to
    the filing's distributor (an agent who moved on is not told of the old company's)."""
    openid = session.scalar(
        select(Agent.openid).where(
            Agent.id == filing.agent_id,
            Agent.distributor_id == filing.distributor_id,
            Agent.unbound_at.is_(None),
        )
    )
    if openid is None:
        return False
    arrived_at = arrival.arrived_at.astimezone(tz) if arrival else None
    ends = ruling.until or arrived_at or now
    facts = words.PushFacts(
        project.name, filing.client_name, filing.phone_mask, filing.id,
        rules.ProtectionKind.VISIT, ends.astimezone(tz),
    )  # fmt: skip
    text, fields = words.ruling_message(ruling, facts, arrived_at)
    return outbox.push_now(
        session, kind=rules.PushKind.RULING, subject=subject, openid=openid, text=text,
        fields=fields, now=now, tz=tz,
    )  # fmt: skip
