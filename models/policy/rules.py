"""The rules themselves (R1-R5, R12): each ``decide_*`` turns plain facts into a ruling.

Nothing here does I/O or reads a clock: ``now`` and the time zone are arguments, so every
worked example of the rule book is a unit test of a sentence. A ruling carries the rule
that decided it, a machine-readable reason and, through ``explanation()``, the rule's own
words (``wording.py``); ``handlers/replies.py`` wraps it for the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.dates import ceil_to_minute, filing_protection_end, whole_minute
from models.policy.states import PROTECTING, RAN_OUT, ClientStatus, DistributorStatus, FilingStatus
from models.policy.values import Policy
from models.policy.wording import STATUS_WORDS, Reason, explain

RULE_OF: dict[Reason, str] = {
    Reason.ACCEPTED: "R1",
    Reason.DISTRIBUTOR_NOT_ALLOWED: "R3",
    Reason.PROTECTED_BY_OTHER: "R3",
    Reason.ALREADY_YOURS: "R3",
    Reason.KNOWN_TO_SITE: "R3",
    Reason.NOTICE_TOO_SHORT: "R2",
    Reason.ARRIVAL_AFTER_PROTECTION: "R4",
    Reason.ARRIVAL_IN_PAST: "R5",
    Reason.CAP_REACHED: "L1",  # a product limit, not a rule of the seeds (docs/rules.md L1)
    Reason.NOT_YOURS: "R12",
    Reason.NOT_PROTECTED: "R4",
    Reason.CANCELLED: "R4",
    Reason.NOTHING_TO_CANCEL: "R4",
    Reason.ALREADY_VISITED: "R5",
    Reason.VISIT_PROTECTION_ENDED: "R8",
    Reason.ARRIVAL_PENDING: "R5",
    Reason.BIND_STAFF_AS_AGENT: "R12",
    Reason.BIND_AGENT_AS_STAFF: "R12",
    Reason.REBOUND: "R12",
}


@dataclass(frozen=True)
class Ruling:
    """Accepted or not, the rule that decided it, and the facts it names."""

    reason: Reason
    protected_until: datetime | None = None  # R3/R4: the protection that stands
    earliest: datetime | None = None  # R2: the earliest arrival that would be valid
    known_source: str | None = None  # R3: why the case site knows the client
    status: str | None = None  # NOT_PROTECTED: the filing's status as seen by the agent
    notice: timedelta | None = None  # NOTICE_TOO_SHORT: the notice that was required
    rule_code: str | None = None  # when the deciding rule is not the reason's usual one
    visited: bool = False  # the protection named is a visit's (R5), not a filing's (R4)
    limit: int | None = None  # CAP_REACHED: the cap the agent reached
    resumed: bool = False  # R4: the end date is a cancelled filing's, given back
    held: bool = False  # R5: a pending arrival holds the client until a manager rules

    @property
    def ok(self) -> bool:
        return self.reason is Reason.ACCEPTED

    @property
    def rule(self) -> str:
        return self.rule_code or RULE_OF[self.reason]

    def explanation(self) -> str:
        """The ruling in the rule book's words (Chinese): kept in the log, shown to users."""
        return explain(self)


# ---------------------------------------------------------------- filing (R1-R4)


def check_advance_notice(
    filed_at: datetime, arrival_at: datetime, remote: bool, policy: Policy
) -> Ruling:
    """R2: local 1 hour, out-of-town 24 hours before arrival; exactly on the limit is valid.

    In whole minutes (``whole_minute``): filed 14:00:59 for a local arrival at 15:00 is
    60 minutes of notice, valid; filed 14:01:00 is 59, refused with "earliest 15:01".
    """
    notice = policy.notice_for(remote)
    filed_minute = whole_minute(filed_at)
    if arrival_at - filed_minute >= notice:
        return Ruling(Reason.ACCEPTED)
    # shown in the zone the arrival was given in: the project's, as the agent typed it
    earliest = ceil_to_minute((filed_minute + notice).astimezone(arrival_at.tzinfo))
    return Ruling(Reason.NOTICE_TOO_SHORT, earliest=earliest, notice=notice)


@dataclass(frozen=True)
class ClientState:
    """What the project already knows of a client (name + mask), as read before a filing.

    ``state`` is a ``ClientStatus``: filed, visited or known to the case site.
    """

    state: str
    owner_distributor_id: int | None = None
    protected_until: datetime | None = None
    known_source: str | None = None


@dataclass(frozen=True)
class ProtectionFacts:
    """One protection row as the rule choosing the client's current one sees it."""

    id: int
    distributor_id: int
    agent_id: int
    ends_at: datetime
    ended_reason: str | None
    held: bool = False  # superseded by its filing's arrival, which awaits the manager


def current_protection(rows: Sequence[ProtectionFacts]) -> ProtectionFacts | None:
    """R3: the client's current protection, the one source of its owner and end.

    The open row (``ended_reason`` unset) that ends last, else the closed row that ran
    out (``RAN_OUT``: lapsed, expired) or is held (a filing's row superseded by its
    arrival while the manager has not ruled: the client is ARRIVED, still the filing
    distributor's) that ends last; ties go to the newest row. Whether
    it still protects is then judged at the message's own time (``is_protected``): an open
    row past its end protects nobody even before the end job closes it, and a bulk
    extension or renewal that starts the day after the current end is already the
    client's end (the client is never unprotected in between). Rows cancelled,
    superseded or rejected leave nothing behind. ``models.push_entities.current_of`` is
    the same rule in SQL: keep the two in step.
    """
    best: ProtectionFacts | None = None
    for row in rows:
        if row.ended_reason is not None and row.ended_reason not in RAN_OUT and not row.held:
            continue
        key = (row.ended_reason is None, row.ends_at, row.id)
        if best is None or key > (best.ended_reason is None, best.ends_at, best.id):
            best = row
    return best


def is_protected(protected_until: datetime | None, now: datetime) -> bool:
    """A protection holds through the last instant of its end day (R4, R5)."""
    return protected_until is not None and now <= protected_until


def decide_ownership(
    existing: ClientState | None, distributor_id: int, now: datetime, policy: Policy
) -> Ruling:
    """R3: one owner at a time; R4: a lapsed filing is nobody's; R8: expiry makes 公客."""
    if existing is None:
        return Ruling(Reason.ACCEPTED)
    if existing.state == ClientStatus.KNOWN:
        return Ruling(Reason.KNOWN_TO_SITE, known_source=existing.known_source)
    if existing.state == ClientStatus.ARRIVED:  # held until the manager rules (R5)
        if existing.owner_distributor_id == distributor_id:
            return Ruling(Reason.ALREADY_YOURS, held=True)
        return Ruling(Reason.PROTECTED_BY_OTHER, held=True)
    if is_protected(existing.protected_until, now):
        if existing.owner_distributor_id == distributor_id:
            return Ruling(Reason.ALREADY_YOURS, protected_until=existing.protected_until)
        return Ruling(Reason.PROTECTED_BY_OTHER, protected_until=existing.protected_until)
    if existing.state == ClientStatus.VISITED and not policy.expired_refile:
        return Ruling(Reason.KNOWN_TO_SITE, known_source="public")
    return Ruling(Reason.ACCEPTED)


@dataclass(frozen=True)
class FilingFacts:
    """Everything a filing ruling needs, read in one query before the write."""

    distributor_id: int
    distributor_status: str  # a DistributorStatus
    remote: bool
    arrival_at: datetime
    existing: ClientState | None
    open_filings: int = 0
    # R4: this distributor cancelled a filing of this client that would have protected it
    # until then (the latest such end; None if it never cancelled one)
    cancelled_until: datetime | None = None


def resumed_protection(cancelled_until: datetime | None, until: datetime, now: datetime) -> bool:
    """R4: filing again within the protection of a filing the same distributor cancelled
    gives that filing's end date back, never a later one. Filed 11-22 10:00 (until 11-29),
    cancelled and filed again on 11-29 -> until 11-29, not 12-06; from 11-30 a new filing
    starts its own protection ("相关渠道需要重新报备")."""
    return cancelled_until is not None and now <= cancelled_until <= until


def decide_filing(facts: FilingFacts, now: datetime, policy: Policy, tz: ZoneInfo) -> Ruling:
    """R1-R4 in the order an agent would want to hear them.

    Who may file first (R3's blacklist), then whether the client is free (R3), then the
    advance notice (R2: an arrival already past is told so, not given a notice to keep),
    then whether the visit falls inside the protection (R4), last the per-agent cap (L1,
    a product limit; 0 = off).
    """
    if facts.distributor_status != DistributorStatus.ACTIVE:
        return Ruling(Reason.DISTRIBUTOR_NOT_ALLOWED)
    ownership = decide_ownership(facts.existing, facts.distributor_id, now, policy)
    if not ownership.ok:
        return ownership
    notice = check_advance_notice(now, facts.arrival_at, facts.remote, policy)
    if not notice.ok:
        if facts.arrival_at < now.replace(second=0, microsecond=0):  # an earlier minute
            return Ruling(Reason.ARRIVAL_IN_PAST, earliest=notice.earliest, rule_code="R2")
        return notice
    until = filing_protection_end(now, policy, tz)
    resumed = resumed_protection(facts.cancelled_until, until, now)
    if resumed:
        until = facts.cancelled_until or until
    if facts.arrival_at > until:
        return Ruling(Reason.ARRIVAL_AFTER_PROTECTION, protected_until=until)
    if policy.max_open_filings and facts.open_filings >= policy.max_open_filings:
        return Ruling(Reason.CAP_REACHED, limit=policy.max_open_filings)
    if resumed:
        return Ruling(Reason.ACCEPTED, protected_until=until, rule_code="R4", resumed=True)
    return Ruling(Reason.ACCEPTED, protected_until=until)


# ---------------------------------------------------------------- visit report (R2, R5)


@dataclass(frozen=True)
class FilingState:
    """A filing as the visit and cancel rules see it."""

    agent_id: int
    distributor_id: int  # the distributor it was filed for: it keeps the client (R3)
    status: str  # a stored FilingStatus: filed | visited | refused | cancelled
    filed_at: datetime
    remote: bool
    protected_until: datetime | None


@dataclass(frozen=True)
class Actor:
    """The agent who sends a command and the distributor they are bound to now."""

    agent_id: int
    distributor_id: int


def acts_for(filing: FilingState, actor: Actor) -> bool:
    """R12: a filing is its agent's to see, report and cancel, and to be told about, only
    while that agent is still bound to the distributor it was filed for. An agent who
    changes company leaves the old company's filings (and clients) behind."""
    return filing.agent_id == actor.agent_id and filing.distributor_id == actor.distributor_id


def effective_status(filing: FilingState, now: datetime) -> FilingStatus:
    """A filed client not visited by the end of its protection has lapsed (R4).

    Derived from the clock rather than stored, so no job has to run for it to be true.
    """
    until = filing.protected_until
    if filing.status == FilingStatus.FILED and until is not None and not is_protected(until, now):
        return FilingStatus.LAPSED
    return FilingStatus(filing.status)


def decide_visit_report(
    filing: FilingState | None, actor: Actor, at: datetime, now: datetime, policy: Policy
) -> Ruling:
    """R5's visit report: the sender's, still protected, on time by R2, inside protection.

    A re-visit of a visited client needs no notice (R2) but must fall in its visit
    protection; once that has ended the client is the case site's (R8), which is said so
    rather than called the end of a filing protection.
    A number that names no filing (None) and another's filing get the same answer (R12).
    The past is counted in whole minutes too: sent 14:05:40 with slack 5, a visit "at
    14:00" is not in the past (14:05 - 5 minutes = 14:00).
    """
    if filing is None or not acts_for(filing, actor):
        return Ruling(Reason.NOT_YOURS)
    status = effective_status(filing, now)
    if status not in PROTECTING:
        return Ruling(Reason.NOT_PROTECTED, status=STATUS_WORDS.get(status, status))
    if status is FilingStatus.ARRIVED:
        return Ruling(Reason.ARRIVAL_PENDING)
    visited = status is FilingStatus.VISITED
    if visited and not is_protected(filing.protected_until, now):
        public = None if policy.expired_refile else "public"
        return Ruling(
            Reason.VISIT_PROTECTION_ENDED,
            protected_until=filing.protected_until,
            known_source=public,
            visited=True,
        )
    if at < whole_minute(now) - timedelta(minutes=policy.visit_slack_minutes):
        return Ruling(Reason.ARRIVAL_IN_PAST)
    if status is FilingStatus.FILED:
        notice = check_advance_notice(filing.filed_at, at, filing.remote, policy)
        if not notice.ok:
            return notice
    if filing.protected_until is not None and at > filing.protected_until:
        return Ruling(
            Reason.ARRIVAL_AFTER_PROTECTION,
            protected_until=filing.protected_until,
            rule_code="R5" if visited else None,
            visited=visited,
        )
    return Ruling(Reason.ACCEPTED, protected_until=filing.protected_until, rule_code="R5")


def decide_cancel(filing: FilingState | None, actor: Actor, now: datetime) -> Ruling:
    """An agent may withdraw their own filing while it is still only filed.

    One that no longer protects anyone (cancelled already, lapsed, refused) has nothing
    to withdraw: the agent hears its status, not advice to file again. No filing (None)
    and another's filing get the same answer (R12); what a cancel frees for the same
    distributor is limited by ``resumed_protection`` (R4).
    """
    if filing is None or not acts_for(filing, actor):
        return Ruling(Reason.NOT_YOURS)
    status = effective_status(filing, now)
    if status in (FilingStatus.VISITED, FilingStatus.ARRIVED):
        return Ruling(Reason.ALREADY_VISITED)
    if status is not FilingStatus.FILED:
        return Ruling(Reason.NOTHING_TO_CANCEL, status=STATUS_WORDS.get(status, status))
    return Ruling(Reason.CANCELLED)


# ---------------------------------------------------------------- privacy (R1, R12)


def mask_phone(digits: str) -> str:
    """R1: keep the first 3 and last 4 digits: "138 1234 5678" (11 digits) -> 138****5678."""
    return f"{digits[:3]}****{digits[-4:]}"


def mask_matches(phone_mask: str, full_phone: str) -> bool:
    """At arrival the full number is decisive; it must agree with the filed mask."""
    return len(full_phone) == 11 and mask_phone(full_phone) == phone_mask
