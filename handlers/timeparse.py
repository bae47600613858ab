"""Arrival times as agents type them (``明天下午3点``, ``今晚8点``, ``周二 下午2点``), from ``now``.

Pure: the clock is an argument, so a test fixes "now" and every reading is predictable.
Input is expected NFKC-normalised and tokenised by ``handlers.fields`` (tokens joined
by one space); every result is minute precision and aware in ``now.tzinfo``.

Nothing here raises on any text: every number is matched as ASCII digits of bounded
length and every date is range-checked before ``datetime`` is built.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

#: A date written without a year lies in now's year unless that is more than this many
#: days ago, then in the next year (on 12-30, "01-02" is next January).
YEARLESS_PAST_DAYS = 60
#: The longest time an agent writes spans this many tokens (``11月22日 下午 3点``).
MAX_TIME_TOKENS = 4

_RELATIVE_DAYS = {"今": 0, "今天": 0, "今日": 0, "明": 1, "明天": 1, "明日": 1, "后天": 2}
_PM_PERIODS = ("下午", "晚上")
#: the period inside 今晚, 明早 ...: 晚 is 晚上, 早 is 早上
_DAY_PERIODS = {"早": "早上", "晚": "晚上"}
#: 周一 ... 周日 (周天 too) as Python counts weekdays: Monday 0 ... Sunday 6.
_WEEKDAYS = (
    {ch: n for n, ch in enumerate("一二三四五六日")}
    | {"天": 6}
    | {str(n): n - 1 for n in range(1, 8)}
)

_DAY_NUM = (
    r"(?:(?P<y>[0-9]{4})[-/](?P<m>[0-9]{1,2})[-/](?P<d>[0-9]{1,2})"
    r"|(?P<m2>[0-9]{1,2})[-/](?P<d2>[0-9]{1,2}))"
)
_DAY_CN = r"(?:(?:(?P<y3>[0-9]{4})年)?(?P<m3>[0-9]{1,2})月(?P<d3>[0-9]{1,2})[日号])"
_DAY_REL = r"(?P<rel>今天|今日|明天|明日|后天)"
_WEEKDAY = r"(?P<nextweek>下)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
_PERIOD = r"(?P<period>上午|早上|中午|下午|晚上)"
# 今早 / 今晚 / 明早 / 明晚: a day and a period in one word, so no other period follows
_DAY_AND_PERIOD = r"(?P<drel>今|明)(?P<dperiod>早|晚)"
_CLOCK = (
    r"(?:(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})"
    r"|(?P<h2>[0-9]{1,2})点(?:(?P<half>半)|(?P<mi2>[0-9]{1,2})分?)?)"
)
# A numeric date needs a space (or a period word) before the clock: "11-2215:00" is not
# a time. Seconds are not accepted: "15:00:00" does not match.
_TIME = re.compile(
    rf"(?:(?:{_DAY_NUM}(?: |(?=[上早中下晚]))|(?:{_DAY_CN}|{_DAY_REL}|{_WEEKDAY}) ?)?"
    rf"(?:{_PERIOD} ?)?|{_DAY_AND_PERIOD} ?){_CLOCK}"
)


@dataclass(frozen=True)
class BadTime:
    """No time could be read. ``fragment`` is set only when the text had a time's shape
    but impossible values (``2月30日 10点``, ``25:00``): safe to echo, it is no phone."""

    fragment: str | None = None


def parse_time(fragment: str, now: datetime) -> datetime | BadTime:
    """Read one whole fragment as a time; ``BadTime`` says whether it looked like one."""
    match = _TIME.fullmatch(fragment)
    if match is None:
        return BadTime()
    clock = _clock(match)
    day = _day(match, now, clock)
    if day is None or clock is None:
        return BadTime(fragment)
    return datetime(day.year, day.month, day.day, clock[0], clock[1], tzinfo=now.tzinfo)


def take_time(tokens: Sequence[str], now: datetime) -> tuple[datetime, int] | BadTime:
    """Read a time from the start of ``tokens``, longest prefix first.

    Returns the time and how many tokens it used (the rest is, say, a note). A time may
    span tokens (``明天 10:00``), which is why the prefix is tried greedily.
    """
    bad = BadTime()
    for count in range(min(len(tokens), MAX_TIME_TOKENS), 0, -1):
        result = parse_time(" ".join(tokens[:count]), now)
        if isinstance(result, datetime):
            return result, count
        if bad.fragment is None:
            bad = result
    return bad


def _day(match: re.Match[str], now: datetime, clock: tuple[int, int] | None) -> date | None:
    """The calendar day named (or implied: today) by a matched time, if it exists."""
    if match["wd"] is not None:
        return weekday_date(_WEEKDAYS[match["wd"]], bool(match["nextweek"]), clock, now)
    if match["y"] is not None:
        return valid_date(int(match["y"]), int(match["m"]), int(match["d"]))
    if match["m2"] is not None:
        return yearless_date(int(match["m2"]), int(match["d2"]), now)
    if match["m3"] is not None:
        if match["y3"] is not None:
            return valid_date(int(match["y3"]), int(match["m3"]), int(match["d3"]))
        return yearless_date(int(match["m3"]), int(match["d3"]), now)
    offset = _RELATIVE_DAYS[match["rel"] or match["drel"] or "今天"]
    return now.date() + timedelta(days=offset)


def weekday_date(
    weekday: int, next_week: bool, clock: tuple[int, int] | None, now: datetime
) -> date:
    """周X: the next such day, today included while the time is still ahead (whole minutes:
    at 14:00:30 "周二 14:00" is still today's); 下周X: that day of the next calendar week,
    Monday to Sunday, wherever today falls in this one.

    On Tuesday 11-24: 周二 下午2点 at 13:00 -> 11-24, at 15:00 -> 12-01; 下周一 -> 11-30.
    """
    today = now.date()
    if next_week:
        return today + timedelta(days=7 - today.weekday() + weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and clock is not None and clock < (now.hour, now.minute):
        ahead = 7
    return today + timedelta(days=ahead)


def _clock(match: re.Match[str]) -> tuple[int, int] | None:
    """Hour and minute after the period word (下午3点 = 15:00), if they exist."""
    if match["h"] is not None:
        hour, minute = int(match["h"]), int(match["mi"])
    else:
        hour = int(match["h2"])
        minute = 30 if match["half"] else int(match["mi2"] or 0)
    hour = _apply_period(match["period"] or _DAY_PERIODS.get(match["dperiod"]), hour)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _apply_period(period: str | None, hour: int) -> int:
    """下午/晚上 move 1-11 to the afternoon; 中午1点 is 13:00 but 中午12点 stays noon."""
    if period in _PM_PERIODS and 1 <= hour <= 11:
        return hour + 12
    if period == "中午" and 1 <= hour <= 5:
        return hour + 12
    return hour


def valid_date(year: int, month: int, day: int) -> date | None:
    """The date if it exists (2月29日 only in leap years), else None, never an exception."""
    if not (1 <= year <= 9999 and 1 <= month <= 12 and day >= 1):
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def yearless_date(month: int, day: int, now: datetime) -> date | None:
    """A month and day in now's year, or the next one if it would lie well in the past.

    The year is chosen on the day clamped to the month's length, so 2月29日 picks its year
    like 2月28日 does and is then valid only if that year is a leap year.
    """
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    year = now.year
    clamped = min(day, calendar.monthrange(year, month)[1])
    if date(year, month, clamped) < now.date() - timedelta(days=YEARLESS_PAST_DAYS):
        year += 1
    return valid_date(year, month, day)
