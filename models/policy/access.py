"""Who may act (R12): one WeChat user is an agent of one distributor, or staff, never both.

Agents change employers, so binding with another distributor's invite code stands: it is a
rebinding, kept in the decision log, and the old company's filings stay behind with the
old company (``rules.acts_for``). A binding that would make one user both an agent and
case-site staff is refused with the reason: staff register and approve the visits that
earn agents their commission, so one person holding both would rule on their own clients.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.policy.rules import Ruling
from models.policy.wording import Reason

AGENT_INVITE, STAFF_INVITE = "agent", "staff"


@dataclass(frozen=True)
class BindingFacts:
    """The invite code's kind and what the sender is bound as already."""

    invite_kind: str  # AGENT_INVITE | STAFF_INVITE
    invite_distributor_id: int | None  # an agent invite's distributor
    agent_of: int | None  # the distributor the sender is an agent of now, if any
    is_staff: bool  # the sender is staff of some project


def decide_binding(facts: BindingFacts) -> Ruling:
    """Accepted (a first binding, or the same company again), REBOUND, or refused.

    An agent of 甲 using 乙's code -> REBOUND; an agent using a staff code, or staff using
    an agent code -> refused, naming what they are bound as already.
    """
    if facts.invite_kind == AGENT_INVITE and facts.is_staff:
        return Ruling(Reason.BIND_STAFF_AS_AGENT)
    if facts.invite_kind == STAFF_INVITE and facts.agent_of is not None:
        return Ruling(Reason.BIND_AGENT_AS_STAFF)
    if facts.invite_kind == AGENT_INVITE and facts.agent_of not in (
        None,
        facts.invite_distributor_id,
    ):
        return Ruling(Reason.REBOUND)
    return Ruling(Reason.ACCEPTED, rule_code="R12")


def binding_stands(ruling: Ruling) -> bool:
    """Whether the binding is carried out (a rebinding is: agents change employers)."""
    return ruling.reason in (Reason.ACCEPTED, Reason.REBOUND)
