"""Arrivals registered at the case site: register, find, and list them (issue 17, R5).

The ruling itself is pure (``models.policy.arrivals``); this module reads what it needs,
stores the arrival with its proposed ruling in one transaction, and answers the manager's
lists. The full phone number is site data: it is stored in the arrival row (and the
client's record) only; nothing here logs it or returns it to a caller.

A pending arrival **holds** the client until a manager rules (R4: lapse is judged at the
registered arrival time, not at the approval): the filing becomes ``arrived`` (it no
longer lapses by the clock), its filing protection row ends as ``superseded`` (the R4 jobs
neither remind nor lapse it) and the client's record becomes ``arrived`` (the filing
path's one read sees it: another distributor is refused, R3). The approval
(``protections.start_visit``) or the rejection (a natural visit) ends the hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import policy as rules
from models.accounts import log_decision
from models.arrival_entities import Arrival, ArrivalStatus
from models.db import make_session_factory
from models.entities import Client, Filing, Project, Staff, VisitReport
from models.identity import Identity, StaffPost
from models.policy.arrivals import (
    ArrivalFacts,
    ArrivalRuling,
    ArrivalTimeProblem,
    check_arrival_time,
    decide_arrival,
    is_late,
    reported_on_the_day,
)
from models.privacy import mask_digits
from models.protections import end_filing_protection

__all__ = [
    "ArrivalRequest",
    "PendingArrival",
    "Registered",
    "Result",
    "find_for_decision",
    "pending",
    "register",
]


class Result(Enum):
    """How a registration ended: stored, or refused with nothing stored."""

    REGISTERED = "registered"
    NOT_FOUND = "not_found"  # no such filing, or another project's (R12: alike)
    UNKNOWN_PROJECT = "unknown_project"
    NOT_YOUR_PROJECT = "not_your_project"
    MASK_MISMATCH = "mask_mismatch"  # R3: the full number must agree with the filed mask
    BAD_TIME = "bad_time"  # a late registration's time in the future or too long ago
    ALREADY_REGISTERED = "already_registered"


@dataclass(frozen=True)
class ArrivalRequest:
    """What the desk typed, as the models take it (``handlers`` builds it)."""

    filing_no: int | None
    full_phone: str  # site data: never logged, never echoed
    project: str | None = None
    client_name: str | None = None
    at: datetime | None = None  # typed: a late registration
    remote: bool | None = None  # the desk's correction (R1)
    consultant: str | None = None


@dataclass(frozen=True)
class Registered:
    """The outcome of one registration, as the reply needs it (a mask, never the number)."""

    result: Result
    filing_no: int | None = None
    client_name: str = ""
    phone_mask: str = ""
    arrived_at: datetime | None = None
    status: str | None = None  # an ArrivalStatus
    proposed: str | None = None  # a ProposedRuling: valid | natural
    explanation: str = ""
    reported: bool = True
    late: bool = False
    remote: bool = False
    remote_corrected: bool = False
    consultant: str | None = None
    time_problem: ArrivalTimeProblem | None = None
    by: str | None = None  # ALREADY_REGISTERED: who registered it, and when
    registered_at: datetime | None = None


@dataclass(frozen=True)
class PendingArrival:
    """One arrival awaiting a manager's ruling, as the pending list shows it."""

    arrival_id: int
    project_id: int
    filing_id: int | None  # the filing number staff type as ``#<编号>``
    client_name: str
    phone_mask: str  # masked: never the full number
    arrived_at: datetime
    registered_at: datetime
    proposed: str  # a ProposedRuling
    proposed_rule: str
    proposed_reason: str
    explanation: str


def pending(engine: Engine, project_ids: Iterable[int]) -> list[PendingArrival]:
    """The arrivals awaiting approval in these projects, oldest registration first."""
    ids = list(project_ids)
    if not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Arrival.id,
                Arrival.project_id,
                Arrival.filing_id,
                Arrival.client_name,
                Arrival.full_phone,
                Arrival.arrived_at,
                Arrival.registered_at,
                Arrival.proposed,
                Arrival.proposed_rule,
                Arrival.proposed_reason,
                Arrival.explanation,
            )
            .where(Arrival.project_id.in_(ids), Arrival.status == ArrivalStatus.PENDING)
            .order_by(Arrival.registered_at, Arrival.id)
        ).all()
    return [
        PendingArrival(
            arrival_id=row.id,
            project_id=row.project_id,
            filing_id=row.filing_id,
            client_name=row.client_name,
            phone_mask=mask_digits(row.full_phone),
            arrived_at=row.arrived_at,
            registered_at=row.registered_at,
            proposed=row.proposed,
            proposed_rule=row.proposed_rule,
            proposed_reason=row.proposed_reason,
            explanation=row.explanation,
        )
        for row in rows
    ]


def find_for_decision(session: Session, number: int, staff: Iterable[StaffPost]) -> Arrival | None:
    """The pending arrival of filing ``#number`` in a project the staff serve, locked for
    the decision (``FOR UPDATE``); None when there is none there (another project's
    arrival is answered as a number that does not exist, R12)."""
    project_ids = [post.project_id for post in staff]
    if not project_ids:
        return None
    return session.scalars(
        select(Arrival)
        .where(
            Arrival.filing_id == number,
            Arrival.project_id.in_(project_ids),
            Arrival.status == ArrivalStatus.PENDING,
        )
        .order_by(Arrival.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


# ---------------------------------------------------------------- registering an arrival


def register(
    engine: Engine,
    identity: Identity,
    request: ArrivalRequest,
    now: datetime,
    tz: ZoneInfo,
    late_limit_hours: int,
    source_msg: str | None,
) -> Registered:
    """Register one arrival: find the filing, check the number and the time, rule, store.

    Refusals store nothing. A retry of the same message (``source_msg``) is answered from
    the arrival it stored.
    """
    with make_session_factory(engine).begin() as session:
        if source_msg and (done := _by_source(session, source_msg)) is not None:
            return _outcome(session, done, tz)
        problem = check_arrival_time(request.at, now, late_limit_hours)
        if problem is not None:
            return Registered(Result.BAD_TIME, time_problem=problem)
        found = _find_filing(session, identity, request)
        if isinstance(found, Result):
            return found_refusal(found, request)
        project, post, filing = found
        if filing is not None and not rules.mask_matches(filing.phone_mask, request.full_phone):
            return Registered(
                Result.MASK_MISMATCH, filing.id, filing.client_name, filing.phone_mask
            )
        arrived_at = (request.at or now).astimezone(tz)
        if filing is not None and (earlier := _registered_before(session, filing, arrived_at, tz)):
            return _already(session, earlier, filing)
        arrival = _rule_and_store(
            session, project, post, filing, request, arrived_at, now, tz, source_msg
        )
        return _outcome(session, arrival, tz)


def found_refusal(result: Result, request: ArrivalRequest) -> Registered:
    return Registered(result, request.filing_no)


def _find_filing(
    session: Session, identity: Identity, request: ArrivalRequest
) -> tuple[Project, StaffPost, Filing | None] | Result:
    """The filing meant, in a project the sender serves; None: a walk-in (name form)."""
    if request.filing_no is not None:
        filing = session.get(Filing, request.filing_no, with_for_update=True)
        post = identity.post_in(filing.project_id) if filing is not None else None
        if filing is None or post is None:
            return Result.NOT_FOUND  # another project's number reads as none (R12)
        project = session.get(Project, filing.project_id)
        assert project is not None
        return project, post, filing
    ref = request.project or ""
    project = session.scalar(
        select(Project).where((Project.code == ref.upper()) | (Project.name == ref))
    )
    if project is None:
        return Result.UNKNOWN_PROJECT
    post = identity.post_in(project.id)
    if post is None:
        return Result.NOT_YOUR_PROJECT
    mask = rules.mask_phone(request.full_phone)
    filing = session.scalar(
        select(Filing)
        .where(
            Filing.project_id == project.id,
            Filing.phone_mask == mask,
            Filing.client_name == request.client_name,
            Filing.status.in_(rules.PROTECTING),
        )
        .order_by(Filing.id.desc())
        .limit(1)
        .with_for_update()
    )
    return project, post, filing


def _registered_before(
    session: Session, filing: Filing, arrived_at: datetime, tz: ZoneInfo
) -> Arrival | None:
    """An arrival of this filing that stands: pending, or of the same day (not rejected)."""
    earlier = session.scalars(
        select(Arrival)
        .where(Arrival.filing_id == filing.id, Arrival.status != ArrivalStatus.REJECTED)
        .order_by(Arrival.id.desc())
    ).all()
    day = rules.local_day(arrived_at, tz)
    for arrival in earlier:
        if (
            arrival.status == ArrivalStatus.PENDING
            or rules.local_day(arrival.arrived_at, tz) == day
        ):
            return arrival
    return None


def _already(session: Session, earlier: Arrival, filing: Filing) -> Registered:
    staff = session.get(Staff, earlier.staff_id)
    return Registered(
        Result.ALREADY_REGISTERED,
        filing.id,
        filing.client_name,
        filing.phone_mask,
        arrived_at=earlier.arrived_at,
        status=earlier.status,
        by=staff.name if staff else None,
        registered_at=earlier.registered_at,
    )


def _known_source(
    session: Session,
    project_id: int,
    request: ArrivalRequest,
    mask: str,
    name: str,
    at: datetime,
    policy: rules.Policy,
) -> str | None:
    """R3 at arrival: the site knows the client by the full number (decisive) or by name and
    mask: a natural visit, an import, ... or a public client (公客, R8)."""
    rows = session.execute(
        select(Client.state, Client.known_source, Client.protected_until).where(
            Client.project_id == project_id,
            Client.phone_mask == mask,
            (Client.full_phone == request.full_phone) | (Client.name == name),
        )
    ).all()
    for state, source, until in rows:
        if state == rules.ClientStatus.KNOWN:
            return source or "natural_visit"
        public = state == rules.ClientStatus.VISITED and not rules.is_protected(until, at)
        if public and not policy.expired_refile:
            return "public"
    return None


def _filing_state(session: Session, filing: Filing, tz: ZoneInfo) -> rules.FilingState:
    """The filing as the arrival rule sees it: a visited filing's end is its client's visit
    protection (R5-R7), a filed one's its filing protection (R4)."""
    until = filing.protection_ends_at
    if filing.status == rules.FilingStatus.VISITED and filing.client_id is not None:
        client = session.get(Client, filing.client_id)
        until = client.protected_until if client is not None else None
    return rules.FilingState(
        filing.agent_id, filing.distributor_id, filing.status,
        filing.filed_at.astimezone(tz), filing.remote, until.astimezone(tz) if until else None,
    )  # fmt: skip


def _reported(session: Session, filing: Filing, arrived_at: datetime, tz: ZoneInfo) -> bool:
    """R5: a 带看 for the arrival day, or the filing's expected arrival on that day."""
    visits = session.scalars(select(VisitReport.visit_at).where(VisitReport.filing_id == filing.id))
    return reported_on_the_day([filing.expected_arrival_at, *visits], arrived_at, tz)


def _rule_and_store(
    session: Session,
    project: Project,
    post: StaffPost,
    filing: Filing | None,
    request: ArrivalRequest,
    arrived_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    source_msg: str | None,
) -> Arrival:
    policy = rules.Policy.from_stored(project.policy)
    mask = rules.mask_phone(request.full_phone)
    name = filing.client_name if filing is not None else (request.client_name or "")
    remote = request.remote if request.remote is not None else bool(filing and filing.remote)
    state = _filing_state(session, filing, tz) if filing is not None else None
    known = _known_source(session, project.id, request, mask, name, arrived_at, policy)
    ruling = decide_arrival(ArrivalFacts(state, arrived_at, remote, known), policy, tz)
    arrival = Arrival(
        project_id=project.id,
        filing_id=filing.id if filing is not None else None,
        client_id=filing.client_id if filing is not None else None,
        staff_id=post.staff_id,
        arrived_at=arrived_at,
        registered_at=now,
        late_registration=is_late(request.at, now),
        full_phone=request.full_phone,
        client_name=name,
        remote=remote,
        remote_corrected=filing is not None and remote != filing.remote,
        consultant=request.consultant,
        reported=filing is not None and _reported(session, filing, arrived_at, tz),
        proposed=ruling.proposed,
        proposed_rule=ruling.rule,
        proposed_reason=ruling.reason.value,
        explanation=ruling.explanation(),
        status=ArrivalStatus.PENDING if ruling.awaits_manager else ArrivalStatus.NATURAL,
        override=False,
        source_msg=source_msg,
        policy=policy.as_dict(),
    )
    session.add(arrival)
    session.flush()
    if ruling.awaits_manager and filing is not None:
        _hold(session, filing, request.full_phone, now)
    elif not ruling.awaits_manager:
        arrival.client_id = _natural_visit(session, project.id, name, mask, request, now)
    _log(session, arrival, post, mask, ruling, now, policy)
    return arrival


def _hold(session: Session, filing: Filing, full_phone: str, now: datetime) -> None:
    """A pending arrival of a filed client holds it until the manager rules (R4, R5)."""
    if filing.status != rules.FilingStatus.FILED or filing.client_id is None:
        return  # a re-visit: the visit protection holds it already
    filing.status = rules.FilingStatus.ARRIVED
    end_filing_protection(session, filing.id, filing.client_id, rules.ProtectionEnd.SUPERSEDED)
    client = session.get(Client, filing.client_id, with_for_update=True)
    assert client is not None
    client.state = rules.ClientStatus.ARRIVED  # its held filing row names the owner
    client.full_phone = full_phone
    client.version += 1  # a filing racing this one re-reads and sees the hold
    client.updated_at = now


def _natural_visit(
    session: Session,
    project_id: int,
    name: str,
    mask: str,
    request: ArrivalRequest,
    now: datetime,
) -> int | None:
    """A natural visit makes the client known to the site (R3: later filings are refused),
    unless a distributor's protection holds them now (another filing: not taken away)."""
    client = session.scalar(
        select(Client)
        .where(Client.project_id == project_id, Client.phone_mask == mask, Client.name == name)
        .with_for_update()
    )
    if client is None:
        client = Client(
            project_id=project_id, name=name, phone_mask=mask, version=0, created_at=now
        )
        session.add(client)
    elif client.state != rules.ClientStatus.FILED or rules.is_protected(
        client.protected_until, now
    ):
        return client.id  # known already, public (R8), visited or protected: unchanged
    client.state, client.known_source = rules.ClientStatus.KNOWN, "natural_visit"
    client.full_phone = request.full_phone
    client.updated_at = now
    client.version += 1
    session.flush()
    return client.id


def _log(
    session: Session,
    arrival: Arrival,
    post: StaffPost,
    mask: str,
    ruling: ArrivalRuling,
    now: datetime,
    policy: rules.Policy,
) -> None:
    """The ruling with its rule and policy values; the mask, never the full number."""
    facts: dict[str, Any] = {
        "filing_id": arrival.filing_id,
        "client_id": arrival.client_id,
        "phone_mask": mask,
        "arrived_at": arrival.arrived_at.isoformat(),
        "registered_at": arrival.registered_at.isoformat(),
        "late_registration": arrival.late_registration,
        "remote": arrival.remote,
        "remote_corrected": arrival.remote_corrected,
        "reported": arrival.reported,
        "consultant": arrival.consultant,
        "proposed": ruling.proposed,
        "status": arrival.status,
    }
    log_decision(
        session, now, f"staff:{post.staff_id}", "arrival", f"arrival:{arrival.id}", ruling.rule,
        ruling.reason.value, ruling.explanation(), facts, arrival.project_id, policy.as_dict(),
    )  # fmt: skip


def _by_source(session: Session, source_msg: str) -> Arrival | None:
    return session.scalar(select(Arrival).where(Arrival.source_msg == source_msg))


def _outcome(session: Session, arrival: Arrival, tz: ZoneInfo) -> Registered:
    """The reply's facts from the stored arrival (also for a retried message)."""
    return Registered(
        Result.REGISTERED,
        filing_no=arrival.filing_id,
        client_name=arrival.client_name,
        phone_mask=mask_digits(arrival.full_phone),
        arrived_at=arrival.arrived_at.astimezone(tz),
        status=arrival.status,
        proposed=arrival.proposed,
        explanation=arrival.explanation,
        reported=arrival.reported or arrival.filing_id is None,
        late=arrival.late_registration,
        remote=arrival.remote,
        remote_corrected=arrival.remote_corrected,
        consultant=arrival.consultant,
    )
