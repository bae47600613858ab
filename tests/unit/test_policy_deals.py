"""R9: a deal is attributed to the distributor protecting the client at its first event."""

from __future__ import annotations

import pytest

from models.policy import ProtectionFacts
from models.policy.deals import AttributionReason, EarlierDeal, RowAt, attribute_deal
from tests.moments import at, end_of

pytestmark = pytest.mark.unit


def row(
    id_: int,
    distributor: int,
    since: tuple[int, ...],
    until: tuple[int, ...],
    ended: str | None = None,
) -> RowAt:
    return RowAt(
        ProtectionFacts(id_, distributor, distributor * 10, end_of(*until), ended), at(*since)
    )


VISIT = row(2, 7, (11, 22, 15), (1, 5, 2027))


def test_a_deal_during_a_visit_protection_goes_to_that_distributor() -> None:
    ruling = attribute_deal(at(12, 1, 10), [VISIT])
    assert (ruling.distributor_id, ruling.reason, ruling.rule) == (
        7,
        AttributionReason.PROTECTED_AT_FIRST_EVENT,
        "R9",
    )
    assert ruling.protection_id == 2


def test_a_deal_for_a_client_nobody_protects_goes_to_nobody() -> None:
    lapsed = row(1, 7, (11, 22, 14), (11, 29), "lapsed")
    ruling = attribute_deal(at(12, 1, 10), [lapsed])
    assert (ruling.distributor_id, ruling.reason) == (None, AttributionReason.NOBODY_PROTECTED)
    assert "R9" in ruling.explanation


def test_a_later_event_keeps_the_first_events_attribution() -> None:
    first = EarlierDeal(at(12, 1, 10), 7)
    other = row(3, 8, (1, 6, 0, 0, 2027), (2, 1, 2027))
    ruling = attribute_deal(at(1, 10, 10, 0, 2027), [VISIT, other], [first])
    assert (ruling.distributor_id, ruling.reason) == (7, AttributionReason.KEPT_FROM_FIRST_EVENT)


def test_a_first_event_that_went_to_nobody_stays_nobodys() -> None:
    ruling = attribute_deal(at(12, 5), [VISIT], [EarlierDeal(at(11, 20), None)])
    assert ruling.distributor_id is None


def test_a_late_typed_deal_is_judged_at_its_own_date_rows_started_later_do_not_count() -> None:
    assert attribute_deal(at(11, 21), [VISIT]).distributor_id is None


def test_a_filing_row_superseded_later_by_its_visit_protected_before_the_visit() -> None:
    filing = row(1, 7, (11, 20, 9), (11, 27), "superseded")
    assert attribute_deal(at(11, 21), [filing, VISIT]).distributor_id == 7
    assert attribute_deal(at(11, 21), [filing]).distributor_id == 7
