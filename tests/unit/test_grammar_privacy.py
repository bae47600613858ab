"""The grammar reads names one way and keeps no phone in what it takes (issue 15, 3 and 4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.commands import Bind, FileClients, ParseError, ParseProblem, ReportVisit
from handlers.grammar import parse
from models.requests import NOTE_MAX_CHARS, ClientEntry, FilingRef

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def only_entry(text: str) -> ClientEntry:
    result = parse(text, NOW)
    assert isinstance(result, FileClients), result
    (entry,) = result.entries
    assert isinstance(entry, ClientEntry), entry
    return entry


@pytest.mark.parametrize(
    "name", ["赵 六", "赵\u200b六", "赵六\u2060", "\u200f赵六", "赵　六"], ids=repr
)
def test_a_look_alike_name_is_filed_as_the_name_it_looks_like(name: str) -> None:
    assert only_entry(f"报备 P1 {name} 138****3333 本地 明天 15:00").name == "赵六"
    labelled = f"报备 P1\n客户：{name}\n电话：138****3333\n类型：本地\n到访：明天 15:00"
    assert only_entry(labelled).name == "赵六"


def test_latin_names_are_filed_case_folded() -> None:
    assert only_entry("报备 P1 Lily 138****3333 本地 明天 15:00").name == "lily"
    assert only_entry("报备 P1 Lily Wang 138****3333 本地 明天 15:00").name == "lilywang"


def test_a_mistyped_phone_after_a_name_is_still_a_bad_phone() -> None:
    assert parse("报备 P1 张三 139 本地 明天 15:00", NOW) == ParseError(
        ParseProblem.BAD_PHONE, verb="报备"
    )
    assert parse("报备 P1 张三 139 138****5678 本地 明天 15:00", NOW) == ParseError(
        ParseProblem.BAD_PHONE, verb="报备"
    )


@pytest.mark.parametrize(
    "name", ["一三八一二三四五六七八", "壹叁捌壹贰叁肆伍陆柒捌", "张١٢", "张①"], ids=repr
)
def test_names_holding_a_number_in_any_script_are_refused(name: str) -> None:
    result = parse(f"报备 P1 {name} 138****5678 本地 明天 15:00", NOW)
    assert isinstance(result, ParseError) and result.problem is ParseProblem.BAD_NAME
    bound = parse(f"绑定 K7M2Q9XD {name}", NOW)
    assert isinstance(bound, ParseError) and bound.problem is ParseProblem.BAD_NAME


def test_the_agents_own_name_is_read_the_same_way() -> None:
    assert parse("绑定 K7M2Q9XD 王\u200b小明", NOW) == Bind("K7M2Q9XD", "王小明")


def test_a_visit_named_by_a_look_alike_name_names_the_filing() -> None:
    assert parse("带看 赵\u200b六 15:00", NOW) == ReportVisit(
        FilingRef(name="赵六"), NOW.replace(hour=15)
    )


@pytest.mark.parametrize(
    "written",
    [
        "+8613812345678",
        "138.1234.5678",
        "(138)1234-5678",
        "008613812345678",
        "138_1234_5678",
        "138/1234/5678",
        "138🙂1234🙂5678",
        "138\u200b1234\u200b5678",
        "一三八一二三四五六七八",
    ],
    ids=repr,
)
def test_a_note_keeps_no_full_phone(written: str) -> None:
    entry = only_entry(f"报备 P1 张三 138****5678 本地 明天 15:00 另一电话{written}")
    assert entry.note is not None and "138****5678" in entry.note
    assert "1234" not in entry.note and "一二三四" not in entry.note


@pytest.mark.parametrize("form", ["one line", "labelled"])
def test_a_note_longer_than_its_column_is_refused_naming_the_problem(form: str) -> None:
    note = "很" * (NOTE_MAX_CHARS + 19)
    text = (
        f"报备 P1 张三 138****5678 本地 明天 15:00 {note}"
        if form == "one line"
        else f"报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00\n备注：{note}"
    )
    assert parse(text, NOW) == ParseError(ParseProblem.NOTE_TOO_LONG, verb="报备")
    ok = text.replace(note, "很" * NOTE_MAX_CHARS)
    assert only_entry(ok).note == "很" * NOTE_MAX_CHARS


@pytest.mark.parametrize("written", ["13812345678", "138-1234-5678", "+8613812345678"])
def test_a_phone_typed_as_the_project_is_masked_before_it_goes_further(written: str) -> None:
    result = parse(f"报备 {written} 张三 138****5678 本地 明天 15:00", NOW)
    assert isinstance(result, FileClients)
    assert "1234" not in result.project and "138****5678" in result.project


@pytest.mark.parametrize("text", ["一三八一二三四五六七八", "壹叁捌壹贰叁肆伍陆柒捌 你好"])
def test_an_unknown_verb_in_chinese_numerals_is_not_echoed(text: str) -> None:
    result = parse(text, NOW)
    assert isinstance(result, ParseError) and result.detail is None
