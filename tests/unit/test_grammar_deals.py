"""The deal verbs (R9): ``认筹|认购|签约 #<编号> [总价] [日期]`` and ``退定 #<编号> <理由>``."""

from __future__ import annotations

import pytest

from handlers.commands import ParseError, ParseProblem, RecordDeal, VoidDeal
from handlers.grammar import parse
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
