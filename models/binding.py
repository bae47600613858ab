"""Binding a WeChat user with an invite code: who may act, for whom (R12).

An agent who changes employer binds with the new company's code and keeps one identity;
the old company's filings stay with the old company (``models.policy.acts_for``). A
rebinding and a refused binding are decisions and go into the log; a first binding is
recorded by its invite code (used by whom, when).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import outbox
from models.accounts import log_decision
from models.entities import Agent, Distributor, InviteCode, Project, Staff
from models.errors import InvalidInvite
from models.policy import (
    BindingFacts,
    PushKind,
    Reason,
    Ruling,
    binding_stands,
    decide_binding,
)
from models.policy.access import AGENT_INVITE
from models.policy.roster import RULE as ROSTER_RULE
from models.policy.roster import InviteState, invite_state
from models.policy.roster_wording import INVITE_STATE_WORDS


@dataclass(frozen=True)
class Binding:
    kind: str  # agent | staff
    name: str
    organisation: str  # distributor full name, or project name
    role: str | None = None
    previous: str | None = None  # a rebinding agent's former distributor (R12)
    refusal: str | None = None  # why the binding was refused; nothing was bound
    invite_state: InviteState | None = None  # the code had expired or was revoked
    expires_at: datetime | None = None  # an expired code's end


def bind(session: Session, openid: str, code: str, name: str, now: datetime) -> Binding:
    """Use an invite code once: the sender becomes an agent or a project's staff (R12).

    The policy decides (``decide_binding``): a binding, a rebinding to another distributor
    (it stands, and is logged with both distributors), or a refusal when the sender would
    be agent and staff at once (logged, and the code stays unused).
    """
    invite = session.scalar(
        select(InviteCode).where(InviteCode.code == code.upper()).with_for_update()
    )
    if invite is None:
        raise InvalidInvite()
    state = _check_open(session, invite, openid, now)
    if state is not None:
        return Binding(invite.kind, name, "", invite_state=state, expires_at=invite.expires_at)
    agent = session.scalar(select(Agent).where(Agent.openid == openid))
    is_staff = session.scalar(select(Staff.id).where(Staff.openid == openid).limit(1))
    bound_to = agent.distributor_id if agent and agent.unbound_at is None else None
    facts = BindingFacts(invite.kind, invite.distributor_id, bound_to, bool(is_staff))
    ruling = decide_binding(facts)
    if not binding_stands(ruling):
        actor = f"agent:{agent.id}" if agent else f"openid:{openid}"
        log_decision(
            session,
            now,
            actor,
            "bind_refused",
            f"invite:{invite.id}",
            ruling.rule,
            ruling.reason.value,
            ruling.explanation(),
            asdict(facts),
        )
        return Binding(invite.kind, name, "", refusal=ruling.explanation())
    invite.used_at, invite.used_by = now, openid
    if invite.kind == AGENT_INVITE:
        return _bind_agent(session, agent, openid, invite, name, ruling, now)
    return _bind_staff(session, openid, invite, name, now)


def _check_open(
    session: Session, invite: InviteCode, openid: str, now: datetime
) -> InviteState | None:
    """None when the code binds. A used code is simply invalid; an expired or revoked
    one is refused saying so, and the refusal is a decision (R12: who tried which code,
    when, why not), kept: the refusal is a reply, not a rollback."""
    state = invite_state(invite.used_at, invite.revoked_at, invite.expires_at, now)
    if state is InviteState.OPEN:
        return None
    if state is InviteState.USED:
        raise InvalidInvite()
    log_decision(
        session, now, f"openid:{openid}", "bind_refused", f"invite:{invite.id}", ROSTER_RULE,
        state.value, f"邀请码 {invite.code} {INVITE_STATE_WORDS[state]}",
        {"state": state.value, "expires_at": invite.expires_at and invite.expires_at.isoformat()},
    )  # fmt: skip
    return state


def _bind_agent(
    session: Session,
    agent: Agent | None,
    openid: str,
    invite: InviteCode,
    name: str,
    ruling: Ruling,
    now: datetime,
) -> Binding:
    """One identity per openid; a rebinding leaves the old company's filings behind and
    is logged: who, from which distributor to which, when (the invite records the rest)."""
    assert invite.distributor_id is not None
    distributor = session.get(Distributor, invite.distributor_id)
    assert distributor is not None
    if agent is None:
        agent = Agent(openid=openid, name=name, distributor_id=distributor.id, bound_at=now)
        session.add(agent)
        return Binding("agent", name, distributor.name)
    previous = session.get(Distributor, agent.distributor_id)
    assert previous is not None
    agent.name, agent.distributor_id, agent.bound_at = name, distributor.id, now
    agent.unbound_at = None  # one identity per openid: an unbound agent binds again
    if ruling.reason is not Reason.REBOUND:
        return Binding("agent", name, distributor.name)
    log_decision(
        session,
        now,
        f"agent:{agent.id}",
        "rebind",
        f"agent:{agent.id}",
        ruling.rule,
        ruling.reason.value,
        ruling.explanation(),
        {
            "from_distributor_id": previous.id,
            "from": previous.name,
            "to_distributor_id": distributor.id,
            "to": distributor.name,
        },
    )
    return Binding("agent", name, distributor.name, previous=previous.name)


def _bind_staff(
    session: Session, openid: str, invite: InviteCode, name: str, now: datetime
) -> Binding:
    assert invite.project_id is not None and invite.role is not None
    staff = session.scalar(
        select(Staff).where(Staff.openid == openid, Staff.project_id == invite.project_id)
    )
    if staff is None:
        staff = Staff(
            openid=openid, project_id=invite.project_id, role=invite.role, name=name, bound_at=now
        )
        session.add(staff)
    else:
        staff.role, staff.name, staff.bound_at = invite.role, name, now
    session.flush()
    # The staff menu matches a WeChat tag: the sender tags them, off the webhook's path.
    outbox.enqueue(
        session, kind=PushKind.STAFF_TAG, subject=f"staff:{staff.id}", due_day=now.date(),
        openid=openid, text="", fields={}, send_after=now, now=now,
    )  # fmt: skip
    project = session.get(Project, invite.project_id)
    assert project is not None
    return Binding("staff", name, project.name, invite.role)
