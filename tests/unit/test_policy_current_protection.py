"""R3: the client's current protection row, the one source of its owner and end."""

from __future__ import annotations

import pytest

from models.policy import ProtectionFacts, current_protection
from tests.moments import end_of

pytestmark = pytest.mark.unit


def row(
    id_: int, until: tuple[int, ...], ended: str | None = None, held: bool = False
) -> ProtectionFacts:
    return ProtectionFacts(id_, 7, 70, end_of(*until), ended, held)


def test_no_rows_no_owner() -> None:
    assert current_protection([]) is None


def test_the_open_row_that_ends_last_is_current_a_bulk_extension_from_the_next_day() -> None:
    visit, bulk = row(1, (1, 5, 2027)), row(2, (2, 19, 2027))
    assert current_protection([visit, bulk]) == bulk


def test_an_open_row_wins_over_a_row_that_ran_out_even_if_that_one_ended_later() -> None:
    lapsed, refiled = row(1, (12, 7), "lapsed"), row(2, (11, 29))
    assert current_protection([lapsed, refiled]) == refiled


def test_a_visit_that_expired_still_names_its_end_after_the_end_job_closed_it() -> None:
    superseded, expired = row(1, (11, 29), "superseded"), row(2, (1, 5, 2027), "expired")
    assert current_protection([superseded, expired]) == expired


def test_a_cancelled_or_rejected_row_leaves_nothing_behind() -> None:
    assert current_protection([row(1, (11, 29), "cancelled"), row(2, (12, 6), "rejected")]) is None


def test_a_filing_held_by_its_arrival_awaiting_the_manager_stays_current() -> None:
    held = row(1, (11, 29), "superseded", held=True)
    assert current_protection([row(0, (11, 20), "lapsed"), held]) == held


def test_ties_go_to_the_newest_row() -> None:
    assert current_protection([row(1, (11, 29)), row(2, (11, 29))]) == row(2, (11, 29))
