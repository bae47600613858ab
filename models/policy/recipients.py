"""Whether a queued push may still go to its recipient, judged at send time (R12).

A push is queued by the decision that causes it, but sent later (at once, a minute later,
or after WeChat's backoff). In between, the channel team may unbind the agent or remove
the staff member's last post: a person who left must not hear of the company's clients
or the case site's day any more. So the sender asks, for each push, whether the person
it goes to still holds the standing its kind is written for. Pure: the standing is read
by the caller (one query per batch) and passed in.

Not judged here: a distributor's status. A blacklisted distributor's agents stay bound,
and R11 wants them told (the violation push, the rejection of an arrival that was still
pending): blacklisting ends the company's protections, not its agents' right to hear.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.policy.states import PushKind

RULE = "R12"


class Audience(StrEnum):
    """Whom a push kind is written for."""

    AGENT = "agent"  # a bound agent: about their own filings, deals, violations
    STAFF = "staff"  # a case-site staff member with a post: claims, the day, charts
    OWN_BINDING = "own_binding"  # the person whose binding changed: told even after it


#: Every kind's audience. A kind missing here is sent as before: the staff menu's tagging
#: (``STAFF_TAG``) is no message, and ``staff remove`` already drops one still waiting.
AUDIENCE: dict[str, Audience] = {
    PushKind.FILING_LAPSE_REMINDER: Audience.AGENT,
    PushKind.FILING_LAPSED: Audience.AGENT,
    PushKind.VISIT_END_REMINDER: Audience.AGENT,
    PushKind.VISIT_ENDED: Audience.AGENT,
    PushKind.RULING: Audience.AGENT,
    PushKind.VIOLATION: Audience.AGENT,
    PushKind.DEAL: Audience.AGENT,
    PushKind.DEAL_VOIDED: Audience.AGENT,
    PushKind.CLAIM: Audience.STAFF,
    PushKind.MORNING_DIGEST: Audience.STAFF,
    PushKind.STAFF_CHART: Audience.STAFF,
    PushKind.ROSTER: Audience.OWN_BINDING,
}


@dataclass(frozen=True)
class Standing:
    """What the recipient's openid is at send time."""

    bound_agent: bool = False  # an agent row not unbound
    staff_posts: int = 0  # staff rows (posts) left, over all projects


NOBODY = Standing()


@dataclass(frozen=True)
class Entitlement:
    """The ruling: send, or settle as withheld with ``why`` (English, for the operator)."""

    ok: bool
    rule: str = RULE
    why: str = ""


def entitled(kind: str, standing: Standing) -> Entitlement:
    """May a push of ``kind`` still go to a recipient of this ``standing``?

    An agent's push needs a bound agent; a staff push needs a staff post left; a roster
    notice goes to the very person unbound (it tells them so). A kind of unknown audience
    goes, as it did before this rule.
    """
    audience = AUDIENCE.get(kind)
    if audience == Audience.AGENT and not standing.bound_agent:
        return Entitlement(False, why="withheld: the recipient is no bound agent any more")
    if audience == Audience.STAFF and standing.staff_posts <= 0:
        return Entitlement(False, why="withheld: the recipient has no staff post left")
    return Entitlement(True)
