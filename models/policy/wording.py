"""Why a ruling came out as it did: the machine-readable reason and the rule book's words.

A ruling's explanation is part of the ruling (it is kept in the decision log as it was
first worded, R12), so its Chinese lives here beside the reasons rather than in
``handlers/replies.py``, which frames it for the conversation. Every number in these
sentences comes from the ruling's facts, never from a default policy value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from models.policy.states import FilingStatus

if TYPE_CHECKING:  # the ruling type, for annotations only: rules.py imports this module
    from models.policy.rules import Ruling


class Reason(Enum):
    """Why a ruling came out as it did. The value is the machine-readable code."""

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
    NOTHING_TO_CANCEL = "nothing_to_cancel"
    ALREADY_VISITED = "already_visited"
    VISIT_PROTECTION_ENDED = "visit_protection_ended"
    ARRIVAL_PENDING = "arrival_pending"
    BIND_STAFF_AS_AGENT = "bind_staff_as_agent"
    BIND_AGENT_AS_STAFF = "bind_agent_as_staff"
    REBOUND = "rebound"


KNOWN_SOURCES: dict[str, str] = {
    "natural_visit": "已有自然到访记录",
    "public": "已是案场公客",
    "import": "销售系统内已有来电来访记录",
    "own": "属案场自拓客户",
    "referral": "属老带新客户",
    "partner": "属其他合作伙伴客户",
}

#: A filing no longer protected, as the agent is told (keys: effective filing statuses).
STATUS_WORDS: dict[str, str] = {
    FilingStatus.REFUSED: "未通过",
    FilingStatus.CANCELLED: "已取消",
    FilingStatus.LAPSED: "已失效",
}


def day_words(moment: date | None) -> str:
    """A day (or the day of a moment, as given): ``2026-11-28``; ``?`` where unknown."""
    return moment.strftime("%Y-%m-%d") if moment else "?"


def known_to_site_words(source: str | None) -> str:
    """R3's reason: why the site knows the client (KNOWN_SOURCES), so no channel's."""
    return f"该客户{KNOWN_SOURCES.get(source or '', '已为案场已知客户')}，不属于渠道客户"


def minute_words(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


def span_words(span: timedelta | None) -> str:
    """A notice as people say it: 60 minutes -> 1小时, 30 -> 30分钟, 24 hours -> 24小时."""
    if span is None:
        return "?"
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes}分钟"
    return f"{minutes // 60}小时"


def explain(ruling: Ruling) -> str:
    """The ruling in the rule book's words (Chinese): kept in the log, shown to users."""
    return _EXPLAIN[ruling.reason](ruling)


_EXPLAIN: dict[Reason, Callable[[Ruling], str]] = {
    Reason.ACCEPTED: lambda r: (
        (
            f"符合报备规则，沿用贵司已取消报备的保护期，保护至 {day_words(r.protected_until)}"
            if r.resumed
            else f"符合报备规则，保护至 {day_words(r.protected_until)}"
        )
        if r.protected_until
        else "符合规则"
    ),
    Reason.DISTRIBUTOR_NOT_ALLOWED: lambda r: "所属分销商已被暂停合作或列入黑名单，不能报备",
    Reason.PROTECTED_BY_OTHER: lambda r: (
        "该客户已由其他渠道报备，已到访登记，待案场确认"
        if r.held
        else f"该客户已由其他渠道报备，保护至 {day_words(r.protected_until)}"
    ),
    Reason.ALREADY_YOURS: lambda r: (
        "该客户已由贵司报备，已到访登记，待案场确认，无须重复报备"
        if r.held
        else f"该客户已由贵司报备，保护至 {day_words(r.protected_until)}，重复报备不延长保护期"
    ),
    Reason.KNOWN_TO_SITE: lambda r: known_to_site_words(r.known_source),
    Reason.NOTICE_TOO_SHORT: lambda r: (
        f"报备须在客户到访前至少{span_words(r.notice)}，最早可到访时间 {minute_words(r.earliest)}"
    ),
    Reason.ARRIVAL_AFTER_PROTECTION: lambda r: (
        f"到访时间晚于{_protection(r)}（保护至 {day_words(r.protected_until)}）"
    ),
    Reason.ARRIVAL_IN_PAST: lambda r: (
        f"到访时间已过，最早可到访时间 {minute_words(r.earliest)}" if r.earliest else "到访时间已过"
    ),
    Reason.CAP_REACHED: lambda r: (
        f"您名下未到访的有效报备已达上限（{r.limit or '?'}条）；"
        "客户到访经案场确认、报备取消或失效后不再计入，可发送「取消 #编号」撤回不再跟进的报备"
    ),
    Reason.NOT_YOURS: lambda r: "您名下没有这条报备",
    Reason.NOT_PROTECTED: lambda r: f"该报备{r.status or '已失效'}，不在保护期内，请重新报备",
    Reason.CANCELLED: lambda r: "报备已取消",
    Reason.NOTHING_TO_CANCEL: lambda r: (
        "该报备已取消，无须再次取消"
        if r.status == STATUS_WORDS[FilingStatus.CANCELLED]
        else f"该报备{r.status or '已失效'}，已不再保护该客户，无须取消"
    ),
    Reason.ALREADY_VISITED: lambda r: "客户已到访，报备不能取消",
    Reason.ARRIVAL_PENDING: lambda r: "客户已到访登记，待案场经理确认，无须再报带看",
    Reason.VISIT_PROTECTION_ENDED: lambda r: (
        f"该客户的到访保护期已于 {day_words(r.protected_until)} 结束，"
        + ("已转为案场公客" if r.known_source == "public" else "如需继续跟进请重新报备")
    ),
    Reason.BIND_STAFF_AS_AGENT: lambda r: "您已绑定为案场人员，不能再绑定为分销商经纪人",
    Reason.BIND_AGENT_AS_STAFF: lambda r: "您已绑定为分销商经纪人，不能再绑定为案场人员",
    Reason.REBOUND: lambda r: (
        "改为绑定另一分销商：原分销商的报备及客户仍归原分销商，本人不再查看或操作"
    ),
}


def _protection(ruling: Ruling) -> str:
    """Which protection a ruling names: a visit's (R5, 45 days) or a filing's (R4, 7 days)."""
    return "到访保护期" if ruling.visited else "报备保护期"
