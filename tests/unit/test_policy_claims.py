"""R10: the claim window and the ruling of a deal's conflict claims, step by step.

Distributor 7 (甲) holds the deal (R9's attribution); 8 (乙) claims it. Each test is one
worked example of domain.md R10 (docs/rules.md R10).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.policy import Policy
from models.policy.claim_wording import (
    ClaimPushFacts,
    computed_explanation,
    explanation,
    ruling_push,
)
from models.policy.claims import (
    Case,
    Details,
    Known,
    Override,
    Record,
    Row,
    Step,
    check_window,
    compare,
    row_at,
    rule_claims,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

JIA, YI = 7, 8
CLIENT, SPOUSE = 100, 101
DEAL_AT = at(12, 1, 10)
PHONE = "13812345678"


def visit(arrived: datetime, filed: datetime, days: int = 45) -> Row:
    """A visit protection locked at the approved visit's arrival."""
    return Row(arrived, arrived + timedelta(days=days), None, arrived, filed)


def filing(filed: datetime, days: int = 7, ended: str | None = None) -> Row:
    """A filing protection never visited: locked at the filing time."""
    return Row(filed, filed + timedelta(days=days), ended, filed, filed)


def record(
    distributor: int, *rows: Row, client: int = CLIENT, mask: str = "138****5678",
    name: str = "张三", relation: str | None = None, phone: str | None = None,
) -> Record:  # fmt: skip
    return Record(distributor, distributor * 10, client, name, mask, rows, relation, phone)


def case(*records: Record, known: Known | None = None, attributed: int | None = JIA) -> Case:
    knowns = {CLIENT: known or Known()}
    return Case(DEAL_AT, CLIENT, attributed, (YI,), records, knowns)


# ---------------------------------------------------------------- the window


def test_a_claim_on_the_third_day_counting_the_deal_day_is_in_time() -> None:
    check = check_window(DEAL_AT, at(12, 3, 23, 59), Policy(), TZ)
    assert check.open and check.deadline == end_of(12, 3)


def test_a_claim_on_the_fourth_day_is_refused() -> None:
    assert not check_window(DEAL_AT, at(12, 4, 0, 0), Policy(), TZ).open


def test_a_window_of_0_has_no_deadline() -> None:
    check = check_window(DEAL_AT, at(6, 1, year=2027), Policy(claim_window_days=0), TZ)
    assert check.open and check.deadline is None


# ---------------------------------------------------------------- the tie-break order


def test_r10_1_a_claimant_whose_protection_ended_before_the_deal_loses() -> None:
    jia = record(JIA, visit(at(11, 22, 15), at(11, 22, 10)))
    yi = record(YI, filing(at(11, 1, 10)))  # lapsed 11-08, long before the deal
    ruling = rule_claims(case(jia, yi), Policy())
    assert (ruling.winner, ruling.step, ruling.moved) == (JIA, Step.VALID, False)
    assert explanation(ruling, TZ).startswith("R10.1：只有成交时仍在保护期内的报备有效")


def test_r10_1_nobody_protected_at_the_deal_leaves_it_to_nobody() -> None:
    yi = record(YI, filing(at(11, 1, 10)))
    ruling = rule_claims(case(yi, attributed=None), Policy())
    assert (ruling.winner, ruling.step) == (None, Step.VALID)
    assert "不归属任何分销商" in explanation(ruling, TZ)


def test_r10_2_a_record_with_the_correct_full_phone_beats_one_with_a_wrong_mask() -> None:
    jia = record(JIA, filing(at(11, 28, 10)), mask="139****5678")  # filed the wrong number
    yi = record(YI, visit(at(11, 29, 15), at(11, 29, 9)), phone=PHONE)  # later lock, right
    ruling = rule_claims(case(jia, yi, known=Known(PHONE)), Policy())
    assert (ruling.winner, ruling.step, ruling.moved) == (YI, Step.DETAILS, True)
    assert ruling.standing(JIA).details is Details.WRONG  # type: ignore[union-attr]
    assert explanation(ruling, TZ).startswith("R10.2")


def test_r10_2_a_wrong_name_against_the_buyers_is_wrong_details() -> None:
    known = Known(None, "110101199001011234", "张三")
    assert compare(record(YI, name="张山"), known) is Details.WRONG
    assert compare(record(YI), known) is Details.UNCHECKED
    assert compare(record(YI, phone=PHONE), Known(PHONE)) is Details.CORRECT
    assert compare(record(YI, phone="13800005678"), Known(PHONE)) is Details.WRONG


def test_r10_3_the_earlier_visit_wins_when_both_records_are_correct() -> None:
    jia = record(JIA, visit(at(11, 25, 15), at(11, 20, 9)))
    yi = record(YI, visit(at(11, 22, 15), at(11, 22, 9)))  # visited first
    ruling = rule_claims(case(jia, yi), Policy())
    assert (ruling.winner, ruling.step) == (YI, Step.LOCK)
    assert "锁定时间 2026-11-22 15:00 最早" in explanation(ruling, TZ)


def test_r10_3_a_filing_never_visited_is_locked_at_its_filing_time() -> None:
    jia = record(JIA, filing(at(11, 28, 10)))
    yi = record(YI, filing(at(11, 27, 10)))
    ruling = rule_claims(case(jia, yi), Policy())
    assert (ruling.winner, ruling.step) == (YI, Step.LOCK)


def test_r10_3_first_filer_wins_variant_counts_the_filing_time_not_the_visit() -> None:
    jia = record(JIA, visit(at(11, 22, 15), at(11, 21, 9)))  # filed 11-21
    yi = record(YI, visit(at(11, 20, 15), at(11, 15, 9), days=60))  # filed 11-15
    assert rule_claims(case(jia, yi), Policy()).winner == YI  # visited first
    jia = record(JIA, visit(at(11, 22, 15), at(11, 10, 9)))  # filed first, visited later
    assert rule_claims(case(jia, yi), Policy()).winner == YI
    assert rule_claims(case(jia, yi), Policy(claim_first_filer_wins=True)).winner == JIA


def test_a_tie_on_lock_time_keeps_the_deals_attribution() -> None:
    jia = record(JIA, filing(at(11, 28, 10)))
    yi = record(YI, filing(at(11, 28, 10)))
    assert rule_claims(case(jia, yi), Policy()).winner == JIA


def test_r10_4_a_spouse_locked_earlier_with_the_claimant_wins() -> None:
    jia = record(JIA, visit(at(11, 25, 15), at(11, 25, 9)))
    yi = record(YI, visit(at(11, 20, 15), at(11, 20, 9)), client=SPOUSE, name="李四",
                mask="139****0000", relation="配偶")  # fmt: skip
    ruling = rule_claims(case(jia, yi, known=Known(PHONE)), Policy())
    assert (ruling.winner, ruling.step) == (YI, Step.RELATIVES)
    assert explanation(ruling, TZ).startswith("R10.4")


def test_r10_5_a_managers_override_replaces_the_computed_winner_with_its_reason() -> None:
    jia = record(JIA, visit(at(11, 22, 15), at(11, 22, 9)))
    yi = record(YI, filing(at(11, 28, 10)))
    ruling = rule_claims(case(jia, yi), Policy(), Override(YI, "甲方恶意抢客，已查实"))
    assert (ruling.winner, ruling.step, ruling.computed) == (YI, Step.OVERRIDE, JIA)
    assert explanation(ruling, TZ).startswith("R10.5：经理改判，理由：甲方恶意抢客")
    assert computed_explanation(ruling, TZ).startswith("R10.3")


def test_a_cancelled_row_never_counts_and_a_superseded_one_counts_until_its_end() -> None:
    cancelled = filing(at(11, 28, 10), ended="cancelled")
    superseded = filing(at(11, 28, 10), ended="superseded")
    assert row_at([cancelled], DEAL_AT) is None
    assert row_at([superseded], DEAL_AT) == superseded


def test_the_push_says_only_whether_the_deal_is_the_agents_company() -> None:
    facts = ClaimPushFacts("星河湾", "张三", "138****5678", 12, at(12, 2, 10))
    text, fields = ruling_push(facts, False, "R10.3", "R10.3：……")
    assert "成交不归属贵司" in text and "R10.3" in text
    assert all(len(value) <= 20 for value in fields.values())


def test_times_in_the_explanation_are_the_projects() -> None:
    jia = record(JIA, filing(at(11, 28, 10)))
    yi = record(YI, filing(at(11, 27, 10)))
    ruling = rule_claims(case(jia, yi), Policy())
    assert "2026-11-27 10:00" in explanation(ruling, ZoneInfo("Asia/Shanghai"))
