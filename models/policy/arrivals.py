"""An arrival registered at the case site, ruled (R2, R3, R4, R5, R8 at arrival).

The front desk registers who came and when; the policy proposes ``valid`` (a channel
visit of the filing) or ``natural`` (自然到访) with the rule that decided it and why. A
proposal the manager may still change (valid, or R2's "原则上" exception) waits for the
manager and holds the client meanwhile; one nothing could change (no filing protected the
client at the arrival time, or the site knew the client) is a natural visit at once.

Worked examples (docs/rules.md, R2 at arrival):
- local, filed 11-22 14:10, arrives 15:00 -> 50 minutes -> natural ("提前报备不足", R2);
- local, filed 14:00, arrives 15:00 -> exactly 60 minutes -> valid (R5);
- out-of-town, filed 11-21 16:00, arrives 11-22 15:00 -> 23 hours -> natural (R2);
  arrives 11-22 16:00 -> exactly 24 hours -> valid;
- filed 11-22 10:00 (protected until 11-29), arrives 11-30 10:00 -> natural ("报备已失效", R4);
- a client the site knew (a natural visit, 公客, an imported record) -> natural (R3);
- no filing matches (a walk-in) -> natural (R5: unfiled).

Pure: ``now`` and the arrival time are arguments; nothing here reads a clock or a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from models.policy.dates import whole_minute
from models.policy.rules import FilingState, is_protected
from models.policy.states import FilingStatus
from models.policy.values import Policy
from models.policy.wording import KNOWN_SOURCES, STATUS_WORDS, known_to_site_words, span_words

VALID, NATURAL = "valid", "natural"  # the ``ProposedRuling`` values stored in ``arrivals``


class ArrivalReason(Enum):
    """Why an arrival was proposed valid or natural (stored in ``proposed_reason``)."""

    VALID_VISIT = "valid_visit"  # the first visit of a filing, in time (R2, R5)
    VALID_REVISIT = "valid_revisit"  # a re-visit within the visit protection (R7)
    NOTICE_TOO_SHORT = "notice_too_short"  # R2 at arrival
    FILING_LAPSED = "filing_lapsed"  # R4: lapsed by the arrival time
    FILING_NOT_PROTECTING = "filing_not_protecting"  # refused or cancelled filing (R4)
    VISIT_PROTECTION_ENDED = "visit_protection_ended"  # R8: 公客
    KNOWN_TO_SITE = "known_to_site"  # R3
    WALK_IN = "walk_in"  # no filing: a natural visit (R5)


RULE_OF_ARRIVAL: dict[ArrivalReason, str] = {
    ArrivalReason.VALID_VISIT: "R5",
    ArrivalReason.VALID_REVISIT: "R7",
    ArrivalReason.NOTICE_TOO_SHORT: "R2",
    ArrivalReason.FILING_LAPSED: "R4",
    ArrivalReason.FILING_NOT_PROTECTING: "R4",
    ArrivalReason.VISIT_PROTECTION_ENDED: "R8",
    ArrivalReason.KNOWN_TO_SITE: "R3",
    ArrivalReason.WALK_IN: "R5",
}

#: Proposals a manager still rules on (valid; R2's exception): the arrival waits and holds.
AWAIT_MANAGER = frozenset(
    {ArrivalReason.VALID_VISIT, ArrivalReason.VALID_REVISIT, ArrivalReason.NOTICE_TOO_SHORT}
)


@dataclass(frozen=True)
class ArrivalFacts:
    """What the ruling needs, read before the write. ``filing`` None: a walk-in."""

    filing: FilingState | None
    arrived_at: datetime  # the time ruled on: the message's, or the typed late one
    remote: bool  # after the front desk's correction (R1)
    known_source: str | None = None  # R3: why the site knows this client (KNOWN_SOURCES)


@dataclass(frozen=True)
class ArrivalRuling:
    """The proposed ruling of one arrival, with the facts its explanation names.

    For a filing visited already, ``FilingState.protected_until`` is the client's visit
    protection end (a re-visit, R7); for a filed one, the filing protection's (R4)."""

    reason: ArrivalReason
    tz: ZoneInfo
    filed_at: datetime | None = None
    arrived_at: datetime | None = None
    notice: timedelta | None = None  # R2: the notice required
    given: timedelta | None = None  # R2: the notice the filing gave
    remote: bool = False
    protected_until: datetime | None = None
    known_source: str | None = None
    status: str | None = None  # FILING_NOT_PROTECTING: the filing's status words

    @property
    def proposed(self) -> str:
        valid = self.reason in (ArrivalReason.VALID_VISIT, ArrivalReason.VALID_REVISIT)
        return VALID if valid else NATURAL

    @property
    def rule(self) -> str:
        return RULE_OF_ARRIVAL[self.reason]

    @property
    def awaits_manager(self) -> bool:
        """Pending until a manager rules (and holding the client), or natural at once."""
        return self.reason in AWAIT_MANAGER

    def explanation(self) -> str:
        """Why, in the rule book's words (Chinese): kept with the arrival, shown to staff."""
        return _EXPLAIN[self.reason](self)


def decide_arrival(facts: ArrivalFacts, policy: Policy, tz: ZoneInfo) -> ArrivalRuling:
    """R4/R5/R8 first (did the filing protect the client at the arrival time?), then R3
    (does the site know the client?), then R2 at arrival for a first visit (the actual
    arrival against the filing time, with the corrected type), else valid.

    Local, filed 14:10, arrives 15:00 -> natural, 50 minutes; filed 14:00 -> valid.
    A re-visit of a visited client within its visit protection needs no notice (R2, R7).
    """
    arrived = facts.arrived_at.astimezone(tz)
    filing = facts.filing

    def ruled(reason: ArrivalReason, **named: Any) -> ArrivalRuling:
        return ArrivalRuling(reason, tz, arrived_at=arrived, remote=facts.remote, **named)

    if filing is None:
        return ruled(ArrivalReason.WALK_IN, known_source=facts.known_source)
    until = filing.protected_until
    status = FilingStatus(filing.status)
    if status not in (FilingStatus.FILED, FilingStatus.VISITED):
        words = STATUS_WORDS.get(status, status.value)
        return ruled(ArrivalReason.FILING_NOT_PROTECTING, status=words)
    if not is_protected(until, arrived):
        visited = status is FilingStatus.VISITED
        lapse = ArrivalReason.VISIT_PROTECTION_ENDED if visited else ArrivalReason.FILING_LAPSED
        return ruled(lapse, protected_until=until)
    if facts.known_source is not None:
        return ruled(ArrivalReason.KNOWN_TO_SITE, known_source=facts.known_source)
    if status is FilingStatus.VISITED:
        return ruled(ArrivalReason.VALID_REVISIT, protected_until=until)
    notice = policy.notice_for(facts.remote)
    given = whole_minute(arrived) - whole_minute(filing.filed_at)
    reason = ArrivalReason.VALID_VISIT if given >= notice else ArrivalReason.NOTICE_TOO_SHORT
    return ruled(
        reason, filed_at=filing.filed_at, notice=notice, given=given, protected_until=until
    )


# ---------------------------------------------------------------- the arrival time


class ArrivalTimeProblem(Enum):
    """A typed arrival time the desk cannot register (late registration)."""

    IN_FUTURE = "in_future"
    TOO_LATE = "too_late"


def check_arrival_time(
    typed: datetime | None, now: datetime, late_limit_hours: int
) -> ArrivalTimeProblem | None:
    """The arrival time is the message's, or a typed earlier one (a late registration):
    not in the future (a later minute than the message's), nor more than
    ``late_limit_hours`` before the message (0 = no limit). Sent 15:00, typed 14:30 -> ok."""
    if typed is None:
        return None
    if whole_minute(typed) > whole_minute(now):
        return ArrivalTimeProblem.IN_FUTURE
    if late_limit_hours and typed < now - timedelta(hours=late_limit_hours):
        return ArrivalTimeProblem.TOO_LATE
    return None


def is_late(typed: datetime | None, now: datetime) -> bool:
    """A typed time of an earlier minute than the message's makes a late registration."""
    return typed is not None and whole_minute(typed) < whole_minute(now)


def reported_on_the_day(expected_days: list[datetime], arrived_at: datetime, tz: ZoneInfo) -> bool:
    """R5: the agent reported the visit (带看) on the arrival day, or the filing's expected
    arrival already fell on that day (it counts as the day's report)."""
    day = arrived_at.astimezone(tz).date()
    return any(moment.astimezone(tz).date() == day for moment in expected_days)


# ---------------------------------------------------------------- the words


def gap_words(span: timedelta | None) -> str:
    """A notice given, as people say it: 50分钟, 23小时, 1小时5分钟, 负数 as 0分钟."""
    if span is None:
        return "?"
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}分钟"
    return f"{hours}小时{rest}分钟" if rest else f"{hours}小时"


def _minute(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "?"


def _day(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else "?"


def _kind(ruling: ArrivalRuling) -> str:
    return "异地" if ruling.remote else "本地"


def _notice_text(r: ArrivalRuling) -> str:
    """``报备于 … 14:10，到访于 … 15:00，提前50分钟；本地客户须提前1小时`` (a project whose
    notice is 0 says so instead of "须提前0小时")."""
    required = f"须提前{span_words(r.notice)}" if r.notice else "无须提前报备"
    return (
        f"报备于 {_minute(r.filed_at, r.tz)}，到访于 {_minute(r.arrived_at, r.tz)}，"
        f"提前{gap_words(r.given)}；{_kind(r)}客户{required}"
    )


_EXPLAIN = {
    ArrivalReason.VALID_VISIT: lambda r: f"符合规则：{_notice_text(r)}",
    ArrivalReason.VALID_REVISIT: lambda r: (
        f"复访：客户在到访保护期内（保护至 {_day(r.protected_until, r.tz)}）"
    ),
    ArrivalReason.NOTICE_TOO_SHORT: lambda r: f"提前报备不足：{_notice_text(r)}",
    ArrivalReason.FILING_LAPSED: lambda r: (
        f"报备已失效：报备保护至 {_day(r.protected_until, r.tz)}，"
        f"到访于 {_minute(r.arrived_at, r.tz)}，视为未报备"
    ),
    ArrivalReason.FILING_NOT_PROTECTING: lambda r: f"该报备{r.status or '已失效'}，视为未报备",
    ArrivalReason.VISIT_PROTECTION_ENDED: lambda r: (
        f"到访保护期已于 {_day(r.protected_until, r.tz)} 结束，已转为案场公客"
    ),
    ArrivalReason.KNOWN_TO_SITE: lambda r: known_to_site_words(r.known_source),
    ArrivalReason.WALK_IN: lambda r: (
        known_to_site_words(r.known_source)
        if r.known_source in KNOWN_SOURCES
        else "没有匹配的有效报备，记为自然到访"
    ),
}
