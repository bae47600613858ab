"""Filing rules of the rule book (domain.md R1-R4): notice, ownership, protection, cap.

Plus the policy values (Policy.from_mapping), the rule code and explanation of every
decision, and the phone mask.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from models.policy import (
    KNOWN_SOURCES,
    ClientState,
    FilingFacts,
    Policy,
    PolicyError,
    Reason,
    Ruling,
    check_advance_notice,
    decide_filing,
    decide_ownership,
    mask_matches,
    mask_phone,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

POLICY = Policy()
ONE_SECOND = timedelta(seconds=1)
ME = 1  # the filing agent's distributor
OTHER = 4242  # another distributor; must never show in a refusal


def facts(
    arrival_at: datetime,
    *,
    existing: ClientState | None = None,
    distributor_id: int = ME,
    status: str = "active",
    remote: bool = False,
    open_filings: int = 0,
) -> FilingFacts:
    return FilingFacts(
        distributor_id=distributor_id,
        distributor_status=status,
        remote=remote,
        arrival_at=arrival_at,
        existing=existing,
        open_filings=open_filings,
    )


NOW = at(11, 22, 10, 0)  # filing time of most cases below
LATER_TODAY = at(11, 22, 15, 0)  # an arrival that satisfies R2 for NOW


# ---------------------------------------------------------------- R2 advance notice

S = ONE_SECOND


@pytest.mark.parametrize(
    ("filed_at", "arrival_at", "remote", "earliest"),
    [
        pytest.param(
            at(11, 22, 14, 10),
            at(11, 22, 15, 0),
            False,
            at(11, 22, 15, 10),
            id="R2 example: local 14:10 -> 15:00 is 50 min, refused",
        ),
        pytest.param(
            at(11, 22, 14, 0),
            at(11, 22, 15, 0),
            False,
            None,
            id="R2 example: local 14:00 -> 15:00 is exactly 60 min, valid",
        ),
        pytest.param(
            at(11, 22, 13, 59),
            at(11, 22, 15, 0),
            False,
            None,
            id="R2 example: local 13:59 -> 15:00, valid",
        ),
        pytest.param(
            at(11, 22, 14, 0) + 59 * S,
            at(11, 22, 15, 0),
            False,
            None,
            id="whole minutes: local filed 14:00:59 is a 14:00 filing, valid",
        ),
        pytest.param(
            at(11, 22, 14, 1),
            at(11, 22, 15, 0),
            False,
            at(11, 22, 15, 1),
            id="local filed one minute too late",
        ),
        pytest.param(
            at(11, 22, 14, 0) - S,
            at(11, 22, 15, 0),
            False,
            None,
            id="local filed one second early enough",
        ),
        pytest.param(
            at(11, 22, 14, 0),
            at(11, 22, 15, 0) - S,
            False,
            at(11, 22, 15, 0),
            id="local arrival one second before the limit",
        ),
        pytest.param(
            at(11, 22, 14, 0),
            at(11, 22, 15, 0) + S,
            False,
            None,
            id="local arrival one second after the limit",
        ),
        pytest.param(
            at(11, 21, 23, 30),
            at(11, 22, 0, 30),
            False,
            None,
            id="across midnight: local 23:30 -> 00:30 is exactly 60 min",
        ),
        pytest.param(
            at(11, 21, 23, 31),
            at(11, 22, 0, 30),
            False,
            at(11, 22, 0, 31),
            id="across midnight: local 23:31 -> 00:30 is 59 min",
        ),
        pytest.param(
            at(11, 22, 14, 10) + 30 * S,
            at(11, 22, 15, 0),
            False,
            at(11, 22, 15, 10),
            id="whole minutes: filed 14:10:30 counts as 14:10, earliest 15:10",
        ),
        pytest.param(
            at(11, 21, 16, 0),
            at(11, 22, 15, 0),
            True,
            at(11, 22, 16, 0),
            id="R2 example: out-of-town 11-21 16:00 -> 11-22 15:00 is 23 h",
        ),
        pytest.param(
            at(11, 21, 16, 0),
            at(11, 22, 16, 0),
            True,
            None,
            id="R2 example: out-of-town 11-21 16:00 -> 11-22 16:00 is 24 h",
        ),
        pytest.param(
            at(11, 21, 16, 0) + 59 * S,
            at(11, 22, 16, 0),
            True,
            None,
            id="whole minutes: out-of-town filed 16:00:59 is a 16:00 filing, valid",
        ),
        pytest.param(
            at(11, 21, 16, 1),
            at(11, 22, 16, 0),
            True,
            at(11, 22, 16, 1),
            id="out-of-town filed one minute too late",
        ),
        pytest.param(
            at(11, 21, 16, 0),
            at(11, 22, 16, 0) - S,
            True,
            at(11, 22, 16, 0),
            id="out-of-town arrival one second before the limit",
        ),
        pytest.param(
            at(12, 31, 16, 0),
            at(1, 1, 16, 0, year=2027),
            True,
            None,
            id="out-of-town across the year end",
        ),
        pytest.param(
            datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
            at(11, 22, 16, 0),
            True,
            None,
            id="filed 08:00 UTC is 16:00 Shanghai: exactly 24 h",
        ),
        pytest.param(
            at(11, 22, 10, 0),
            at(11, 22, 15, 0),
            True,
            at(11, 23, 10, 0),
            id="R1: front desk corrects local to out-of-town, R2 applies again",
        ),
    ],
)
def test_advance_notice_is_one_hour_local_and_24_hours_out_of_town(
    filed_at, arrival_at, remote, earliest
):
    decision = check_advance_notice(filed_at, arrival_at, remote, POLICY)

    if earliest is None:
        assert decision.reason is Reason.ACCEPTED
        assert decision.earliest is None
    else:
        assert decision.reason is Reason.NOTICE_TOO_SHORT
        assert decision.rule == "R2"
        assert decision.earliest == earliest


def test_half_an_hour_local_notice_is_a_policy_variant():
    variant = Policy(local_notice_minutes=30)

    assert check_advance_notice(at(11, 22, 14, 10), at(11, 22, 14, 40), False, variant).ok
    refused = check_advance_notice(at(11, 22, 14, 10), at(11, 22, 14, 39), False, variant)
    assert refused.earliest == at(11, 22, 14, 40)


def test_local_client_filed_fifty_minutes_before_arrival_is_refused():
    decision = decide_filing(facts(at(11, 22, 15, 0)), at(11, 22, 14, 10), POLICY, TZ)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.rule == "R2"
    assert decision.earliest == at(11, 22, 15, 10)
    assert "2026-11-22 15:10" in decision.explanation()


def test_local_client_filed_at_14_10_30_is_a_14_10_filing_told_15_10_as_the_earliest():
    filed = at(11, 22, 14, 10) + timedelta(seconds=30)

    decision = decide_filing(facts(at(11, 22, 15, 0)), filed, POLICY, TZ)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.earliest == at(11, 22, 15, 10)
    assert "2026-11-22 15:10" in decision.explanation()


def test_local_client_filed_at_14_00_59_for_15_00_is_accepted_in_whole_minutes():
    filed = at(11, 22, 14, 0) + timedelta(seconds=59)

    decision = decide_filing(facts(at(11, 22, 15, 0)), filed, POLICY, TZ)

    assert decision.reason is Reason.ACCEPTED


def test_local_client_filed_sixty_minutes_before_arrival_is_accepted():
    decision = decide_filing(facts(at(11, 22, 15, 0)), at(11, 22, 14, 0), POLICY, TZ)

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)


def test_earliest_arrival_is_shown_in_shanghai_time_when_the_clock_is_read_in_utc():
    filed_utc = datetime(2026, 11, 22, 6, 10, tzinfo=UTC)  # 14:10 in Shanghai

    decision = decide_filing(facts(at(11, 22, 15, 0)), filed_utc, POLICY, TZ)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.earliest == at(11, 22, 15, 10)
    assert "2026-11-22 15:10" in decision.explanation()


# ---------------------------------------------------------------- R3 one owner at a time


def test_a_client_nobody_knows_is_accepted_with_the_filing_protection():
    decision = decide_filing(facts(LATER_TODAY), NOW, POLICY, TZ)

    assert decision.reason is Reason.ACCEPTED
    assert decision.ok is True
    assert decision.protected_until == end_of(11, 29)
    assert "2026-11-29" in decision.explanation()


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param(ClientState("filed", OTHER, end_of(11, 27)), id="filed by another"),
        pytest.param(ClientState("visited", OTHER, end_of(11, 27)), id="visited with another"),
    ],
)
def test_a_client_protected_by_another_distributor_is_refused_saying_until_when_but_not_by_whom(
    existing,
):
    decision = decide_filing(facts(LATER_TODAY, existing=existing), NOW, POLICY, TZ)

    assert decision.reason is Reason.PROTECTED_BY_OTHER
    assert decision.rule == "R3"
    assert decision.protected_until == end_of(11, 27)
    explanation = decision.explanation()
    assert "2026-11-27" in explanation
    assert str(OTHER) not in explanation
    assert OTHER not in asdict(decision).values()


def test_the_same_distributor_filing_its_own_client_again_is_told_already_yours_unextended():
    mine = ClientState("filed", ME, end_of(11, 27))

    decision = decide_filing(facts(LATER_TODAY, existing=mine), NOW, POLICY, TZ)

    assert decision.reason is Reason.ALREADY_YOURS
    assert decision.rule == "R3"
    assert decision.protected_until == end_of(11, 27)  # not the new filing's 11-29
    assert "2026-11-27" in decision.explanation()
    assert "不延长" in decision.explanation()


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("natural_visit", "自然到访"),
        ("public", "公客"),
        ("import", "来电来访"),
        ("own", "自拓"),
        ("referral", "老带新"),
        ("partner", "合作伙伴"),
    ],
)
def test_a_client_known_to_the_case_site_is_refused_naming_the_source(source, words):
    known = ClientState("known", known_source=source)

    decision = decide_filing(facts(LATER_TODAY, existing=known), NOW, POLICY, TZ)

    assert decision.reason is Reason.KNOWN_TO_SITE
    assert decision.rule == "R3"
    assert decision.known_source == source
    assert words in decision.explanation()


def test_every_known_source_of_r3_has_its_own_wording():
    assert set(KNOWN_SOURCES) == {"natural_visit", "public", "import", "own", "referral", "partner"}


@pytest.mark.parametrize(
    "distributor_id",
    [pytest.param(ME, id="the same distributor"), pytest.param(77, id="another distributor")],
)
def test_a_lapsed_filing_is_nobodys_and_may_be_filed_again_by_anyone(distributor_id):
    lapsed = ClientState("filed", ME, end_of(11, 21))

    ownership = decide_ownership(lapsed, distributor_id, NOW, POLICY)
    filing = decide_filing(
        facts(LATER_TODAY, existing=lapsed, distributor_id=distributor_id), NOW, POLICY, TZ
    )

    assert ownership.reason is Reason.ACCEPTED
    assert filing.reason is Reason.ACCEPTED
    assert filing.protected_until == end_of(11, 29)


def test_filing_a_lapsed_client_again_is_subject_to_the_advance_notice_again():
    lapsed = ClientState("filed", ME, end_of(11, 21))

    decision = decide_filing(facts(at(11, 22, 10, 30), existing=lapsed), NOW, POLICY, TZ)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.earliest == at(11, 22, 11, 0)


def test_a_filing_protection_ending_this_very_instant_still_protects():
    ends_now = ClientState("filed", OTHER, NOW)
    ended_a_second_ago = ClientState("filed", OTHER, NOW - ONE_SECOND)

    assert decide_ownership(ends_now, ME, NOW, POLICY).reason is Reason.PROTECTED_BY_OTHER
    assert decide_ownership(ended_a_second_ago, ME, NOW, POLICY).reason is Reason.ACCEPTED


@pytest.mark.parametrize(
    "distributor_id",
    [pytest.param(ME, id="the former owner"), pytest.param(77, id="another distributor")],
)
def test_an_expired_visited_client_is_a_public_client_known_to_the_site(distributor_id):
    expired = ClientState("visited", ME, end_of(11, 21))

    decision = decide_filing(
        facts(LATER_TODAY, existing=expired, distributor_id=distributor_id), NOW, POLICY, TZ
    )

    assert decision.reason is Reason.KNOWN_TO_SITE
    assert decision.known_source == "public"
    assert "公客" in decision.explanation()


def test_an_expired_visited_client_may_be_filed_again_when_the_policy_allows_it():
    expired = ClientState("visited", ME, end_of(11, 21))

    decision = decide_filing(
        facts(LATER_TODAY, existing=expired, distributor_id=77),
        NOW,
        Policy(expired_refile=True),
        TZ,
    )

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)


@pytest.mark.parametrize("status", ["suspended", "blacklisted"])
def test_a_suspended_or_blacklisted_distributor_cannot_file(status):
    decision = decide_filing(facts(LATER_TODAY, status=status), NOW, POLICY, TZ)

    assert decision.reason is Reason.DISTRIBUTOR_NOT_ALLOWED
    assert decision.rule == "R3"
    assert decision.ok is False


def test_a_blacklisted_distributor_is_told_so_before_anything_about_the_client():
    taken = ClientState("filed", OTHER, end_of(11, 27))

    decision = decide_filing(
        facts(LATER_TODAY, existing=taken, status="blacklisted"), NOW, POLICY, TZ
    )

    assert decision.reason is Reason.DISTRIBUTOR_NOT_ALLOWED


# ---------------------------------------------------------------- R4 arrival inside protection


def test_an_arrival_after_the_filing_protection_end_is_refused():
    decision = decide_filing(facts(at(11, 30, 0, 0)), NOW, POLICY, TZ)

    assert decision.reason is Reason.ARRIVAL_AFTER_PROTECTION
    assert decision.rule == "R4"
    assert decision.protected_until == end_of(11, 29)
    assert "2026-11-29" in decision.explanation()


def test_an_arrival_in_the_last_minute_of_the_filing_protection_is_accepted():
    decision = decide_filing(facts(at(11, 29, 23, 59)), NOW, POLICY, TZ)

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)


def test_a_filing_on_11_30_protects_an_arrival_on_12_07_but_not_on_12_08():
    filed = at(11, 30, 9, 0)

    inside = decide_filing(facts(at(12, 7, 23, 59)), filed, POLICY, TZ)
    outside = decide_filing(facts(at(12, 8, 0, 0)), filed, POLICY, TZ)

    assert inside.reason is Reason.ACCEPTED
    assert inside.protected_until == end_of(12, 7)
    assert outside.reason is Reason.ARRIVAL_AFTER_PROTECTION
    assert outside.protected_until == end_of(12, 7)


# ---------------------------------------------------------------- cap on open filings


@pytest.mark.parametrize(
    ("cap", "open_filings", "reason"),
    [
        pytest.param(2, 2, Reason.CAP_REACHED, id="at the cap"),
        pytest.param(2, 3, Reason.CAP_REACHED, id="over the cap"),
        pytest.param(2, 1, Reason.ACCEPTED, id="under the cap"),
        pytest.param(0, 500, Reason.ACCEPTED, id="a cap of 0 is off"),
    ],
)
def test_open_filings_are_capped_only_when_the_policy_sets_a_cap(cap, open_filings, reason):
    decision = decide_filing(
        facts(LATER_TODAY, open_filings=open_filings), NOW, Policy(max_open_filings=cap), TZ
    )

    assert decision.reason is reason


# ---------------------------------------------------------------- policy values


def test_default_policy_matches_the_rule_books_table():
    assert Policy().as_dict() == {
        "local_notice_minutes": 60,
        "remote_notice_minutes": 1440,
        "filing_protection_days": 7,
        "visit_protection_days": 45,
        "bulk_extension_days": 45,
        "renewal_window_days": 7,
        "claim_window_days": 3,
        "claim_first_filer_wins": False,
        "max_open_filings": 0,
        "expired_refile": False,
        "visit_slack_minutes": 5,
        "filing_reminder_days": 1,
        "visit_reminder_days": 7,
        "visit_last_reminder_days": 1,
        "interception_fine_yuan": 50_000,
        "false_filing_damages_yuan": 100_000,
        "refund_deadline_days": 3,
        "commission_rate_bp": 160,
        "commission_low_rate_bp": 150,
        "commission_low_rate_below_contracts": 2,
    }


def test_policy_from_nothing_is_the_default_policy():
    assert Policy.from_mapping(None) == Policy()
    assert Policy.from_mapping({}) == Policy()


def test_policy_from_mapping_refuses_an_unknown_key_and_names_it():
    with pytest.raises(PolicyError, match="local_notice_hours"):
        Policy.from_mapping({"local_notice_hours": 1})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"expired_refile": "true"}, {"expired_refile": True}),
        ({"expired_refile": "0"}, {"expired_refile": False}),
        ({"expired_refile": " Yes "}, {"expired_refile": True}),
        ({"expired_refile": "off"}, {"expired_refile": False}),
        ({"expired_refile": True}, {"expired_refile": True}),
        ({"local_notice_minutes": "30"}, {"local_notice_minutes": 30}),
        ({"max_open_filings": 0}, {"max_open_filings": 0}),
        ({"renewal_window_days": " 0 "}, {"renewal_window_days": 0}),
    ],
)
def test_policy_from_mapping_coerces_typed_text(given, expected):
    values = Policy.from_mapping(given).as_dict()

    assert {key: values[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ({"local_notice_minutes": -1}, "local_notice_minutes"),
        ({"claim_window_days": "-3"}, "claim_window_days"),
        ({"visit_protection_days": "forty-five"}, "visit_protection_days"),
        ({"expired_refile": "maybe"}, "expired_refile"),
    ],
)
def test_policy_from_mapping_refuses_a_bad_value_and_names_the_key(given, key):
    with pytest.raises(PolicyError, match=key):
        Policy.from_mapping(given)


def test_a_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)


# ---------------------------------------------------------------- rule codes, explanations


@pytest.mark.parametrize(
    ("reason", "rule"),
    [
        (Reason.NOTICE_TOO_SHORT, "R2"),
        (Reason.DISTRIBUTOR_NOT_ALLOWED, "R3"),
        (Reason.PROTECTED_BY_OTHER, "R3"),
        (Reason.ALREADY_YOURS, "R3"),
        (Reason.KNOWN_TO_SITE, "R3"),
        (Reason.ARRIVAL_AFTER_PROTECTION, "R4"),
        (Reason.NOT_PROTECTED, "R4"),
    ],
)
def test_each_decision_names_the_rule_that_decided_it(reason, rule):
    assert Ruling(reason).rule == rule


@pytest.mark.parametrize("reason", list(Reason), ids=lambda r: r.value)
def test_every_reason_has_an_explanation_even_without_facts(reason):
    bare = Ruling(reason)

    assert re.fullmatch(r"[RL][0-9]+", bare.rule)  # a rule (R1-R12) or a product limit (L1)
    assert isinstance(bare.explanation(), str)
    assert bare.explanation().strip() != ""


@pytest.mark.parametrize("reason", list(Reason), ids=lambda r: r.value)
def test_every_reason_has_an_explanation_with_all_facts_filled(reason):
    full = Ruling(
        reason,
        protected_until=end_of(11, 29),
        earliest=at(11, 22, 15, 10),
        known_source="public",
        status="已失效",
    )

    assert full.explanation().strip() != ""


def test_an_unknown_known_source_still_explains_the_client_as_known_to_the_site():
    explanation = Ruling(Reason.KNOWN_TO_SITE, known_source="carrier_pigeon").explanation()

    assert "案场已知客户" in explanation


# ---------------------------------------------------------------- R1 phone mask


def test_a_phone_is_masked_as_first_three_stars_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("mask", "full", "matches"),
    [
        ("138****5678", "13812345678", True),
        ("138****5678", "13899995678", True),
        ("138****5678", "13812345679", False),
        ("138****5678", "13912345678", False),
        ("138****5678", "1381235678", False),
        ("138****5678", "138000005678", False),
    ],
)
def test_a_full_phone_matches_a_mask_only_with_eleven_digits_and_the_same_ends(mask, full, matches):
    assert mask_matches(mask, full) is matches
