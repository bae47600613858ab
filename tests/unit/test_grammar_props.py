"""Properties of the grammar: it never raises, never leaks a phone, reads times exactly."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.commands import FileClients, ParseError, ReportVisit
from handlers.grammar import parse
from models.requests import ClientEntry

pytestmark = pytest.mark.unit

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=TZ)
FAST = settings(max_examples=200, deadline=None)

GRAMMAR_TOKENS = [
    "报备",
    "绑定",
    "查询",
    "取消",
    "帮助",
    "带看",
    "到访",
    "到访报备",
    "改约",
    "help",
    "?",
    "P1",
    "张三",
    "本地",
    "异地",
    "外地",
    "大宗",
    "#12",
    "#",
    "12",
    "0",
    "138****5678",
    "13812345678",
    "138",
    "1234",
    "5678",
    "1381234567",
    "明天",
    "今天",
    "后天",
    "下午",
    "晚上",
    "中午",
    "15:00",
    "25:00",
    "10:61",
    "3点",
    "3点半",
    "3点20分",
    "11-22",
    "02-29",
    "2026-11-22",
    "2028-02-29",
    "11月22日",
    "2月30日",
    "2月29日",
    "客户:",
    "电话:",
    "类型:",
    "到访:",
    "项目:",
    "备注:",
    "大宗:是",
    "：",
    "，",
    "＃",
    "１３８",
    "\n",
    "",
    " ",
]
SEPARATORS = st.sampled_from([" ", ",", "，", "、", "\n", "\u3000", ";", ""])
PHONES = st.from_regex(r"1[0-9]{10}", fullmatch=True)


def _detail_is_safe(result: object) -> None:
    errors = [result]
    if isinstance(result, FileClients):
        errors = list(result.entries)
    for item in errors:
        if isinstance(item, ParseError) and item.detail is not None:
            assert not re.search(r"[0-9]{11}", item.detail)


@FAST
@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    _detail_is_safe(parse(text, NOW))


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from(GRAMMAR_TOKENS) | st.text(max_size=4), SEPARATORS),
        max_size=14,
    )
)
def test_parse_never_raises_on_grammar_like_tokens(parts: list[tuple[str, str]]) -> None:
    text = "".join(token + sep for token, sep in parts)
    _detail_is_safe(parse(text, NOW))


@FAST
@given(PHONES, st.sampled_from(["{}", "{0}-{1}-{2}", "{0} {1} {2}"]))
def test_filing_keeps_exactly_the_mask_of_the_phone_typed(phone: str, style: str) -> None:
    written = style.format(phone[:3], phone[3:7], phone[7:]) if style != "{}" else phone
    result = parse(f"报备 P1 张三 {written} 本地 明天 15:00 备注{phone}", NOW)
    assert isinstance(result, FileClients)
    entry = result.entries[0]
    assert isinstance(entry, ClientEntry)
    assert entry.phone_mask == f"{phone[:3]}****{phone[-4:]}"
    assert phone not in repr(result)


@FAST
@given(PHONES, st.sampled_from(["报备 P1 张三 {} 本地 25:00", "带看 {}0 15:00", "到访 {} #1"]))
def test_no_error_detail_echoes_a_phone(phone: str, template: str) -> None:
    result = parse(template.format(phone), NOW)
    assert isinstance(result, ParseError)
    assert result.detail is None or phone[3:7] not in result.detail


@FAST
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_reads_any_iso_written_time_exactly(day: date, hour: int, minute: int) -> None:
    result = parse(f"带看 #1 {day:%Y-%m-%d} {hour:02d}:{minute:02d}", NOW)
    expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    assert isinstance(result, ReportVisit) and result.at == expected


@FAST
@given(st.integers(0, 364), st.integers(0, 23), st.integers(0, 59))
def test_reads_any_chinese_written_time_exactly(offset: int, hour: int, minute: int) -> None:
    # Year-less dates name a day from 60 days ago up to a year ahead.
    day = NOW.date() - timedelta(days=60) + timedelta(days=offset)
    result = parse(f"带看 #1 {day.month}月{day.day}日 {hour}点{minute}分", NOW)
    expected = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    assert isinstance(result, ReportVisit) and result.at == expected
