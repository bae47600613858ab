"""WeChat's template rules since May 2023, and the sender's waits, as sentences."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.settings import ConfigError, load_settings
from models.template_rules import data_problems, text_problem
from scheduler.outbox import backoff, next_day
from tests.moments import TZ, at

pytestmark = pytest.mark.unit


def values(**keywords: str) -> dict:
    return {keyword: {"value": value} for keyword, value in keywords.items()}


def test_twenty_characters_on_one_line_without_emoji_may_go() -> None:
    assert data_problems(values(thing1="长" * 20, time2="2026-11-29")) == []


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (values(thing1="长" * 21), "21 characters"),
        (values(thing1="一行\n两行"), "line break"),
        (values(thing1="张三😀"), "emoji"),
        (values(thing1="张三 13812345678"), "full phone"),
        (values(first="到访提醒"), "no longer shown"),
        (values(remark="请留意"), "no longer shown"),
        ({"thing1": {"value": "张三", "color": "#FF0000"}}, "no colour"),
        ({}, "no keyword values"),
    ],
)
def test_a_value_wechat_would_change_or_hide_is_named(data: dict, why: str) -> None:
    (problem,) = data_problems(data)
    assert why in problem


def test_a_text_may_carry_a_masked_phone_but_never_a_full_one() -> None:
    assert text_problem("张三 138****5678 明天到期") is None
    assert text_problem("张三 138 1234 5678") == "a full phone number"


def test_busy_waits_double_from_the_base_up_to_the_cap() -> None:
    limits = load_settings(
        {"pushes": {"backoff_base_seconds": 30, "backoff_max_seconds": 100}}, environ={}
    ).pushes
    assert [backoff(n, limits).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    uncapped = load_settings({"pushes": {"backoff_max_seconds": 0}}, environ={}).pushes
    assert backoff(10, uncapped) == timedelta(seconds=30 * 2**9)


def test_the_quota_day_ends_at_midnight_in_the_project_time_zone() -> None:
    assert next_day(at(11, 28, 23, 59), TZ) == at(11, 29, 0, 0)
    assert next_day(at(11, 28, 0, 30), TZ) == at(11, 29, 0, 0)


def test_a_template_may_not_map_a_field_to_first_or_remark() -> None:
    bad = {"templates": {"ruling": {"template_id": "T", "keywords": {"x": "first"}}}}
    with pytest.raises(ConfigError, match="pushes.templates.ruling.keywords"):
        load_settings({"pushes": bad}, environ={})
