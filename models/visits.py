"""An agent's own filings after filing: the visit report (R5) and withdrawal.

Not the hot path: these run in one ORM transaction that locks the filing row, so two
reports of one filing (a retry, two phones) are applied one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import policy as rules
from models.accounts import log_decision
from models.db import make_session_factory
from models.entities import Agent, Client, Filing, VisitReport
from models.errors import AmbiguousFiling, FilingNotFound, NotBound
from models.protections import end_filing_protection
from models.requests import FilingRef


@dataclass(frozen=True)
class FilingAction:
    """What happened to a filing the agent named: the ruling and the filing's identity."""

    number: int
    client_name: str
    phone_mask: str
    ruling: rules.Ruling
    at: datetime | None = None


def _agent(session: Session, openid: str) -> Agent:
    agent = session.scalar(
        select(Agent).where(Agent.openid == openid, Agent.unbound_at.is_(None))
    )
    if agent is None:
        raise NotBound("agent")
    return agent


def _actor(agent: Agent) -> rules.Actor:
    return rules.Actor(agent.id, agent.distributor_id)


def _state(filing: Filing, tz: ZoneInfo) -> rules.FilingState:
    until = filing.protection_ends_at.astimezone(tz) if filing.protection_ends_at else None
    return rules.FilingState(
        filing.agent_id,
        filing.distributor_id,
        filing.status,
        filing.filed_at.astimezone(tz),
        filing.remote,
        until,
    )


def resolve(
    session: Session, agent: Agent, ref: FilingRef, now: datetime, tz: ZoneInfo
) -> Filing | None:
    """Find the filing an agent means: by number, or by name / mask among their own.

    By number: whoever's it is, or None when no filing has it; the policy then answers
    both "not yours" alike (R12), so a number tells a prober nothing.
    By name or mask, only the agent's filings for their present distributor; protected
    ones win over lapsed ones; several protected matches are ambiguous and the agent is
    asked to choose by number.
    """
    if ref.number is not None:
        return session.get(Filing, ref.number, with_for_update=True)
    query = (
        select(Filing)
        .where(Filing.agent_id == agent.id, Filing.distributor_id == agent.distributor_id)
        .order_by(Filing.id.desc())
    )
    if ref.phone_mask:
        query = query.where(Filing.phone_mask == ref.phone_mask)
    if ref.name:
        query = query.where(Filing.client_name == ref.name)
    candidates = session.scalars(query.limit(20)).all()
    active = [f for f in candidates if _protecting(f, now, tz)]
    if len(active) > 1:
        raise AmbiguousFiling([(f.id, f.client_name, f.phone_mask) for f in active])
    chosen = active[0] if active else (candidates[0] if candidates else None)
    if chosen is None:
        raise FilingNotFound()
    session.refresh(chosen, with_for_update=True)
    return chosen


def _protecting(filing: Filing, now: datetime, tz: ZoneInfo) -> bool:
    return rules.effective_status(_state(filing, tz), now) in rules.PROTECTING


def _probe(
    session: Session,
    agent: Agent,
    action: str,
    number: int | None,
    ruling: rules.Ruling,
    now: datetime,
) -> None:
    """A number that names none of the sender's filings: kept like any other ruling."""
    log_decision(
        session,
        now,
        f"agent:{agent.id}",
        action,
        f"filing:{number}",
        ruling.rule,
        ruling.reason.value,
        ruling.explanation(),
        {},
    )


def report_visit(
    engine: Engine,
    openid: str,
    ref: FilingRef,
    at: datetime | None,
    now: datetime,
    tz: ZoneInfo,
    source_msg: str | None,
) -> FilingAction:
    """R5: check a 带看 report, move the expected arrival, keep the report and the ruling."""
    at = at or now
    try:
        with make_session_factory(engine).begin() as session:
            agent = _agent(session, openid)
            filing = resolve(session, agent, ref, now, tz)
            state = _state(filing, tz) if filing else None
            policy = rules.Policy.from_stored(filing.policy) if filing else rules.Policy()
            ruling = rules.decide_visit_report(state, _actor(agent), at, now, policy)
            if filing is None or ruling.reason is rules.Reason.NOT_YOURS:
                # R12: another's filing and no filing are answered and logged alike
                _probe(session, agent, "visit_report", ref.number, ruling, now)
                return FilingAction(ref.number or 0, "", "", ruling, at)
            if ruling.ok:
                session.add(
                    VisitReport(
                        filing_id=filing.id,
                        agent_id=agent.id,
                        project_id=filing.project_id,
                        reported_at=now,
                        visit_at=at,
                        previous_arrival_at=filing.expected_arrival_at,
                        source_msg=source_msg,
                    )
                )
                filing.expected_arrival_at = at
            log_decision(
                session,
                now,
                f"agent:{agent.id}",
                "visit_report",
                f"filing:{filing.id}",
                ruling.rule,
                ruling.reason.value,
                ruling.explanation(),
                {"visit_at": at.isoformat()},
                filing.project_id,
                policy.as_dict(),
            )
            return FilingAction(filing.id, filing.client_name, filing.phone_mask, ruling, at)
    except IntegrityError:  # the same WeChat message again while Redis was down
        with make_session_factory(engine)() as session:
            report = session.scalar(select(VisitReport).where(VisitReport.source_msg == source_msg))
            if report is None:
                raise
            filing = session.get(Filing, report.filing_id)
            assert filing is not None
            ruling = rules.Ruling(rules.Reason.ACCEPTED)
            return FilingAction(
                filing.id, filing.client_name, filing.phone_mask, ruling, report.visit_at
            )


def cancel_filing(
    engine: Engine, openid: str, number: int, now: datetime, tz: ZoneInfo
) -> FilingAction:
    """The agent withdraws a filing; the client is free to file again (R4 limits what
    the same distributor gets back)."""
    with make_session_factory(engine).begin() as session:
        agent = _agent(session, openid)
        filing = resolve(session, agent, FilingRef(number=number), now, tz)
        ruling = rules.decide_cancel(_state(filing, tz) if filing else None, _actor(agent), now)
        if filing is None or ruling.reason is rules.Reason.NOT_YOURS:
            _probe(session, agent, "cancel", number, ruling, now)  # R12: alike, see resolve
            return FilingAction(number, "", "", ruling)
        if ruling.reason is rules.Reason.CANCELLED:
            _withdraw(session, filing, agent, now)
        log_decision(
            session,
            now,
            f"agent:{agent.id}",
            "cancel",
            f"filing:{filing.id}",
            ruling.rule,
            ruling.reason.value,
            ruling.explanation(),
            {},
            filing.project_id,
            filing.policy,
        )
        return FilingAction(filing.id, filing.client_name, filing.phone_mask, ruling)


def _withdraw(session: Session, filing: Filing, agent: Agent, now: datetime) -> None:
    """Cancel the filing and free its client. The filing keeps its end date, which R4
    gives back to the same distributor if it files the client again before that date."""
    filing.status = rules.FilingStatus.CANCELLED
    client = (
        session.get(Client, filing.client_id, with_for_update=True) if filing.client_id else None
    )
    # Its protection row ends (its reminder too): the client's owner and end are read from
    # the rows, so the client is free without a word written on it but the version that
    # tells a racing filing to re-read.
    if client is not None and end_filing_protection(
        session, filing.id, client.id, rules.ProtectionEnd.CANCELLED
    ):
        client.version += 1
        client.updated_at = now
