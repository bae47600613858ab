"""The status words the rules judge and the database stores, each defined once.

``StrEnum`` members are the very strings already stored (``filed``, ``visited`` ...), so
rows written before these types existed read back unchanged and no migration is needed;
a typo in a status is now a name error instead of a silent mismatch.
"""

from __future__ import annotations

from enum import StrEnum


class FilingStatus(StrEnum):
    """A filing's status. ``LAPSED`` is never stored: a filed client whose protection has
    ended is lapsed by the clock (R4, ``rules.effective_status``)."""

    FILED = "filed"
    ARRIVED = "arrived"  # the desk registered its arrival; a manager has yet to rule (R5)
    VISITED = "visited"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"


#: The statuses under which a filing still protects its client (R4, R5); an arrived one
#: holds it until the manager rules, whatever its filing protection's end.
PROTECTING = frozenset({FilingStatus.FILED, FilingStatus.ARRIVED, FilingStatus.VISITED})


class ClientStatus(StrEnum):
    """What a project's client record says (R3): who, if anyone, may file them."""

    FILED = "filed"  # a filing protects the client
    ARRIVED = "arrived"  # a pending arrival holds the client for its filing until ruled (R5)
    VISITED = "visited"  # a confirmed visit protects the client (or did: then 公客, R8)
    KNOWN = "known"  # the case site's own: natural visit, import, own, referral, partner


class DistributorStatus(StrEnum):
    """A distributor's standing; only an active one may file (R3)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    BLACKLISTED = "blacklisted"


class ProtectionKind(StrEnum):
    """What a protection row protects by (R4-R7): the filing's, or a confirmed visit's and
    its bulk extension or renewal. Each kind is one row; the client's end is the latest."""

    FILING = "filing"
    VISIT = "visit"
    BULK = "bulk"
    RENEWAL = "renewal"


class ProtectionEnd(StrEnum):
    """Why a protection row stopped protecting before or at its end (``ended_reason``)."""

    LAPSED = "lapsed"  # R4: a filing protection ran out unvisited
    EXPIRED = "expired"  # R8: a visit (bulk, renewal) protection ran out; the client is 公客
    CANCELLED = "cancelled"  # the agent withdrew the filing
    SUPERSEDED = "superseded"  # a later protection of the same client took over
    DEALT = "dealt"  # a deal closed it (R9/R10)
    REJECTED = "rejected"  # R5: the manager rejected the arrival: a natural visit
    TERMINATED = "terminated"  # R11: its distributor was blacklisted; ran out at that moment


#: Closed rows that still speak for the client (R4, R8): a protection that ran out leaves
#: its owner and end behind (a lapsed filing is nobody's, an expired visit is 公客, and
#: the rulings say until when); one cancelled, superseded or rejected leaves nothing.
#: A row ended by its distributor's blacklisting (R11) ran out at that moment (its
#: ``ends_at`` is set to the instant before it): it protected until then, and history
#: before it stands.
RAN_OUT = (ProtectionEnd.LAPSED, ProtectionEnd.EXPIRED, ProtectionEnd.TERMINATED)


class PushKind(StrEnum):
    """What a push says (``pushes.kind``); the config maps a kind to a template, else it
    goes as a customer-service text. Defined here because the reminder rules name them."""

    FILING_LAPSE_REMINDER = "filing_lapse_reminder"  # R4: N days before the end
    FILING_LAPSED = "filing_lapsed"  # R4: the day after the end
    VISIT_END_REMINDER = "visit_end_reminder"  # R8: 7 and 1 days before the end
    VISIT_ENDED = "visit_ended"  # R8: the day after the end (公客)
    RULING = "ruling"  # an answer to someone's act (approval, ruling): at once
    CLAIM = "claim"  # R10: a new 撞单, told to the project's managers at once
    VIOLATION = "violation"  # R11: a manager's record of a violation, to the distributor's agents
    MORNING_DIGEST = "morning_digest"  # a manager's morning: pending approvals, today's visits
    DEAL = "deal"  # R9: a deal attributed to the agent's company, at once
    DEAL_VOIDED = "deal_voided"  # R9: that deal voided by 退定, at once
    STAFF_TAG = "staff_tag"  # not a message: the sender tags a bound staff member (their menu)
    ROSTER = "roster"  # the channel team changed an agent's binding or filings (R12): at once
    STAFF_CHART = "staff_chart"  # a manager's 统计: the week's funnel chart, as an image


#: Outbox rows that are no message to anyone: no template, no text, never "undelivered" words.
NOT_MESSAGES = frozenset({PushKind.STAFF_TAG})

#: Outbox rows sent as a customer-service image (drawn and uploaded by the sender), never
#: as a template or a text: WeChat's templates carry no pictures.
IMAGE_KINDS = frozenset({PushKind.STAFF_CHART})


#: The reminders: dropped, never sent, when their protection ends before they go out.
REMINDER_KINDS = frozenset({PushKind.FILING_LAPSE_REMINDER, PushKind.VISIT_END_REMINDER})


class Role(StrEnum):
    """Who may run a command: an agent of a distributor, or case-site staff of a project.

    Staff values are the ``staff.role`` strings stored today (``frontdesk``, ``manager``).
    One WeChat user is an agent or staff, never both (R12); staff may serve several projects.
    """

    AGENT = "agent"
    FRONTDESK = "frontdesk"
    MANAGER = "manager"


#: Every staff role: a front desk registers arrivals, a manager also approves (R5).
STAFF_ROLES = frozenset({Role.FRONTDESK, Role.MANAGER})
