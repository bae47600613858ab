"""The rule book (../shared/domain.md R1-R12) as pure functions over plain values.

Nothing here does I/O or reads a clock: ``now`` and the time zone are arguments, so every
worked example of the rule book is a unit test of a sentence. Each decision carries the
rule that decided it, a machine-readable reason and the rule's own explanation (Chinese,
the wording of the ruling as it is kept in the decision log); ``handlers/replies.py``
wraps it for the conversation.

All instants are time-zone aware. Day arithmetic happens in the project's time zone:
"7 days from the next day" ends at 23:59:59.999999 local time of the 7th day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

END_OF_DAY = time(23, 59, 59, 999999)


class PolicyError(ValueError):
    """A policy value is unknown or of the wrong type; the message names the key."""


@dataclass(frozen=True)
class Policy:
    """A project's policy values (domain.md, "Policy parameters"); 0 switches a limit off.

    A ruling keeps the ``as_dict()`` of the values it was made under, so a later policy
    change never rewrites history.
    """

    local_notice_minutes: int = 60
    remote_notice_hours: int = 24
    filing_protection_days: int = 7
    visit_protection_days: int = 45
    bulk_extension_days: int = 45
    renewal_window_days: int = 7
    claim_window_days: int = 3
    max_open_filings: int = 0
    expired_refile: bool = False
    visit_slack_minutes: int = 5

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Policy:
        """Build from stored or typed values, naming the first bad key."""
        known = {f.name: f for f in fields(cls)}
        clean: dict[str, Any] = {}
        for key, value in (values or {}).items():
            if key not in known:
                raise PolicyError(f"unknown policy key: {key}")
            want = bool if known[key].type in ("bool", bool) else int
            clean[key] = _coerce(key, value, want)
        return cls(**clean)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def notice_for(self, remote: bool) -> timedelta:
        """R2: how long before arrival a client must be filed (or a visit reported)."""
        if remote:
            return timedelta(hours=self.remote_notice_hours)
        return timedelta(minutes=self.local_notice_minutes)


def parse_flag(value: Any) -> bool | None:
    """A yes/no as people type it in a TOML file, an environment or ``--set``; None if not."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


def _coerce(key: str, value: Any, want: type) -> Any:
    if want is bool:
        flag = parse_flag(value)
        if flag is None:
            raise PolicyError(f"policy key {key} must be true or false, got {value!r}")
        return flag
    try:
        number = int(str(value).strip())
    except ValueError:
        raise PolicyError(f"policy key {key} must be a whole number, got {value!r}") from None
    if number < 0:
        raise PolicyError(f"policy key {key} must not be negative, got {number}")
    return number


class Reason(Enum):
    """Why a decision came out as it did. The value is the machine-readable code."""

    ACCEPTED = "accepted"
    DISTRIBUTOR_NOT_ALLOWED = "distributor_not_allowed"
    PROTECTED_BY_OTHER = "protected_by_other"
    ALREADY_YOURS = "already_yours"
    KNOWN_TO_SITE = "known_to_site"
    NOTICE_TOO_SHORT = "notice_too_short"
    ARRIVAL_AFTER_PROTECTION = "arrival_after_protection"
    ARRIVAL_IN_PAST = "arrival_in_past"
    CAP_REACHED = "cap_reached"
    NOT_YOURS = "not_yours"
    NOT_PROTECTED = "not_protected"
    CANCELLED = "cancelled"
    ALREADY_VISITED = "already_visited"


RULE_OF: dict[Reason, str] = {
    Reason.ACCEPTED: "R1",
    Reason.DISTRIBUTOR_NOT_ALLOWED: "R3",
    Reason.PROTECTED_BY_OTHER: "R3",
    Reason.ALREADY_YOURS: "R3",
    Reason.KNOWN_TO_SITE: "R3",
    Reason.NOTICE_TOO_SHORT: "R2",
    Reason.ARRIVAL_AFTER_PROTECTION: "R4",
    Reason.ARRIVAL_IN_PAST: "R5",
    Reason.CAP_REACHED: "R1",
    Reason.NOT_YOURS: "R12",
    Reason.NOT_PROTECTED: "R4",
    Reason.CANCELLED: "R4",
    Reason.ALREADY_VISITED: "R5",
}

KNOWN_SOURCES: dict[str, str] = {
    "natural_visit": "已有自然到访记录",
    "public": "已是案场公客",
    "import": "销售系统内已有来电来访记录",
    "own": "属案场自拓客户",
    "referral": "属老带新客户",
    "partner": "属其他合作伙伴客户",
}


@dataclass(frozen=True)
class Decision:
    """A ruling: accepted or not, the rule that decided it, and the facts it names."""

    reason: Reason
    protected_until: datetime | None = None  # R3/R4: the protection that stands
    earliest: datetime | None = None  # R2: the earliest arrival that would be valid
    known_source: str | None = None  # R3: why the case site knows the client
    status: str | None = None  # NOT_PROTECTED: the filing's status as seen by the agent
    notice: timedelta | None = None  # NOTICE_TOO_SHORT: the notice that was required
    rule_code: str | None = None  # when the deciding rule is not the reason's usual one

    @property
    def ok(self) -> bool:
        return self.reason is Reason.ACCEPTED

    @property
    def rule(self) -> str:
        return self.rule_code or RULE_OF[self.reason]

    def explanation(self) -> str:
        """The ruling in the rule book's words (Chinese): kept in the log, shown to users."""
        return _EXPLAIN[self.reason](self)


def _fmt_day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "?"


def _fmt_minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def _fmt_span(span: timedelta | None) -> str:
    if span is None:
        return "?"
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes}分钟"
    return f"{minutes // 60}小时"


_EXPLAIN: dict[Reason, Callable[[Decision], str]] = {
    Reason.ACCEPTED: lambda d: (
        f"符合报备规则，保护至 {_fmt_day(d.protected_until)}" if d.protected_until else "符合规则"
    ),
    Reason.DISTRIBUTOR_NOT_ALLOWED: lambda d: "所属分销商已被暂停合作或列入黑名单，不能报备",
    Reason.PROTECTED_BY_OTHER: lambda d: (
        f"该客户已由其他渠道报备，保护至 {_fmt_day(d.protected_until)}"
    ),
    Reason.ALREADY_YOURS: lambda d: (
        f"该客户已由贵司报备，保护至 {_fmt_day(d.protected_until)}，重复报备不延长保护期"
    ),
    Reason.KNOWN_TO_SITE: lambda d: (
        f"该客户{KNOWN_SOURCES.get(d.known_source or '', '已为案场已知客户')}，不属于渠道客户"
    ),
    Reason.NOTICE_TOO_SHORT: lambda d: (
        f"报备须在客户到访前至少{_fmt_span(d.notice)}，最早可到访时间 {_fmt_minute(d.earliest)}"
    ),
    Reason.ARRIVAL_AFTER_PROTECTION: lambda d: (
        f"到访时间晚于报备保护期（保护至 {_fmt_day(d.protected_until)}）"
    ),
    Reason.ARRIVAL_IN_PAST: lambda d: "到访时间已过",
    Reason.CAP_REACHED: lambda d: "未到访的报备数量已达上限，请先带看或取消部分报备",
    Reason.NOT_YOURS: lambda d: "您名下没有这条报备",
    Reason.NOT_PROTECTED: lambda d: f"该报备{d.status or '已失效'}，不在保护期内，请重新报备",
    Reason.CANCELLED: lambda d: "报备已取消",
    Reason.ALREADY_VISITED: lambda d: "客户已到访，报备不能取消",
}


# ---------------------------------------------------------------- dates (R4-R8, R10)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of ``day`` in ``tz``: protections end "at 23:59:59" of a day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def filing_protection_end(filed_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R4: 自次日起7天: filed 11-22 10:00 -> protected until 11-29 23:59:59."""
    return end_of_day(local_day(filed_at, tz) + timedelta(days=policy.filing_protection_days), tz)


def visit_protection_end(arrived_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R5: 45 days, the arrival day is day 1: visited 11-22 -> until 01-05 23:59:59."""
    days = max(policy.visit_protection_days - 1, 0)
    return end_of_day(local_day(arrived_at, tz) + timedelta(days=days), tz)


def bulk_extension_end(current_end: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R6: +45 days once: until 01-05 -> until 02-19 23:59:59."""
    return end_of_day(local_day(current_end, tz) + timedelta(days=policy.bulk_extension_days), tz)


def renewal_window_start(current_end: datetime, policy: Policy, tz: ZoneInfo) -> date | None:
    """R7: the last N days of protection, the end day included (None when off)."""
    if policy.renewal_window_days <= 0:
        return None
    return local_day(current_end, tz) - timedelta(days=policy.renewal_window_days - 1)


def renewed_end(
    current_end: datetime, revisit_at: datetime, policy: Policy, tz: ZoneInfo
) -> datetime | None:
    """R7: a confirmed re-visit inside the window renews from the day after the old end.

    Returns the new end, or None when the re-visit is outside the window (nothing changes).
    """
    start = renewal_window_start(current_end, policy, tz)
    visit_day = local_day(revisit_at, tz)
    if start is None or not (start <= visit_day <= local_day(current_end, tz)):
        return None
    return end_of_day(local_day(current_end, tz) + timedelta(days=policy.visit_protection_days), tz)


def claim_deadline(deal_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R10: 3 days, the deal day is day 1: deal 12-01 -> claims until 12-03 23:59:59."""
    days = max(policy.claim_window_days - 1, 0)
    return end_of_day(local_day(deal_at, tz) + timedelta(days=days), tz)


def reminder_days(protection_end: datetime, lead_days: tuple[int, ...], tz: ZoneInfo) -> list[date]:
    """R8: the days a reminder goes out, N days before the end day (7 and 1 by default)."""
    end_day = local_day(protection_end, tz)
    return [end_day - timedelta(days=n) for n in lead_days if n > 0]


# ---------------------------------------------------------------- filing (R1-R4)


def ceil_to_minute(moment: datetime) -> datetime:
    """Arrival times are typed to the minute, so an earliest time is shown rounded up."""
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def check_advance_notice(
    filed_at: datetime, arrival_at: datetime, remote: bool, policy: Policy
) -> Decision:
    """R2: local 1 hour, out-of-town 24 hours before arrival; exactly on the limit is valid."""
    notice = policy.notice_for(remote)
    if arrival_at - filed_at >= notice:
        return Decision(Reason.ACCEPTED)
    # shown in the zone the arrival was given in: the project's, as the agent typed it
    earliest = ceil_to_minute((filed_at + notice).astimezone(arrival_at.tzinfo))
    return Decision(Reason.NOTICE_TOO_SHORT, earliest=earliest, notice=notice)


@dataclass(frozen=True)
class ClientState:
    """What the project already knows of a client (name + mask), as read before a filing.

    ``state``: ``filed`` (a filing protects it), ``visited`` (a confirmed visit protects
    it), ``known`` (the case site's: natural visit, import, own, referral, partner).
    """

    state: str
    owner_distributor_id: int | None = None
    protected_until: datetime | None = None
    known_source: str | None = None


def is_protected(protected_until: datetime | None, now: datetime) -> bool:
    """A protection holds through the last instant of its end day (R4, R5)."""
    return protected_until is not None and now <= protected_until


def decide_ownership(
    existing: ClientState | None, distributor_id: int, now: datetime, policy: Policy
) -> Decision:
    """R3: one owner at a time; R4: a lapsed filing is nobody's; R8: expiry makes 公客."""
    if existing is None:
        return Decision(Reason.ACCEPTED)
    if existing.state == "known":
        return Decision(Reason.KNOWN_TO_SITE, known_source=existing.known_source)
    if is_protected(existing.protected_until, now):
        if existing.owner_distributor_id == distributor_id:
            return Decision(Reason.ALREADY_YOURS, protected_until=existing.protected_until)
        return Decision(Reason.PROTECTED_BY_OTHER, protected_until=existing.protected_until)
    if existing.state == "visited" and not policy.expired_refile:
        return Decision(Reason.KNOWN_TO_SITE, known_source="public")
    return Decision(Reason.ACCEPTED)


@dataclass(frozen=True)
class FilingFacts:
    """Everything a filing decision needs, read in one query before the write."""

    distributor_id: int
    distributor_status: str  # active | suspended | blacklisted
    remote: bool
    arrival_at: datetime
    existing: ClientState | None
    open_filings: int = 0


def decide_filing(facts: FilingFacts, now: datetime, policy: Policy, tz: ZoneInfo) -> Decision:
    """R1-R4 in the order an agent would want to hear them.

    Who may file first (R3's blacklist), then whether the client is free (R3), then the
    advance notice (R2), then whether the visit falls inside the protection (R4), last the
    per-agent cap (a product limit; 0 = off).
    """
    if facts.distributor_status != "active":
        return Decision(Reason.DISTRIBUTOR_NOT_ALLOWED)
    ownership = decide_ownership(facts.existing, facts.distributor_id, now, policy)
    if not ownership.ok:
        return ownership
    notice = check_advance_notice(now, facts.arrival_at, facts.remote, policy)
    if not notice.ok:
        return notice
    until = filing_protection_end(now, policy, tz)
    if facts.arrival_at > until:
        return Decision(Reason.ARRIVAL_AFTER_PROTECTION, protected_until=until)
    if policy.max_open_filings and facts.open_filings >= policy.max_open_filings:
        return Decision(Reason.CAP_REACHED)
    return Decision(Reason.ACCEPTED, protected_until=until)


# ---------------------------------------------------------------- visit report (R2, R5)

STATUS_WORDS = {"refused": "未通过", "cancelled": "已取消", "lapsed": "已失效"}


@dataclass(frozen=True)
class FilingState:
    """A filing as the visit and cancel rules see it."""

    agent_id: int
    status: str  # filed | visited | refused | cancelled
    filed_at: datetime
    remote: bool
    protected_until: datetime | None


def effective_status(filing: FilingState, now: datetime) -> str:
    """A filed client not visited by the end of its protection has lapsed (R4).

    Derived from the clock rather than stored, so no job has to run for it to be true.
    """
    until = filing.protected_until
    if filing.status == "filed" and until is not None and not is_protected(until, now):
        return "lapsed"
    return filing.status


def decide_visit_report(
    filing: FilingState, agent_id: int, at: datetime, now: datetime, policy: Policy
) -> Decision:
    """R5's visit report: the sender's, still protected, on time by R2, inside protection.

    A re-visit of a visited client needs no notice (R2) but must fall in its protection.
    """
    if filing.agent_id != agent_id:
        return Decision(Reason.NOT_YOURS)
    status = effective_status(filing, now)
    if status not in ("filed", "visited"):
        return Decision(Reason.NOT_PROTECTED, status=STATUS_WORDS.get(status, status))
    if at < now - timedelta(minutes=policy.visit_slack_minutes):
        return Decision(Reason.ARRIVAL_IN_PAST)
    if status == "filed":
        notice = check_advance_notice(filing.filed_at, at, filing.remote, policy)
        if not notice.ok:
            return notice
    if filing.protected_until is not None and at > filing.protected_until:
        return Decision(Reason.ARRIVAL_AFTER_PROTECTION, protected_until=filing.protected_until)
    return Decision(Reason.ACCEPTED, protected_until=filing.protected_until, rule_code="R5")


def decide_cancel(filing: FilingState, agent_id: int, now: datetime) -> Decision:
    """An agent may withdraw their own filing while it is still only filed."""
    if filing.agent_id != agent_id:
        return Decision(Reason.NOT_YOURS)
    status = effective_status(filing, now)
    if status == "visited":
        return Decision(Reason.ALREADY_VISITED)
    if status != "filed":
        return Decision(Reason.NOT_PROTECTED, status=STATUS_WORDS.get(status, status))
    return Decision(Reason.CANCELLED)


# ---------------------------------------------------------------- privacy (R1, R12)


def mask_phone(digits: str) -> str:
    """R1: keep the first 3 and last 4 digits: "138 1234 5678" (11 digits) -> 138****5678."""
    return f"{digits[:3]}****{digits[-4:]}"


def mask_matches(phone_mask: str, full_phone: str) -> bool:
    """At arrival the full number is decisive; it must agree with the filed mask."""
    return len(full_phone) == 11 and mask_phone(full_phone) == phone_mask
