"""The one scrubber and the one reading of names, as sentences (issue 15 items 3 and 4)."""

from __future__ import annotations

import logging
import sys

import pytest

from models.names import holds_number, normalise_name
from models.privacy import ScrubFilter, count_digits, scrub, scrub_json

pytestmark = pytest.mark.unit

PHONE_FORMS = [
    "13812345678",
    "138-1234-5678",
    "138 1234 5678",
    "+8613812345678",
    "+86 138 1234 5678",
    "008613812345678",
    "138.1234.5678",
    "(138)1234-5678",
    "138_1234_5678",
    "138/1234/5678",
    "138🙂1234🙂5678",
    "138\u200b1234\u200b5678",
    "１３８１２３４５６７８",
    "１３８－１２３４－５６７８",
    "一三八一二三四五六七八",
    "壹叁捌壹贰叁肆伍陆柒捌",
    "幺三八 幺二三四 五六七八",
]


@pytest.mark.parametrize("written", PHONE_FORMS)
def test_scrub_masks_a_phone_in_every_form_agents_write(written: str) -> None:
    scrubbed = scrub(f"客户电话{written}，请联系")
    assert "138****5678" in scrubbed
    assert count_digits(scrubbed.replace("138****5678", "")) <= 4  # only a +86/0086 prefix


def test_scrub_masks_every_phone_of_a_text() -> None:
    assert scrub("甲13812345678，乙139-8765-4321") == "甲138****5678，乙139****4321"


def test_scrub_prefers_the_mobile_reading_when_a_digit_stands_before_it() -> None:
    assert scrub("1 13812345678") == "1 138****5678"


def test_scrub_leaves_the_services_own_dates_times_numbers_and_masks_alone() -> None:
    reply = (
        "报备成功 #12\n客户：张三 138****5678（本地）\n预计到访：2026-11-30 15:00\n"
        "保护至 2026-12-06\n第2页 #1 #23456789"
    )
    assert scrub(reply) == reply


def test_scrub_does_not_join_lines() -> None:
    assert scrub("2026-11-30 15:00\n13 8") == "2026-11-30 15:00\n13 8"


def test_message_ids_survive_in_log_lines_but_not_in_user_text() -> None:
    line = "handler failed msg=m1384729384700000000"
    assert scrub(line, keep_ids=True) == line
    assert "13847293847" not in scrub(line)


def test_scrub_json_scrubs_every_string_of_a_decisions_facts() -> None:
    facts = {"note": "13812345678", "list": ["138-1234-5678", 3], "n": 13812345678}
    assert scrub_json(facts) == {
        "note": "138****5678",
        "list": ["138****5678", 3],
        "n": 13812345678,
    }


def test_the_log_filter_masks_message_arguments_and_tracebacks() -> None:
    try:
        raise ValueError("value 13812345678 too long")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "note=%s", ("138 1234 5678",), sys.exc_info()
        )
    assert ScrubFilter().filter(record)
    assert record.getMessage() == "note=138****5678"
    assert record.exc_text and "138****5678" in record.exc_text
    assert "13812345678" not in record.exc_text


@pytest.mark.parametrize(
    "typed",
    ["赵六", "赵 六", "赵\u200b六", "赵六\u2060", "\u200f赵六", "赵六\ufe0f", " 赵\u3000六 "],
)
def test_look_alike_names_are_one_name(typed: str) -> None:
    assert normalise_name(typed) == "赵六"


@pytest.mark.parametrize("typed", ["Lily", "lily", "LILY", "ＬＩＬＹ", "Li ly"])
def test_latin_names_are_case_folded(typed: str) -> None:
    assert normalise_name(typed) == "lily"


@pytest.mark.parametrize("name", ["张3", "张３", "张①", "张٣", "一三八一", "壹贰叁肆"])
def test_a_name_holding_a_number_of_any_script_is_refused(name: str) -> None:
    assert holds_number(normalise_name(name))


@pytest.mark.parametrize("name", ["伍六一", "陆一", "张三", "王五", "lily"])
def test_real_names_with_a_few_numerals_are_names(name: str) -> None:
    assert not holds_number(name)
