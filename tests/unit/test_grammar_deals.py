"""The deal verbs (R9): ``认筹|认购|签约 #<编号> [总价] [日期] [买受人 …]`` and
``退定 #<编号> <理由>``."""

from __future__ import annotations

import pytest

from handlers.commands import ExcludeDeal, ParseError, ParseProblem, RecordDeal, VoidDeal
from handlers.grammar import parse
from models.requests import Buyer
from tests.moments import at, end_of

pytestmark = pytest.mark.unit
NOW = at(12, 2, 10)


def test_a_deal_without_price_or_date_is_recorded_at_the_messages_time() -> None:
    assert parse("认筹 #12", NOW) == RecordDeal("pledge", 12)


def test_price_in_yuan_or_wan_and_a_typed_date_in_either_order() -> None:
    assert parse("认购 #12 350万 11-25", NOW) == RecordDeal(
        "subscription", 12, 3_500_000, end_of(11, 25)
    )
    assert parse("签约 #3 11月25日 3200000元", NOW) == RecordDeal(
        "contract", 3, 3_200_000, end_of(11, 25)
    )


def test_todays_date_is_the_messages_own_time() -> None:
    assert parse("认筹 #12 12-02", NOW) == RecordDeal("pledge", 12, None, NOW)


def test_a_date_in_the_future_or_an_unreadable_one_is_refused() -> None:
    assert parse("认筹 #12 12-05", NOW) == ParseError(ParseProblem.BAD_TIME, verb="认筹")
    refused = parse("认筹 #12 abc", NOW)
    assert isinstance(refused, ParseError) and refused.problem == ParseProblem.BAD_TIME


def test_a_void_needs_its_reason() -> None:
    assert parse("退定 #12 客户退房", NOW) == VoidDeal(12, "客户退房")
    assert parse("退定 #12", NOW) == ParseError(ParseProblem.MISSING_FIELDS, verb="退定")


# ---------------------------------------------------------------- the buyer's details

VALID_ID = "11010519491231002X"  # GB 11643's own example: its check character is X
BUYER = Buyer("张三", "13812345678", VALID_ID)


def test_the_buyer_follows_the_word_maijiao_after_the_price_and_the_date() -> None:
    typed = f"签约 #12 350万 11-25 买受人 张三 13812345678 {VALID_ID}"
    assert parse(typed, NOW) == RecordDeal("contract", 12, 3_500_000, end_of(11, 25), BUYER)


def test_the_buyers_name_phone_and_id_number_come_in_any_order_each_optional() -> None:
    typed = f"认购 #12 买受人 {VALID_ID.lower()} 138-1234-5678 张三"
    assert parse(typed, NOW) == RecordDeal("subscription", 12, buyer=BUYER)
    assert parse("认筹 #12 买方:李四", NOW) == RecordDeal("pledge", 12, buyer=Buyer("李四"))
    assert parse("认筹 #12 买受人 13812345678", NOW) == RecordDeal(
        "pledge", 12, buyer=Buyer(phone="13812345678")
    )


def test_an_id_number_whose_check_character_is_wrong_is_refused() -> None:
    # the brief's example 110101199003071234: GB 11643 wants 3 as its 18th character
    refused = parse("签约 #12 买受人 张三 110101199003071234", NOW)
    assert refused == ParseError(ParseProblem.BAD_ID_NUMBER, verb="签约")
    assert parse("签约 #12 买受人 张三 110101199003071233", NOW) == RecordDeal(
        "contract", 12, buyer=Buyer("张三", id_number="110101199003071233")
    )


def test_an_id_number_of_the_wrong_length_is_refused() -> None:
    for typed in ("1101051949123100", "1101051949123100211"):
        refused = parse(f"签约 #12 买受人 张三 {typed}", NOW)
        assert refused == ParseError(ParseProblem.BAD_ID_NUMBER, verb="签约"), typed


def test_a_masked_or_short_phone_is_no_buyers_phone() -> None:
    for typed in ("138****5678", "1381234567", "138123456789"):
        refused = parse(f"认购 #12 买受人 张三 {typed}", NOW)
        assert refused == ParseError(ParseProblem.BAD_PHONE, verb="认购"), typed


def test_a_phone_or_id_number_before_the_buyer_word_is_refused_not_taken_for_a_price() -> None:
    for typed in ("13812345678", VALID_ID):
        refused = parse(f"签约 #12 350万 {typed}", NOW)
        assert refused == ParseError(ParseProblem.BUYER_WORD_MISSING, verb="签约"), typed


def test_the_buyer_word_alone_names_nobody() -> None:
    assert parse("签约 #12 买受人", NOW) == ParseError(ParseProblem.MISSING_FIELDS, verb="签约")


def test_no_error_ever_echoes_the_digits_of_a_phone_or_an_id_number() -> None:
    for typed in ("110101199003071234", "138****5678", "13812345678"):
        refused = parse(f"签约 #12 买受人 张三 {typed} {typed}", NOW)
        assert isinstance(refused, ParseError) and refused.detail is None, typed


# ---------------------------------------------------------------- the full-phone form


def test_a_client_with_no_filing_is_named_by_full_phone_and_name() -> None:
    assert parse("签约 13812345678 张三 350万 11-25", NOW) == RecordDeal(
        "contract", None, 3_500_000, end_of(11, 25),
        client_phone="13812345678", client_name="张三",
    )  # fmt: skip
    assert parse("认筹 138 1234 5678 张三 买受人 李四", NOW) == RecordDeal(
        "pledge", None, buyer=Buyer("李四"), client_phone="13812345678", client_name="张三"
    )


def test_the_full_phone_form_needs_the_full_number_and_a_name() -> None:
    assert parse("签约 138****5678 张三", NOW) == ParseError(ParseProblem.BAD_PHONE, verb="签约")
    assert parse("签约 13812345678", NOW) == ParseError(ParseProblem.MISSING_FIELDS, verb="签约")
    assert parse("签约 13812345678 买受人 李四", NOW) == ParseError(
        ParseProblem.MISSING_FIELDS, verb="签约"
    )
    refused = parse("签约 13812345678 350万", NOW)
    assert isinstance(refused, ParseError) and refused.problem == ParseProblem.BAD_NAME


# ---------------------------------------------------------------- relative dates


def test_yesterday_and_the_day_before_are_days_before_the_message() -> None:
    assert parse("认筹 #12 昨天 10:00", NOW) == RecordDeal("pledge", 12, None, at(12, 1, 10))
    assert parse("认筹 #12 前天 350万", NOW) == RecordDeal("pledge", 12, 3_500_000, end_of(11, 30))
    assert parse("认筹 #12 今天 9:30", NOW) == RecordDeal("pledge", 12, None, at(12, 2, 9, 30))


def test_a_time_later_today_is_in_the_future_and_refused() -> None:
    assert parse("认筹 #12 今天 19:30", NOW) == ParseError(ParseProblem.BAD_TIME, verb="认筹")


# ---------------------------------------------------------------- 不计佣


def test_an_exclusion_from_commission_needs_its_reason() -> None:
    assert parse("不计佣 #12 甩客", NOW) == ExcludeDeal(12, "甩客")
    assert parse("不计佣 #12", NOW) == ParseError(ParseProblem.MISSING_FIELDS, verb="不计佣")
    assert parse("不计佣 甩客", NOW) == ParseError(
        ParseProblem.BAD_NUMBER, verb="不计佣", detail="甩客"
    )
