"""Day arithmetic of the rule book (domain.md R4-R8, R10) in Asia/Shanghai.

Every worked example of the rule book is a row below, plus the boundaries around it:
month end, year end, 29 February, and instants given in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.policy import (
    ClientState,
    Policy,
    Reason,
    bulk_extension_end,
    claim_deadline,
    decide_ownership,
    filing_protection_end,
    reminder_days,
    renewal_window_start,
    renewed_end,
    visit_protection_end,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

POLICY = Policy()
ONE_SECOND = timedelta(seconds=1)


def utc(month: int, day: int, h: int, m: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, h, m, tzinfo=UTC)


# ---------------------------------------------------------------- R4 filing protection


@pytest.mark.parametrize(
    ("filed_at", "until"),
    [
        pytest.param(at(11, 22, 10, 0), end_of(11, 29), id="R4 example: filed 11-22 10:00"),
        pytest.param(at(11, 22, 0, 0), end_of(11, 29), id="filed at the first minute of 11-22"),
        pytest.param(
            at(11, 22, 23, 59) + timedelta(seconds=59, microseconds=999999),
            end_of(11, 29),
            id="filed at the last instant of 11-22",
        ),
        pytest.param(at(11, 30, 9, 0), end_of(12, 7), id="month end: filed 11-30"),
        pytest.param(at(12, 28, 9, 0), end_of(1, 4, 2027), id="year end: filed 12-28"),
        pytest.param(at(12, 31, 23, 59), end_of(1, 7, 2027), id="filed on new year's eve"),
        pytest.param(
            at(2, 25, 9, 0, year=2028), end_of(3, 3, 2028), id="leap year: filed 2028-02-25"
        ),
        pytest.param(
            at(2, 29, 9, 0, year=2028), end_of(3, 7, 2028), id="leap day: filed 2028-02-29"
        ),
        pytest.param(
            at(2, 25, 9, 0, year=2027), end_of(3, 4, 2027), id="common year: filed 2027-02-25"
        ),
        pytest.param(
            utc(11, 21, 16, 30), end_of(11, 29), id="UTC 11-21 16:30 is 11-22 00:30 Shanghai"
        ),
        pytest.param(
            utc(11, 21, 15, 59), end_of(11, 28), id="UTC 11-21 15:59 is 11-21 23:59 Shanghai"
        ),
    ],
)
def test_filing_protection_ends_at_the_end_of_the_seventh_day_after_the_filing_day(filed_at, until):
    assert filing_protection_end(filed_at, POLICY, TZ) == until


def test_filing_protection_end_is_expressed_in_shanghai_even_for_a_utc_filing():
    end = filing_protection_end(utc(11, 21, 16, 30), POLICY, TZ)

    assert end.utcoffset() == timedelta(hours=8)
    assert (end.month, end.day, end.hour, end.minute, end.second) == (11, 29, 23, 59, 59)


def test_filing_protection_still_holds_one_second_before_its_end_and_not_after_it():
    until = filing_protection_end(at(11, 22, 10, 0), POLICY, TZ)
    owned = ClientState("filed", owner_distributor_id=7, protected_until=until)

    just_before = decide_ownership(owned, 1, until - ONE_SECOND, POLICY)
    just_after = decide_ownership(owned, 1, until + ONE_SECOND, POLICY)

    assert just_before.reason is Reason.PROTECTED_BY_OTHER
    assert just_after.reason is Reason.ACCEPTED


def test_filing_protection_of_three_days_is_a_policy_variant():
    assert filing_protection_end(at(11, 22, 10, 0), Policy(filing_protection_days=3), TZ) == (
        end_of(11, 25)
    )


# ---------------------------------------------------------------- R5 visit protection


@pytest.mark.parametrize(
    ("arrived_at", "until"),
    [
        pytest.param(at(11, 22, 15, 0), end_of(1, 5, 2027), id="R5 example: visited 11-22"),
        pytest.param(at(11, 22, 0, 0), end_of(1, 5, 2027), id="visited at 00:00 of 11-22"),
        pytest.param(at(11, 22, 23, 59), end_of(1, 5, 2027), id="visited at 23:59 of 11-22"),
        pytest.param(at(12, 20, 10, 0), end_of(2, 2, 2027), id="year end: visited 12-20"),
        pytest.param(at(1, 20, 10, 0, year=2028), end_of(3, 4, 2028), id="across 2028-02-29"),
        pytest.param(
            at(1, 20, 10, 0, year=2027), end_of(3, 5, 2027), id="across a common February"
        ),
        pytest.param(
            utc(11, 21, 16, 30), end_of(1, 5, 2027), id="UTC 11-21 16:30 is 11-22 Shanghai"
        ),
    ],
)
def test_visit_protection_lasts_forty_five_days_counting_the_arrival_day_as_day_one(
    arrived_at, until
):
    assert visit_protection_end(arrived_at, POLICY, TZ) == until


def test_visit_protection_of_thirty_days_is_a_policy_variant():
    assert visit_protection_end(at(11, 22, 15, 0), Policy(visit_protection_days=30), TZ) == (
        end_of(12, 21)
    )


# ---------------------------------------------------------------- R6 bulk extension


def test_bulk_client_visited_on_11_22_is_protected_until_02_19():
    visit_end = visit_protection_end(at(11, 22, 15, 0), POLICY, TZ)

    assert bulk_extension_end(visit_end, POLICY, TZ) == end_of(2, 19, 2027)


def test_bulk_extension_gives_ninety_days_in_total_counting_the_arrival_day():
    arrived = at(11, 22, 15, 0)
    total = bulk_extension_end(visit_protection_end(arrived, POLICY, TZ), POLICY, TZ)

    assert (total.date() - arrived.date()).days + 1 == 90


# ---------------------------------------------------------------- R7 renewal


def test_renewal_window_of_a_protection_until_01_05_opens_on_12_30():
    assert renewal_window_start(end_of(1, 5, 2027), POLICY, TZ) == date(2026, 12, 30)


@pytest.mark.parametrize(
    ("revisit_at", "new_end"),
    [
        pytest.param(at(12, 31, 10, 0), end_of(2, 19, 2027), id="R7 example: re-visit 12-31"),
        pytest.param(at(12, 29, 23, 59), None, id="R7 example: re-visit 12-29 changes nothing"),
        pytest.param(at(12, 30, 0, 0), end_of(2, 19, 2027), id="first minute of the window"),
        pytest.param(at(1, 5, 23, 59, year=2027), end_of(2, 19, 2027), id="the end day counts"),
        pytest.param(at(1, 6, 0, 0, year=2027), None, id="the day after the end is too late"),
        pytest.param(
            utc(12, 29, 16, 30), end_of(2, 19, 2027), id="UTC 12-29 16:30 is 12-30 Shanghai"
        ),
        pytest.param(utc(12, 29, 15, 30), None, id="UTC 12-29 15:30 is 12-29 Shanghai"),
    ],
)
def test_a_confirmed_revisit_in_the_last_seven_days_renews_from_the_day_after_the_old_end(
    revisit_at, new_end
):
    assert renewed_end(end_of(1, 5, 2027), revisit_at, POLICY, TZ) == new_end


def test_a_renewal_window_of_zero_switches_renewal_off():
    off = Policy(renewal_window_days=0)

    assert renewal_window_start(end_of(1, 5, 2027), off, TZ) is None
    assert renewed_end(end_of(1, 5, 2027), at(12, 31, 10, 0), off, TZ) is None


# ---------------------------------------------------------------- R8 reminders and expiry


def test_protection_until_01_05_is_reminded_on_12_29_and_01_04():
    assert reminder_days(end_of(1, 5, 2027), (7, 1), TZ) == [
        date(2026, 12, 29),
        date(2027, 1, 4),
    ]


def test_the_seven_day_reminder_falls_the_day_before_the_renewal_window_opens():
    end = end_of(1, 5, 2027)
    seven_days_before = reminder_days(end, (7,), TZ)[0]

    assert renewal_window_start(end, POLICY, TZ) == seven_days_before + timedelta(days=1)


def test_a_filing_made_on_11_22_is_reminded_of_its_lapse_on_11_28():
    until = filing_protection_end(at(11, 22, 10, 0), POLICY, TZ)

    assert until == end_of(11, 29)
    assert reminder_days(until, (1,), TZ) == [date(2026, 11, 28)]


def test_reminder_days_are_counted_in_shanghai_for_an_end_given_in_utc():
    end_in_utc = end_of(1, 5, 2027).astimezone(UTC)

    assert reminder_days(end_in_utc, (7, 1), TZ) == [date(2026, 12, 29), date(2027, 1, 4)]


def test_an_expired_visit_protection_makes_the_client_a_public_client_of_the_case_site():
    expired = ClientState("visited", owner_distributor_id=7, protected_until=end_of(1, 5, 2027))

    decision = decide_ownership(expired, 7, at(1, 6, 0, 0, year=2027), POLICY)

    assert decision.reason is Reason.KNOWN_TO_SITE
    assert decision.known_source == "public"


# ---------------------------------------------------------------- R10 claim window


@pytest.mark.parametrize(
    ("deal_at", "deadline"),
    [
        pytest.param(at(12, 1, 10, 0), end_of(12, 3), id="R10 example: deal 12-01"),
        pytest.param(at(12, 1, 23, 59), end_of(12, 3), id="deal late on 12-01"),
        pytest.param(at(12, 31, 10, 0), end_of(1, 2, 2027), id="year end: deal 12-31"),
        pytest.param(
            at(2, 28, 10, 0, year=2028), end_of(3, 1, 2028), id="leap year: deal 2028-02-28"
        ),
        pytest.param(utc(11, 30, 16, 30), end_of(12, 3), id="UTC 11-30 16:30 is 12-01 Shanghai"),
    ],
)
def test_a_claim_may_be_made_until_the_end_of_the_third_day_counting_the_deal_day(
    deal_at, deadline
):
    assert claim_deadline(deal_at, POLICY, TZ) == deadline


def test_a_claim_one_second_after_12_03_23_59_59_is_too_late_for_a_deal_on_12_01():
    deadline = claim_deadline(at(12, 1, 10, 0), POLICY, TZ)
    last_second = datetime(2026, 12, 3, 23, 59, 59, tzinfo=TZ)

    assert last_second <= deadline
    assert last_second + ONE_SECOND > deadline
