"""A distributor's agents as the channel team keeps them: listed, unbound, and a departed
agent's open filings handed to a colleague of the same company (R12).

Unbinding keeps the agent's row (filings and protections name it) and sets
``unbound_at``: every lookup by openid skips an unbound agent, so their next message is a
stranger's, and no reminder or ruling is pushed to them any more. Their filings stay with
the distributor. A reassignment moves the departed agent's OPEN filings (an unlapsed
filing, an arrival awaiting the manager, a running visit protection) and those filings'
open protection rows to the colleague, so every later push (R4/R8 reminders, rulings)
names the colleague; it bumps the clients' ``version`` as every writer of protection
rows does (``models.protections``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Exists, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from models import outbox
from models.accounts import AccountError, find_distributor, log_decision
from models.arrival_entities import Arrival
from models.entities import Agent, Client, Filing, Project
from models.policy import REMINDER_KINDS, FilingStatus, ProtectionEnd, PushKind
from models.policy.recipients import AUDIENCE, Audience
from models.policy.roster import AgentFacts, decide_reassign, decide_unbind
from models.policy.roster_wording import UNBOUND_TEXT, HandedOver, handover_message
from models.push_entities import Protection, Push, PushStatus

#: Why an unbound agent's waiting reminders were not sent; a handover sends them on.
UNBOUND_DROP = "dropped: the agent was unbound"
UNBOUND_WITHHELD = "withheld: the agent was unbound before it was sent"
#: What else an agent hears (rulings, deals, violations …): withheld at the unbinding, not
#: only at send time, since a person who rebinds (perhaps to another company) before the
#: sender's next try would pass the sender's check again (R12).
AGENT_NEWS = sorted(
    kind for kind, audience in AUDIENCE.items()
    if audience == Audience.AGENT and kind not in REMINDER_KINDS
)  # fmt: skip


@dataclass(frozen=True)
class AgentView:
    """One agent as ``distributor agents`` lists them."""

    id: int
    name: str
    openid: str
    bound_at: datetime
    unbound_at: datetime | None
    open_filings: int


def _open_protection(now: datetime) -> Exists:
    """The filing has a protection row still running at ``now`` (R4-R7)."""
    return exists().where(
        Protection.filing_id == Filing.id,
        Protection.ended_reason.is_(None),
        Protection.ends_at >= now,
    )


def _held() -> ColumnElement[bool]:
    """A filing protection held while its arrival awaits the manager (R5)."""
    return and_(
        Protection.ended_reason == ProtectionEnd.SUPERSEDED,
        exists().where(Filing.id == Protection.filing_id, Filing.status == FilingStatus.ARRIVED),
    )


def _open_filings(agent: Agent, now: datetime) -> ColumnElement[bool]:
    """The agent's filings for their distributor still in play at ``now``."""
    return and_(
        Filing.agent_id == agent.id,
        Filing.distributor_id == agent.distributor_id,
        or_(Filing.status == FilingStatus.ARRIVED, _open_protection(now)),
    )


def list_agents(session: Session, name: str, now: datetime) -> list[AgentView]:
    """The distributor's agents, bound ones and unbound ones, oldest binding first."""
    distributor = find_distributor(session, name)
    agents = session.scalars(
        select(Agent).where(Agent.distributor_id == distributor.id).order_by(Agent.id)
    ).all()
    views = []
    for agent in agents:
        count = session.scalar(select(func.count(Filing.id)).where(_open_filings(agent, now)))
        views.append(
            AgentView(agent.id, agent.name, agent.openid, agent.bound_at, agent.unbound_at,
                      int(count or 0))
        )  # fmt: skip
    return views


def find_agent(session: Session, ref: str) -> Agent:
    """By the number ``distributor agents`` shows, or by openid."""
    ref = ref.strip()
    where = Agent.id == int(ref) if ref.isdigit() else Agent.openid == ref
    agent = session.scalar(select(Agent).where(where).with_for_update())
    if agent is None:
        raise AccountError(f"no agent {ref}")
    return agent


def _facts(agent: Agent) -> AgentFacts:
    return AgentFacts(agent.id, agent.distributor_id, agent.unbound_at is None)


def unbind(session: Session, ref: str, reason: str, now: datetime) -> Agent:
    """The agent is no agent any more and is told so (naming no company, R3)."""
    agent = find_agent(session, ref)
    ruling = decide_unbind(_facts(agent))
    if not ruling.ok:
        raise AccountError(ruling.why)
    open_count = session.scalar(select(func.count(Filing.id)).where(_open_filings(agent, now)))
    bound_at, agent.unbound_at = agent.bound_at, now
    session.execute(  # reminders queued for this morning: no longer theirs to hear
        update(Push)
        .where(
            Push.openid == agent.openid,
            Push.kind.in_(REMINDER_KINDS),
            Push.status == PushStatus.PENDING,
        )
        .values(status=PushStatus.DROPPED, last_error=UNBOUND_DROP)
    )
    withheld = session.execute(  # the rest of their news: a colleague may take it over
        update(Push)
        .where(
            Push.openid == agent.openid,
            Push.kind.in_(AGENT_NEWS),
            Push.status == PushStatus.PENDING,
        )
        .values(status=PushStatus.WITHHELD, last_error=UNBOUND_WITHHELD)
        .returning(Push.id)
    ).all()
    log_decision(
        session, now, "cli", "agent_unbind", f"agent:{agent.id}", ruling.rule, ruling.outcome,
        f"解除经纪人 {agent.name} 的绑定：{reason or '未注明'}",
        {"agent_id": agent.id, "distributor_id": agent.distributor_id,
         "bound_at": bound_at.isoformat(), "open_filings": int(open_count or 0),
         "reason": reason, "pushes_withheld": [row.id for row in withheld]},
    )  # fmt: skip
    outbox.enqueue(
        session, kind=PushKind.ROSTER, subject=f"unbind:{agent.id}:{int(bound_at.timestamp())}",
        due_day=now.date(), openid=agent.openid, text=UNBOUND_TEXT, fields={},
        send_after=now, now=now,
    )  # fmt: skip
    return agent


def reassign(
    session: Session, departed_ref: str, successor_ref: str, reason: str, now: datetime
) -> list[Filing]:
    """Hand the departed agent's open filings to a colleague of the same distributor;
    refused across distributors. Returns the filings moved (none: nothing to do)."""
    departed = find_agent(session, departed_ref)
    successor = find_agent(session, successor_ref)
    ruling = decide_reassign(_facts(departed), _facts(successor))
    if not ruling.ok:
        raise AccountError(ruling.why)
    filings = list(
        session.scalars(
            select(Filing).where(_open_filings(departed, now)).order_by(Filing.id)
        ).all()
    )
    if not filings:
        return []
    moved_rows = _move(session, [f.id for f in filings], departed, successor, now)
    log_decision(
        session, now, "cli", "agent_reassign", f"agent:{departed.id}", ruling.rule,
        ruling.outcome, f"经纪人 {departed.name} 的 {len(filings)} 条报备转交 {successor.name}："
        f"{reason or '未注明'}",
        {"from_agent_id": departed.id, "to_agent_id": successor.id,
         "distributor_id": departed.distributor_id, "filing_ids": [f.id for f in filings],
         "protection_ids": moved_rows, "reason": reason},
    )  # fmt: skip
    _tell_successor(session, filings, departed, successor, now)
    return filings


def _move(
    session: Session, filing_ids: list[int], departed: Agent, successor: Agent, now: datetime
) -> list[int]:
    """Filings, their open protection rows and their waiting pushes change agent; the
    clients' ``version`` is bumped (a filing's compare-and-set relies on it)."""
    rows = session.execute(
        select(Protection.id, Protection.client_id).where(
            Protection.filing_id.in_(filing_ids),
            Protection.agent_id == departed.id,
            or_(Protection.ended_reason.is_(None), _held()),
        )
    ).all()
    row_ids = [row.id for row in rows]
    session.execute(update(Filing).where(Filing.id.in_(filing_ids)).values(agent_id=successor.id))
    if row_ids:
        session.execute(
            update(Protection).where(Protection.id.in_(row_ids)).values(agent_id=successor.id)
        )
        session.execute(  # a reminder queued for this morning goes to the colleague
            update(Push)
            .where(
                Push.subject.in_([f"protection:{n}" for n in row_ids]),
                Push.kind.in_(REMINDER_KINDS),
                or_(
                    Push.status == PushStatus.PENDING,
                    and_(Push.status == PushStatus.DROPPED, Push.last_error == UNBOUND_DROP),
                ),
            )
            .values(openid=successor.openid, status=PushStatus.PENDING, last_error=None)
        )
    _hand_over_rulings(session, filing_ids, row_ids, departed, successor)
    session.execute(
        update(Client)
        .where(Client.id.in_({row.client_id for row in rows}))
        .values(version=Client.version + 1, updated_at=now)
    )
    return row_ids


def _hand_over_rulings(
    session: Session,
    filing_ids: list[int],
    row_ids: list[int],
    departed: Agent,
    successor: Agent,
) -> None:
    """A manager's ruling on a handed-over filing (its arrival's approval, a bulk extension
    or renewal) still waiting for the departed agent, or withheld from them by the sender
    (R12), goes to the colleague: the filing, and so the news, is theirs now."""
    arrivals = session.scalars(select(Arrival.id).where(Arrival.filing_id.in_(filing_ids)))
    subjects = [f"arrival:{n}" for n in arrivals] + [f"protection:{n}" for n in row_ids]
    subjects += [f"filing:{n}" for n in filing_ids]
    session.execute(
        update(Push)
        .where(
            Push.kind == PushKind.RULING,
            Push.openid == departed.openid,
            Push.subject.in_(subjects),
            Push.status.in_([PushStatus.PENDING, PushStatus.WITHHELD]),
        )
        .values(openid=successor.openid, status=PushStatus.PENDING, last_error=None)
    )


def _tell_successor(
    session: Session, filings: list[Filing], departed: Agent, successor: Agent, now: datetime
) -> None:
    names = {row.id: row.name for row in session.execute(select(Project.id, Project.name))}
    handed = [
        HandedOver(names.get(f.project_id, ""), f.client_name, f.phone_mask, f.id) for f in filings
    ]
    outbox.enqueue(
        session, kind=PushKind.ROSTER, subject=f"handover:{departed.id}>{successor.id}:"
        f"{filings[0].id}", due_day=now.date(), openid=successor.openid,
        text=handover_message(handed), fields={}, send_after=now, now=now,
    )  # fmt: skip
