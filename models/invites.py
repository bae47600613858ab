"""Invite codes in bulk for the channel team: made by the N, listed, revoked (R12).

A code binds once, until it expires (``accounts.invite_expiry_days``, fixed on the code
when made) or is revoked; ``models.binding`` judges it at the message's time with the
same pure rule (``models.policy.roster.invite_state``) that lists it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import AccountError, find_distributor, log_decision, new_invite
from models.entities import Agent, Distributor, InviteCode
from models.policy.roster import RULE, InviteState, invite_state

MAX_COUNT = 1000  # one command's codes; a typo like --count 50000 is refused, not made


@dataclass(frozen=True)
class InviteView:
    """One code as ``distributor invites`` lists it."""

    code: str
    state: InviteState
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    revoked_at: datetime | None
    used_by: str | None  # the agent's name when it bound someone


def make_agent_invites(
    session: Session, name: str, count: int, expiry_days: int, now: datetime
) -> tuple[Distributor, list[InviteCode]]:
    """``count`` fresh codes of one distributor, each binding one agent."""
    if not 1 <= count <= MAX_COUNT:
        raise AccountError(f"--count must be between 1 and {MAX_COUNT}, got {count}")
    distributor = find_distributor(session, name)
    codes = [
        new_invite(session, now, expiry_days, kind="agent", distributor_id=distributor.id)
        for _ in range(count)
    ]
    return distributor, codes


def list_invites(session: Session, name: str, now: datetime) -> list[InviteView]:
    """Every agent code of the distributor, oldest first, each with its state at ``now``."""
    distributor = find_distributor(session, name)
    rows = session.execute(
        select(InviteCode, Agent.name)
        .outerjoin(Agent, Agent.openid == InviteCode.used_by)
        .where(InviteCode.distributor_id == distributor.id)
        .order_by(InviteCode.id)
    ).all()
    return [
        InviteView(
            invite.code,
            invite_state(invite.used_at, invite.revoked_at, invite.expires_at, now),
            invite.created_at,
            invite.expires_at,
            invite.used_at,
            invite.revoked_at,
            agent_name,
        )
        for invite, agent_name in rows
    ]


def revoke(session: Session, code: str, reason: str, now: datetime) -> InviteCode:
    """An unused code stops binding at once; a used one cannot be revoked (unbind the
    agent instead), and revoking twice is refused rather than silently repeated."""
    invite = session.scalar(
        select(InviteCode).where(InviteCode.code == code.strip().upper()).with_for_update()
    )
    if invite is None:
        raise AccountError(f"no invite code {code}")
    state = invite_state(invite.used_at, invite.revoked_at, invite.expires_at, now)
    if state is InviteState.USED:
        raise AccountError(f"{invite.code} was used already: unbind the agent instead")
    if state is InviteState.REVOKED:
        raise AccountError(f"{invite.code} is revoked already")
    invite.revoked_at = now
    log_decision(
        session, now, "cli", "invite_revoke", f"invite:{invite.id}", RULE, "revoked",
        f"作废邀请码 {invite.code}：{reason or '未注明'}",
        {"kind": invite.kind, "distributor_id": invite.distributor_id,
         "project_id": invite.project_id, "was": state.value, "reason": reason},
        invite.project_id,
    )  # fmt: skip
    return invite
