"""R11 violations recorded by a project's manager: the ruling stored, logged and told.

The ruling is pure (``models.policy.violations.rule_violation``); here, in one
transaction: the distributor found by its full name, its row locked so two records of it
count its earlier interceptions in turn, the violation stored with the amounts of the
project's policy, a second interception blacklisting the distributor and ending its
clients' protections (``models.blacklisting``), the decision logged with R11 and the
policy values, and each bound agent of the distributor pushed the decision. A retried
message (same ``source_msg``) is answered from the first record and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import outbox
from models import policy as rules
from models.accounts import log_decision
from models.blacklisting import terminate_protections
from models.db import make_session_factory
from models.entities import Agent, DecisionLogEntry, Distributor, Filing, Project
from models.identity import Identity, StaffPost
from models.names import normalise_name
from models.policy import violation_wording as words
from models.policy.violations import ViolationKind, ViolationRuling, rule_violation
from models.policy.violations import ViolationOutcome as Decided
from models.push_entities import Push
from models.violation_entities import Violation

__all__ = ["Result", "ViolationResult", "record"]


class Result(Enum):
    RECORDED = "recorded"
    UNKNOWN_DISTRIBUTOR = "unknown_distributor"
    NOT_FOUND = "not_found"  # no such filing in the manager's projects (R12: alike)
    NOT_THEIRS = "not_theirs"  # the filing is another distributor's


@dataclass(frozen=True)
class ViolationResult:
    result: Result
    distributor: str = ""
    project_name: str = ""
    ruling: ViolationRuling | None = None
    filing_no: int | None = None
    client: str | None = None  # a false filing's client, name and masked phone
    ended: int = 0  # protections ended by the blacklisting
    told: int = 0  # agents pushed
    ended_per_agent: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """What a record needs once the sender's post and the distributor are known."""

    staff_id: int
    project: Project
    distributor: Distributor
    kind: ViolationKind
    description: str
    filing: Filing | None
    now: datetime
    source_msg: str


def record(
    engine: Any,
    identity: Identity,
    distributor_name: str,
    kind: str,
    filing_no: int | None,
    description: str,
    now: datetime,
    tz: ZoneInfo,
    source_msg: str,
) -> ViolationResult:
    """``违规``: store and rule one violation by one of the sender's manager posts."""
    with make_session_factory(engine).begin() as session:
        done = session.scalar(select(Violation).where(Violation.source_msg == source_msg))
        if done is not None:
            return _replayed(session, done)
        found = _find(session, identity, distributor_name, ViolationKind(kind), filing_no)
        if isinstance(found, ViolationResult):
            return found
        staff_id, project, distributor, filing = found
        job = Recording(
            staff_id, project, distributor, ViolationKind(kind), description, filing, now,
            source_msg,
        )  # fmt: skip
        return _rule_and_store(session, job, tz)


def _find(
    session: Session,
    identity: Identity,
    name: str,
    kind: ViolationKind,
    filing_no: int | None,
) -> tuple[int, Project, Distributor, Filing | None] | ViolationResult:
    """The manager's post, project and the named distributor (and the false filing)."""
    managed = sorted(
        (post for post in identity.posts if post.role == rules.Role.MANAGER),
        key=lambda post: post.project_id,
    )
    distributor = _distributor(session, name)
    if distributor is None:
        return ViolationResult(Result.UNKNOWN_DISTRIBUTOR, distributor=name)
    post: StaffPost | None = managed[0]
    filing = None
    if kind is ViolationKind.FALSE_FILING:
        filing = session.get(Filing, filing_no) if filing_no is not None else None
        post = next((p for p in managed if filing and p.project_id == filing.project_id), None)
        if filing is None or post is None:
            return ViolationResult(Result.NOT_FOUND, filing_no=filing_no)
        if filing.distributor_id != distributor.id:
            return ViolationResult(Result.NOT_THEIRS, distributor.name, filing_no=filing_no)
    assert post is not None
    project = session.get(Project, post.project_id)
    assert project is not None
    return post.staff_id, project, distributor, filing


def _distributor(session: Session, typed: str) -> Distributor | None:
    """The distributor whose full name reads as ``typed`` once both are normalised."""
    wanted = normalise_name(typed)
    for row in session.execute(select(Distributor.id, Distributor.name)):
        if normalise_name(row.name) == wanted:
            return session.get(Distributor, row.id, with_for_update=True)
    return None


def _rule_and_store(session: Session, job: Recording, tz: ZoneInfo) -> ViolationResult:
    earlier = session.scalar(
        select(func.count(Violation.id)).where(
            Violation.distributor_id == job.distributor.id,
            Violation.kind == ViolationKind.INTERCEPTION,
        )
    )
    policy = rules.Policy.from_stored(job.project.policy)
    ruling = rule_violation(job.kind, int(earlier or 0), job.now, policy, tz)
    violation = Violation(
        project_id=job.project.id, distributor_id=job.distributor.id, kind=job.kind,
        outcome=ruling.outcome, offence=ruling.offence,
        filing_id=job.filing.id if job.filing else None,
        client_id=job.filing.client_id if job.filing else None,
        description=job.description, recorded_by=job.staff_id, recorded_at=job.now,
        fine_yuan=ruling.fine_yuan, damages_yuan=ruling.damages_yuan,
        refund_due_at=ruling.refund_due_at, withheld=job.kind is ViolationKind.FALSE_FILING,
        blacklisted=ruling.blacklist, source_msg=job.source_msg,
    )  # fmt: skip
    session.add(violation)
    session.flush()
    per_agent, ended = _blacklist(session, job, violation) if ruling.blacklist else ({}, [])
    _log(session, job, violation, ruling, policy.as_dict(), ended, tz)
    outcome = _outcome_of(session, violation, ruling, dict(per_agent))
    told = _tell_agents(session, job, violation.id, outcome, tz)
    return replace(outcome, ended=len(ended), told=told)


def _blacklist(
    session: Session, job: Recording, violation: Violation
) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Stop cooperation at once: blacklisted (R3 refuses its filings in every project),
    and its clients' protections ended as docs/rules.md R11 decides."""
    previous = job.distributor.status
    job.distributor.status = rules.DistributorStatus.BLACKLISTED
    job.distributor.updated_at = job.now
    per_agent, ended = terminate_protections(session, job.distributor.id, job.now)
    log_decision(
        session, job.now, f"staff:{job.staff_id}", "distributor_status",
        f"distributor:{job.distributor.id}", "R11", rules.DistributorStatus.BLACKLISTED,
        f"分销商 {job.distributor.name} 第{violation.offence}次截客，停止合作并列入黑名单",
        {"from": previous, "to": rules.DistributorStatus.BLACKLISTED,
         "violation_id": violation.id, "protections_ended": ended},
        job.project.id,
    )  # fmt: skip
    return dict(per_agent), ended


def _log(
    session: Session,
    job: Recording,
    violation: Violation,
    ruling: ViolationRuling,
    policy: dict[str, Any],
    ended: list[dict[str, Any]],
    tz: ZoneInfo,
) -> None:
    facts: dict[str, Any] = {
        "distributor_id": job.distributor.id, "kind": job.kind, "offence": ruling.offence,
        "filing_id": violation.filing_id, "client_id": violation.client_id,
        "description": job.description, "recorded_at": job.now.isoformat(),
        "fine_yuan": ruling.fine_yuan, "damages_yuan": ruling.damages_yuan,
        "refund_due_at": ruling.refund_due_at.isoformat() if ruling.refund_due_at else None,
        "withheld": violation.withheld, "blacklisted": ruling.blacklist,
        "protections_ended": len(ended), "evidence": "a photo within the window (violation_photo)",
    }  # fmt: skip
    log_decision(
        session, job.now, f"staff:{job.staff_id}", "violation", f"violation:{violation.id}",
        ruling.rule, ruling.outcome, words.violation_explanation(ruling, tz), facts,
        job.project.id, policy,
    )  # fmt: skip


def _tell_agents(
    session: Session, job: Recording, violation_id: int, outcome: ViolationResult, tz: ZoneInfo
) -> int:
    """Push the decision to every agent bound to the distributor now (its own name only)."""
    assert outcome.ruling is not None
    agents = session.scalars(
        select(Agent).where(Agent.distributor_id == job.distributor.id).order_by(Agent.id)
    ).all()
    for agent in agents:
        facts = words.ViolationFacts(
            job.project.name, job.distributor.name, outcome.client, outcome.filing_no,
            outcome.ended_per_agent.get(agent.id, 0),
        )  # fmt: skip
        text, fields = words.violation_message(outcome.ruling, facts, tz)
        outbox.enqueue(
            session, kind=rules.PushKind.VIOLATION, subject=f"violation:{violation_id}:{agent.id}",
            due_day=rules.local_day(job.now, tz), openid=agent.openid, text=text, fields=fields,
            send_after=job.now, now=job.now,
        )  # fmt: skip
    return len(agents)


def _replayed(session: Session, violation: Violation) -> ViolationResult:
    """A retried message's answer: the first record's, with the agents it told and the
    protections its blacklisting ended, as stored (the push rows, the decision log)."""
    told = session.scalar(
        select(func.count(Push.id)).where(
            Push.kind == rules.PushKind.VIOLATION, Push.subject.like(f"violation:{violation.id}:%")
        )
    )
    logged = session.scalar(
        select(DecisionLogEntry.facts).where(
            DecisionLogEntry.action == "violation",
            DecisionLogEntry.subject == f"violation:{violation.id}",
        )
    )
    ended = int((logged or {}).get("protections_ended") or 0)
    return replace(_outcome_of(session, violation), told=int(told or 0), ended=ended)


def _outcome_of(
    session: Session,
    violation: Violation,
    ruling: ViolationRuling | None = None,
    per_agent: dict[int, int] | None = None,
) -> ViolationResult:
    """The outcome as stored: a retried message hears the first record's answer."""
    distributor = session.get(Distributor, violation.distributor_id)
    project = session.get(Project, violation.project_id)
    filing = session.get(Filing, violation.filing_id) if violation.filing_id else None
    ruling = ruling or ViolationRuling(
        ViolationKind(violation.kind), Decided(violation.outcome), violation.offence,
        violation.fine_yuan, violation.damages_yuan, violation.refund_due_at,
    )  # fmt: skip
    return ViolationResult(
        Result.RECORDED, distributor.name if distributor else "",
        project.name if project else "", ruling, violation.filing_id,
        f"{filing.client_name} {filing.phone_mask}" if filing else None,
        ended_per_agent=per_agent or {},
    )  # fmt: skip
