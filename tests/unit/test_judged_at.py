"""Which clock judges a message: WeChat's CreateTime when it is near ours (bot.webhook_core)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.webhook_core import judged_at
from tests.moments import TZ, at

pytestmark = pytest.mark.unit

SENT = at(11, 22, 14, 0)


def test_a_message_is_judged_at_its_create_time_when_it_lies_within_the_tolerance():
    processed = SENT + timedelta(seconds=5)

    assert judged_at(int(SENT.timestamp()), processed, 300) == SENT


def test_a_retry_is_judged_at_the_same_moment_as_the_first_attempt():
    first = judged_at(int(SENT.timestamp()), SENT + timedelta(seconds=1), 300)
    retry = judged_at(int(SENT.timestamp()), SENT + timedelta(seconds=6), 300)

    assert first == retry == SENT


def test_a_create_time_further_off_than_the_tolerance_gives_way_to_the_server_clock():
    processed = SENT + timedelta(seconds=301)

    assert judged_at(int(SENT.timestamp()), processed, 300) is processed


def test_with_the_tolerance_off_the_create_time_always_judges():
    processed = SENT + timedelta(days=2)

    assert judged_at(int(SENT.timestamp()), processed, None) == SENT


def test_the_moment_is_in_the_project_time_zone():
    assert judged_at(int(SENT.timestamp()), SENT, 300).tzinfo == TZ
