"""Which arrival a staff photo (the signed 来访客户确认单) joins, and when its fetch stops
(issue 17 item 3), as sentences."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.policy.evidence import (
    PhotoOutcome,
    Registered,
    attach_ruling,
    fetch_backoff,
    media_expired,
    photo_arrival,
)
from tests.moments import at

pytestmark = pytest.mark.unit

WINDOW = timedelta(minutes=10)
AT_1020 = Registered(1, at(11, 22, 10, 20))
AT_1024 = Registered(2, at(11, 22, 10, 24))
AT_1027 = Registered(3, at(11, 22, 10, 27))


def test_a_photo_sent_after_registering_joins_that_arrival() -> None:
    assert photo_arrival(at(11, 22, 10, 25), [AT_1020], WINDOW) == AT_1020


def test_a_photo_sent_before_registering_joins_the_arrival_registered_after_it() -> None:
    assert photo_arrival(at(11, 22, 10, 12), [AT_1020], WINDOW) == AT_1020


def test_a_photo_exactly_ten_minutes_away_still_joins() -> None:
    assert photo_arrival(at(11, 22, 10, 30), [AT_1020], WINDOW) == AT_1020
    assert photo_arrival(at(11, 22, 10, 10), [AT_1020], WINDOW) == AT_1020


def test_a_photo_eleven_minutes_after_joins_nothing() -> None:
    assert photo_arrival(at(11, 22, 10, 31), [AT_1020], WINDOW) is None


def test_the_latest_arrival_registered_before_the_photo_wins() -> None:
    assert photo_arrival(at(11, 22, 10, 26), [AT_1020, AT_1024, AT_1027], WINDOW) == AT_1024


def test_without_one_before_the_first_arrival_after_the_photo_wins() -> None:
    assert photo_arrival(at(11, 22, 10, 18), [AT_1027, AT_1020], WINDOW) == AT_1020


def test_a_photo_waits_while_an_arrival_may_still_come_then_is_left_unattached() -> None:
    photo = at(11, 22, 10, 0)
    assert attach_ruling(photo, [], WINDOW, at(11, 22, 10, 10)) is None  # window still open
    assert (
        attach_ruling(
            photo,
            [],
            WINDOW,
            at(
                11,
                22,
                10,
                10,
            )
            + timedelta(seconds=59),
        )
        is None
    )
    ruling = attach_ruling(photo, [], WINDOW, at(11, 22, 10, 11))
    assert ruling is not None and ruling.outcome is PhotoOutcome.UNATTACHED
    assert ruling.rule == "R5" and "10分钟" in ruling.explanation(WINDOW)


def test_a_photo_is_attached_as_soon_as_its_arrival_is_known() -> None:
    ruling = attach_ruling(at(11, 22, 10, 25), [AT_1020], WINDOW, at(11, 22, 10, 26))
    assert ruling is not None
    assert (ruling.outcome, ruling.arrival_id) == (PhotoOutcome.ATTACHED, 1)


def test_media_sent_11_22_10_00_expires_after_three_days() -> None:
    keep = timedelta(hours=72)
    assert not media_expired(at(11, 22, 10), at(11, 25, 9, 59), keep)
    assert media_expired(at(11, 22, 10), at(11, 25, 10), keep)


def test_fetch_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    base, cap = timedelta(seconds=60), timedelta(hours=1)
    waits = [fetch_backoff(n, base, cap).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert fetch_backoff(8, base, None) == timedelta(seconds=60 * 128)
