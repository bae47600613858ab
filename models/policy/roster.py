"""Who may act (R12), as the channel team keeps it: invite codes that expire or are
revoked, agents unbound, a departed agent's open filings handed to a colleague.

Pure: ``now`` is always an argument. An invite's expiry is fixed when the code is made
(``invite_expires_at``) and stored with it, so a later change of
``accounts.invite_expiry_days`` never rewrites a code already handed out. A code is
judged at the message's time (``invite_state``): unused at ``now``, not revoked, and
``now`` before its expiry (the expiry instant itself is too late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

RULE = "R12"


class InviteState(StrEnum):
    """What an invite code is at a moment; only an OPEN one binds."""

    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


def invite_expires_at(created_at: datetime, expiry_days: int) -> datetime | None:
    """When a code made at ``created_at`` stops binding; None (never) when the config's
    ``invite_expiry_days`` is 0. Seven days from 11-22 10:00 is 11-29 10:00."""
    if expiry_days < 0:
        raise ValueError("invite_expiry_days must be 0 (never) or more")
    return created_at + timedelta(days=expiry_days) if expiry_days else None


def invite_state(
    used_at: datetime | None,
    revoked_at: datetime | None,
    expires_at: datetime | None,
    now: datetime,
) -> InviteState:
    """A used code stays USED (it bound someone, whatever came after); otherwise a
    revoked one is REVOKED, then one whose expiry has come is EXPIRED."""
    if used_at is not None:
        return InviteState.USED
    if revoked_at is not None:
        return InviteState.REVOKED
    if expires_at is not None and now >= expires_at:
        return InviteState.EXPIRED
    return InviteState.OPEN


@dataclass(frozen=True)
class AgentFacts:
    """One agent as the roster rules see them."""

    agent_id: int
    distributor_id: int
    bound: bool  # not unbound by the channel team


class RosterOutcome(StrEnum):
    DONE = "done"
    SAME_AGENT = "same_agent"
    OTHER_DISTRIBUTOR = "other_distributor"
    NOT_BOUND = "not_bound"


@dataclass(frozen=True)
class RosterRuling:
    """Whether a roster change is carried out, and why not (for the operator, in English:
    the command line is the channel team's tool)."""

    outcome: RosterOutcome
    why: str
    rule: str = RULE

    @property
    def ok(self) -> bool:
        return self.outcome is RosterOutcome.DONE


def decide_unbind(agent: AgentFacts) -> RosterRuling:
    """An agent can be unbound once; their filings stay with the distributor (R12)."""
    if not agent.bound:
        return RosterRuling(RosterOutcome.NOT_BOUND, f"agent {agent.agent_id} is not bound")
    return RosterRuling(RosterOutcome.DONE, "unbound; filings stay with the distributor")


def decide_reassign(departed: AgentFacts, successor: AgentFacts) -> RosterRuling:
    """A departed agent's open filings go to a bound agent of the SAME distributor only:
    the filings are the distributor's (R3), and another company must never receive them."""
    if departed.agent_id == successor.agent_id:
        return RosterRuling(RosterOutcome.SAME_AGENT, "an agent cannot take over from itself")
    if departed.distributor_id != successor.distributor_id:
        return RosterRuling(
            RosterOutcome.OTHER_DISTRIBUTOR,
            f"agent {successor.agent_id} works for another distributor than "
            f"agent {departed.agent_id}: filings stay with their distributor",
        )
    if not successor.bound:
        return RosterRuling(
            RosterOutcome.NOT_BOUND, f"agent {successor.agent_id} is unbound: bind them first"
        )
    return RosterRuling(RosterOutcome.DONE, "open filings handed to a colleague")


def mask_openid(openid: str) -> str:
    """An openid as listings show it: enough to recognise, not to message (R12)."""
    if len(openid) <= 8:
        return openid[:2] + "…"
    return f"{openid[:4]}…{openid[-4:]}"
