"""撞单: an agent's conflict claim on a deal, and the open claims managers see (R10).

The agent names their own filing (``撞单 #12 理由``; another's number and a missing one
get the same answer, R12). The claim is on the deal of that filing's client, else of a
client staff linked to it (关联, R10.4), else of a deal whose buyer is the same person
filed under another name or number: the deal's full phone (the buyer's, else the desk's)
agrees with the filing's mask, or the desk's full phone of the filing's client agrees
with the deal client's mask (R10.2 then weighs whose details are right). "The deal" is the
client's first live deal event (R9's attribution and R10's window count from it).
The window is checked at the message's time; one open claim per deal and distributor;
the message's key is stored, so a retried message writes once. The project's managers
are pushed a notice in the same transaction (outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import outbox
from models import policy as rules
from models.accounts import log_decision
from models.claim_entities import Claim, ClaimRulingRow, ClaimStatus, ClientLink
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Agent, Client, Distributor, Filing, Project, Staff
from models.errors import NotBound
from models.policy.claim_wording import claim_notice
from models.policy.claims import check_window
from models.privacy import scrub

__all__ = ["ClaimOutcome", "Result", "deal_for_client", "file_claim", "linked_clients"]


class Result(Enum):
    CLAIMED = "claimed"
    NOT_YOURS = "not_yours"  # no such filing, or another agent's (R12: alike)
    NO_DEAL = "no_deal"
    OWN_DEAL = "own_deal"  # the deal is already the claimant's distributor's
    LATE = "late"
    ALREADY_OPEN = "already_open"
    ALREADY_RULED = "already_ruled"


@dataclass(frozen=True)
class ClaimOutcome:
    result: Result
    filing_no: int
    client_name: str = ""
    phone_mask: str = ""
    deadline: datetime | None = None
    claim_id: int | None = None


def file_claim(
    engine: Engine, openid: str, filing_no: int, reason: str, now: datetime, tz: ZoneInfo,
    source_msg: str,
) -> ClaimOutcome:  # fmt: skip
    """R10: the claim, if in time and there is something to claim; else why not."""
    with make_session_factory(engine).begin() as session:
        agent = session.scalar(select(Agent).where(Agent.openid == openid))
        if agent is None:
            raise NotBound("agent")
        done = session.scalar(select(Claim).where(Claim.source_msg == source_msg))
        filing = session.get(Filing, done.filing_id if done else filing_no)
        if filing is None or filing.agent_id != agent.id:
            return ClaimOutcome(Result.NOT_YOURS, filing_no)
        said = (filing.id, filing.client_name, filing.phone_mask)
        if done is not None:  # a retried message: answered from what the first one wrote
            return ClaimOutcome(Result.CLAIMED, *said, _deadline(session, done, tz), done.id)
        deal = _target(session, filing)
        if deal is None:
            return ClaimOutcome(Result.NO_DEAL, *said)
        if session.scalar(select(ClaimRulingRow.id).where(ClaimRulingRow.deal_id == deal.id)):
            return ClaimOutcome(Result.ALREADY_RULED, *said)
        if deal.distributor_id == agent.distributor_id:
            return ClaimOutcome(Result.OWN_DEAL, *said)
        project = session.get(Project, deal.project_id)
        assert project is not None
        policy = rules.Policy.from_stored(project.policy)
        window = check_window(deal.event_at, now, policy, tz)
        if not window.open:
            _log(session, agent, filing, deal, "late", now, policy, window.deadline)
            return ClaimOutcome(Result.LATE, *said, window.deadline)
        claim = _open_claim(session, agent, filing, deal, reason, now, source_msg)
        if not isinstance(claim, Claim):  # the company's claim on the deal is open already
            return ClaimOutcome(Result.ALREADY_OPEN, *said, window.deadline, claim)
        _log(session, agent, filing, deal, "claimed", now, policy, window.deadline, claim)
        _tell_managers(session, project, claim, deal, agent, now, tz, window.deadline)
        return ClaimOutcome(Result.CLAIMED, *said, window.deadline, claim.id)


def first_live_deal(session: Session, client_id: int) -> Deal | None:
    """The client's first live deal event (认筹, else 认购, else 签约: the earliest)."""
    return session.scalar(
        select(Deal)
        .where(Deal.client_id == client_id, Deal.voided_at.is_(None))
        .order_by(Deal.event_at, Deal.id)
        .limit(1)
    )


def linked_clients(session: Session, client_id: int) -> dict[int, str]:
    """The clients staff linked to this one (R10.4), each with its relation."""
    rows = session.execute(
        select(ClientLink.client_a, ClientLink.client_b, ClientLink.relation).where(
            or_(ClientLink.client_a == client_id, ClientLink.client_b == client_id)
        )
    ).all()
    return {(row.client_b if row.client_a == client_id else row.client_a): row.relation
            for row in rows}  # fmt: skip


def deal_for_client(session: Session, client_id: int) -> Deal | None:
    """The deal of the client, else of a client linked to it (R10.4)."""
    deal = first_live_deal(session, client_id)
    for other in sorted(linked_clients(session, client_id)) if deal is None else ():
        deal = first_live_deal(session, other)
        if deal is not None:
            break
    return deal


def _target(session: Session, filing: Filing) -> Deal | None:
    """The deal the claim is on: the client's, a linked client's, or the same person's."""
    if filing.client_id is None:
        return None
    if deal := deal_for_client(session, filing.client_id):
        return deal
    own = session.get(Client, filing.client_id)
    own_phone = own.full_phone if own else None
    candidates = session.execute(
        select(Deal.client_id, Deal.buyer_phone, Client.full_phone, Client.phone_mask)
        .join(Client, Client.id == Deal.client_id)
        .where(Deal.project_id == filing.project_id, Deal.voided_at.is_(None))
        .order_by(Deal.event_at, Deal.id)
    ).all()
    for client_id, buyer_phone, desk_phone, mask in candidates:
        phone = buyer_phone or desk_phone
        if (phone and rules.mask_matches(filing.phone_mask, phone)) or (
            own_phone and rules.mask_matches(mask, own_phone)
        ):
            return first_live_deal(session, client_id)
    return None


def _open_claim(
    session: Session, agent: Agent, filing: Filing, deal: Deal, reason: str, now: datetime,
    source_msg: str,
) -> Claim | int | None:  # fmt: skip
    """The new open claim, stored; else the id of the company's open claim on the deal
    (None: one stored by a message racing this one)."""
    claim = Claim(
        deal_id=deal.id, project_id=deal.project_id, filing_id=filing.id,
        agent_id=agent.id, distributor_id=agent.distributor_id, reason=scrub(reason),
        claimed_at=now, status=ClaimStatus.OPEN, source_msg=source_msg,
    )  # fmt: skip
    open_id = session.scalar(select(Claim.id).where(
        Claim.deal_id == deal.id, Claim.distributor_id == agent.distributor_id,
        Claim.status == ClaimStatus.OPEN,
    ))  # fmt: skip
    if open_id is not None:
        return int(open_id)
    try:
        with session.begin_nested():  # the unique open index decides a race
            session.add(claim)
    except IntegrityError:
        return None
    return claim


def _deadline(session: Session, claim: Claim, tz: ZoneInfo) -> datetime | None:
    deal = session.get(Deal, claim.deal_id)
    project = session.get(Project, claim.project_id)
    assert deal is not None and project is not None
    policy = rules.Policy.from_stored(project.policy)
    return check_window(deal.event_at, claim.claimed_at, policy, tz).deadline


def _log(
    session: Session, agent: Agent, filing: Filing, deal: Deal, outcome: str, now: datetime,
    policy: rules.Policy, deadline: datetime | None, claim: Claim | None = None,
) -> None:  # fmt: skip
    """The claim or its refusal for lateness, with R10's window and the policy values."""
    until = deadline.isoformat() if deadline else None
    why = (f"撞单期限至 {until}，已逾期（R10）" if outcome == "late"
           else "撞单已受理，待案场经理裁定（R10）")  # fmt: skip
    log_decision(
        session, now, f"agent:{agent.id}", "claim",
        f"claim:{claim.id}" if claim else f"filing:{filing.id}", "R10", outcome, why,
        {"filing_id": filing.id, "deal_id": deal.id, "deal_at": deal.event_at.isoformat(),
         "deadline": until, "reason": claim.reason if claim else None},
        deal.project_id, policy.as_dict(),
    )  # fmt: skip


def _tell_managers(
    session: Session, project: Project, claim: Claim, deal: Deal, agent: Agent,
    now: datetime, tz: ZoneInfo, deadline: datetime | None,
) -> None:  # fmt: skip
    """Every manager of the project is pushed the new claim at once (staff see companies)."""
    client = session.get(Client, deal.client_id)
    company = session.scalar(select(Distributor.name).where(Distributor.id == agent.distributor_id))
    managers = session.execute(
        select(Staff.id, Staff.openid).where(
            Staff.project_id == project.id, Staff.role == rules.Role.MANAGER
        )
    ).all()
    number = deal.filing_id or claim.filing_id
    text, fields = claim_notice(
        project.name, number, client.name if client else "", client.phone_mask if client else "",
        company or "", deadline.astimezone(tz) if deadline else None,
    )  # fmt: skip
    for staff_id, openid in managers:
        outbox.push_now(
            session, kind=rules.PushKind.CLAIM, subject=f"claim:{claim.id}:staff:{staff_id}",
            openid=openid, text=text, fields=fields, now=now, tz=tz,
        )  # fmt: skip
