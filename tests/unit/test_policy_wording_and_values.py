"""Rulings that say the rule right and policy values the seeds need (issue 15 items 9, 10).

The cap is a product limit (L1), not R1, and names what frees a place; an arrival already
past is "时间已过"; an ended visit protection is not called a filing protection; a second
取消 is not told to file again. ``remote_notice_minutes`` lets 渠道带客's "half an hour for
every client" be set; ``claim_window_days = 0`` is seed 001's "no deadline".
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from models.policy import (
    RULE_OF,
    Actor,
    FilingFacts,
    FilingState,
    Policy,
    PolicyError,
    Reason,
    Ruling,
    claim_deadline,
    decide_filing,
    decide_visit_report,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

RULES = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
NOW = at(11, 22, 10, 0)


def filing_facts(arrival_at, *, remote=False, open_filings=0) -> FilingFacts:
    return FilingFacts(
        distributor_id=7,
        distributor_status="active",
        remote=remote,
        arrival_at=arrival_at,
        existing=None,
        open_filings=open_filings,
    )


# ---------------------------------------------------------------- the cap is L1


def test_the_cap_is_a_product_limit_coded_l1_that_names_what_frees_a_place():
    ruling = decide_filing(
        filing_facts(at(11, 22, 15, 0), open_filings=2), NOW, Policy(max_open_filings=2), TZ
    )

    assert ruling.reason is Reason.CAP_REACHED and ruling.rule == "L1"
    text = ruling.explanation()
    assert "2条" in text
    assert "到访" in text and "取消" in text and "失效" in text
    assert "带看" not in text  # a visit report does not free a place


def test_every_rule_code_a_ruling_can_name_has_its_section_in_the_rule_book():
    for code in {*RULE_OF.values(), "R2", "R5"}:
        assert re.search(rf"^## {code} ", RULES, re.MULTILINE), code


# ---------------------------------------------------------------- a past arrival


@pytest.mark.parametrize(
    ("now", "arrival"),
    [
        pytest.param(at(11, 22, 16, 0), at(11, 22, 15, 0), id="an hour ago"),
        pytest.param(at(11, 22, 15, 1), at(11, 22, 15, 0), id="the minute before"),
        pytest.param(at(11, 23, 9, 0), at(11, 22, 15, 0), id="yesterday"),
    ],
)
def test_an_arrival_already_past_is_refused_as_past_with_the_earliest_valid_time(now, arrival):
    ruling = decide_filing(filing_facts(arrival), now, Policy(), TZ)

    assert ruling.reason is Reason.ARRIVAL_IN_PAST and ruling.rule == "R2"
    assert ruling.explanation().startswith("到访时间已过")
    assert "报备须在客户到访前" not in ruling.explanation()
    assert ruling.earliest == now + timedelta(hours=1)


def test_an_arrival_in_the_current_minute_is_too_short_a_notice_not_past():
    in_the_minute = at(11, 22, 15, 0) + timedelta(seconds=40)
    ruling = decide_filing(filing_facts(at(11, 22, 15, 0)), in_the_minute, Policy(), TZ)

    assert ruling.reason is Reason.NOTICE_TOO_SHORT


# ---------------------------------------------------------------- visit protection (R5, R8)


AGENT = Actor(agent_id=11, distributor_id=7)


def visited(protected_until) -> FilingState:
    return FilingState(11, 7, "visited", at(11, 21, 10, 0), False, protected_until)


def test_a_re_visit_after_the_visit_protection_ended_says_the_visit_protection_ended():
    ruling = decide_visit_report(
        visited(end_of(1, 5, 2027)), AGENT, at(1, 6, 15, 0, 2027), at(1, 6, 10, 0, 2027), Policy()
    )

    assert ruling.reason is Reason.VISIT_PROTECTION_ENDED and ruling.rule == "R8"
    assert ruling.explanation() == "该客户的到访保护期已于 2027-01-05 结束，已转为案场公客"
    assert "报备保护期" not in ruling.explanation()


def test_under_seed_001s_variant_an_ended_visit_protection_may_be_filed_again():
    ruling = decide_visit_report(
        visited(end_of(1, 5, 2027)),
        AGENT,
        at(1, 6, 15, 0, 2027),
        at(1, 6, 10, 0, 2027),
        Policy(expired_refile=True),
    )

    assert "重新报备" in ruling.explanation() and "公客" not in ruling.explanation()


def test_a_re_visit_named_after_the_visit_protection_names_the_visit_protection():
    ruling = decide_visit_report(
        visited(end_of(1, 5, 2027)), AGENT, at(1, 6, 10, 0, 2027), at(12, 31, 10, 0), Policy()
    )

    assert ruling.reason is Reason.ARRIVAL_AFTER_PROTECTION and ruling.rule == "R5"
    assert ruling.explanation() == "到访时间晚于到访保护期（保护至 2027-01-05）"


def test_a_filing_protection_is_still_called_one():
    ruling = Ruling(Reason.ARRIVAL_AFTER_PROTECTION, protected_until=end_of(11, 29))

    assert ruling.explanation() == "到访时间晚于报备保护期（保护至 2026-11-29）"


# ---------------------------------------------------------------- remote notice in minutes


@pytest.mark.parametrize(
    ("minutes_ahead", "accepted"), [(30, True), (29, False)], ids=["30 min", "29 min"]
)
def test_half_an_hour_for_every_client_can_be_set_for_out_of_town_clients(minutes_ahead, accepted):
    policy = Policy(local_notice_minutes=30, remote_notice_minutes=30)
    arrival = NOW + timedelta(minutes=minutes_ahead)

    ruling = decide_filing(filing_facts(arrival, remote=True), NOW, policy, TZ)

    assert ruling.ok is accepted
    if not accepted:
        assert "30分钟" in ruling.explanation()


def test_the_default_out_of_town_notice_is_still_24_hours():
    assert Policy().notice_for(remote=True) == timedelta(hours=24)


@pytest.mark.parametrize(
    ("stored", "minutes"),
    [
        pytest.param({"remote_notice_hours": 24}, 1440, id="24 stored hours"),
        pytest.param({"remote_notice_hours": "48"}, 2880, id="48 as text"),
        pytest.param({"remote_notice_minutes": 30}, 30, id="the new key"),
        pytest.param(
            {"remote_notice_hours": 24, "remote_notice_minutes": 30}, 30, id="the new key wins"
        ),
        pytest.param(None, 1440, id="nothing stored"),
    ],
)
def test_a_policy_stored_in_hours_is_read_as_minutes(stored, minutes):
    assert Policy.from_stored(stored).remote_notice_minutes == minutes


def test_a_typed_old_key_is_refused_naming_the_new_one():
    with pytest.raises(PolicyError, match="remote_notice_minutes"):
        Policy.from_mapping({"remote_notice_hours": 24})


def test_a_stored_old_key_with_a_bad_value_is_refused_naming_it():
    with pytest.raises(PolicyError, match="remote_notice_hours"):
        Policy.from_stored({"remote_notice_hours": "soon"})


# ---------------------------------------------------------------- claim window 0 (R10)


def test_a_claim_window_of_0_is_seed_001s_no_deadline():
    assert claim_deadline(at(12, 1, 10, 0), Policy(claim_window_days=0), TZ) is None


def test_a_claim_window_of_1_is_the_deal_day_only():
    assert claim_deadline(at(12, 1, 10, 0), Policy(claim_window_days=1), TZ) == end_of(12, 1)
