"""Time as people say it (issue 15 item 9): 今晚8点, 明早9点, 周二 下午2点, 下周一 10点.

Every phrase is read from the ``now`` passed in (the message's time), never a clock:
周X is the next such day, today included while the time is still ahead (whole minutes);
下周X is that day of the next calendar week, Monday to Sunday.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.commands import FileClients, ReportVisit
from handlers.grammar import parse
from handlers.timeparse import BadTime, parse_time, weekday_date
from tests.moments import TZ, at

pytestmark = pytest.mark.unit

TUESDAY = at(11, 24, 13, 0)  # 2026-11-24 is a Tuesday


@pytest.mark.parametrize(
    ("phrase", "meant"),
    [
        ("今晚8点", at(11, 24, 20, 0)),
        ("今晚 8点", at(11, 24, 20, 0)),
        ("今晚8:30", at(11, 24, 20, 30)),
        ("明早9点", at(11, 25, 9, 0)),
        ("明早 9:00", at(11, 25, 9, 0)),
        ("明晚7点半", at(11, 25, 19, 30)),
        ("今早8点", at(11, 24, 8, 0)),
        ("今天上午10点", at(11, 24, 10, 0)),
        ("后天 10:00", at(11, 26, 10, 0)),
        ("后天下午3点", at(11, 26, 15, 0)),
        ("周二 下午2点", at(11, 24, 14, 0)),
        ("周二下午2点", at(11, 24, 14, 0)),
        ("星期二 14:00", at(11, 24, 14, 0)),
        ("礼拜二 下午2点", at(11, 24, 14, 0)),
        ("周三 10点", at(11, 25, 10, 0)),
        ("周一 10点", at(11, 30, 10, 0)),
        ("周日 10点", at(11, 29, 10, 0)),
        ("周天 10点", at(11, 29, 10, 0)),
        ("星期天 10:00", at(11, 29, 10, 0)),
        ("礼拜日 上午10点", at(11, 29, 10, 0)),
        ("周7 10点", at(11, 29, 10, 0)),
        ("下周一 10点", at(11, 30, 10, 0)),
        ("下周二 下午2点", at(12, 1, 14, 0)),
        ("下周日 9点", at(12, 6, 9, 0)),
        ("下星期三 9:30", at(12, 2, 9, 30)),
    ],
)
def test_common_phrases_are_read_from_the_messages_time(phrase: str, meant: datetime) -> None:
    assert parse_time(phrase, TUESDAY) == meant


@pytest.mark.parametrize(
    ("now", "meant"),
    [
        pytest.param(at(11, 24, 13, 0), at(11, 24, 14, 0), id="before 14:00: today"),
        pytest.param(
            at(11, 24, 14, 0) + timedelta(seconds=30), at(11, 24, 14, 0), id="in 14:00: today"
        ),
        pytest.param(at(11, 24, 14, 1), at(12, 1, 14, 0), id="after 14:00: next week"),
        pytest.param(at(11, 23, 20, 0), at(11, 24, 14, 0), id="on Monday: tomorrow"),
        pytest.param(at(11, 25, 9, 0), at(12, 1, 14, 0), id="on Wednesday: next Tuesday"),
    ],
)
def test_a_weekday_is_the_next_such_day_today_included_while_the_time_is_ahead(
    now: datetime, meant: datetime
) -> None:
    assert parse_time("周二 下午2点", now) == meant


@pytest.mark.parametrize(
    ("now", "meant"),
    [
        pytest.param(at(11, 23, 8, 0), at(11, 30, 10, 0), id="from Monday"),
        pytest.param(at(11, 29, 23, 0), at(11, 30, 10, 0), id="from Sunday: tomorrow"),
        pytest.param(at(11, 30, 9, 0), at(12, 7, 10, 0), id="from Monday itself: in 7 days"),
    ],
)
def test_next_week_is_the_next_calendar_week_monday_to_sunday(
    now: datetime, meant: datetime
) -> None:
    assert parse_time("下周一 10点", now) == meant


@pytest.mark.parametrize(
    "phrase", ["今晚下午3点", "周八 10点", "下下周一 10点", "周二", "今晚", "明早25点"]
)
def test_phrases_that_are_no_time_are_not_read_as_one(phrase: str) -> None:
    assert isinstance(parse_time(phrase, TUESDAY), BadTime)


def test_the_phrases_reach_the_commands_that_take_a_time() -> None:
    filing = parse("报备 P1 张三 138****5678 本地 今晚8点", TUESDAY)
    assert isinstance(filing, FileClients)
    assert filing.entries[0].arrival == at(11, 24, 20, 0)  # type: ignore[union-attr]
    visit = parse("带看 #12 下周一 10点", TUESDAY)
    assert visit == ReportVisit(visit.ref, at(11, 30, 10, 0))  # type: ignore[union-attr]


NOWS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(TZ)
)
WEEKDAYS = st.sampled_from(list(enumerate("一二三四五六日")))


@settings(max_examples=300, deadline=None)
@given(now=NOWS, day=WEEKDAYS, hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_a_weekday_is_never_past_and_never_more_than_a_week_ahead(
    now: datetime, day: tuple[int, str], hour: int, minute: int
) -> None:
    weekday, word = day
    read = parse_time(f"周{word} {hour}:{minute:02d}", now)
    assert isinstance(read, datetime)
    assert read.weekday() == weekday
    assert read >= now.replace(second=0, microsecond=0)
    assert read - now < timedelta(days=7)


@settings(max_examples=300, deadline=None)
@given(now=NOWS, day=WEEKDAYS)
def test_next_week_is_always_the_week_after_this_one(now: datetime, day: tuple[int, str]) -> None:
    weekday, _ = day
    read = weekday_date(weekday, True, (10, 0), now)
    this_monday = now.date() - timedelta(days=now.weekday())
    assert read.weekday() == weekday
    assert this_monday + timedelta(days=7) <= read < this_monday + timedelta(days=14)
