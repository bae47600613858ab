"""A manager's rulings (R5 approval, R6, R7) as sentences of the rule book, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from models.policy import Policy
from models.policy.approvals import (
    ArrivalFacts,
    BulkFacts,
    Outcome,
    decide_approval,
    decide_bulk,
    decide_rejection,
    decide_revisit,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit
POLICY = Policy()


def first_visit(proposed: str = "valid", rule: str = "R5") -> ArrivalFacts:
    return ArrivalFacts(proposed, rule, "why", at(11, 22, 15, 0))


def test_approval_counts_45_days_from_the_arrival_day_even_when_approved_later() -> None:
    ruling = decide_approval(first_visit(), None, POLICY, TZ)
    assert (ruling.outcome, ruling.rule) == (Outcome.APPROVED, "R5")
    assert ruling.until == end_of(1, 5, year=2027)
    assert "到访保护至 2027-01-05" in ruling.explanation()


def test_a_natural_proposal_under_r2_needs_an_exception_with_a_reason() -> None:
    refused = decide_approval(first_visit("natural", "R2"), None, POLICY, TZ)
    assert refused.outcome is Outcome.NEEDS_EXCEPTION and not refused.ok
    assert "通过 #编号 例外 理由" in refused.explanation()
    accepted = decide_approval(first_visit("natural", "R2"), "客户提前到场", POLICY, TZ)
    assert (accepted.outcome, accepted.rule) == (Outcome.APPROVED_EXCEPTION, "R2")
    assert accepted.until == end_of(1, 5, year=2027) and accepted.reason == "客户提前到场"


@pytest.mark.parametrize("rule", ["R3", "R4"])
def test_natural_under_another_rule_is_no_exception_a_manager_may_grant(rule: str) -> None:
    ruling = decide_approval(first_visit("natural", rule), "理由", POLICY, TZ)
    assert (ruling.outcome, ruling.rule, ruling.until) == (Outcome.NO_EXCEPTION, rule, None)


def test_a_blacklisted_distributors_arrival_is_approved_neither_plainly_nor_as_exception() -> None:
    stopped = replace(first_visit(), cooperation_stopped=True)
    for exception in (None, "客户坚持"):
        ruling = decide_approval(stopped, exception, POLICY, TZ)
        assert (ruling.outcome, ruling.rule, ruling.until) == (Outcome.NO_EXCEPTION, "R11", None)
        assert "停止合作" in ruling.explanation() and "请驳回" in ruling.explanation()


def test_a_revisit_on_12_31_renews_a_protection_until_01_05_to_02_19() -> None:
    ruling = decide_revisit(end_of(1, 5, year=2027), at(12, 31, 10), POLICY, TZ)
    assert (ruling.outcome, ruling.rule) == (Outcome.RENEWED, "R7")
    assert ruling.until == end_of(2, 19, year=2027)
    assert ruling.previous == end_of(1, 5, year=2027)


@pytest.mark.parametrize(("day", "renews"), [(29, False), (30, True)])
def test_the_renewal_window_opens_on_12_30(day: int, renews: bool) -> None:
    facts = ArrivalFacts("valid", "R7", "", at(12, day, 10), end_of(1, 5, year=2027), True)
    ruling = decide_approval(facts, None, POLICY, TZ)
    assert (ruling.outcome is Outcome.RENEWED) is renews
    if not renews:
        assert ruling.until == end_of(1, 5, year=2027) and ruling.ok
        assert ruling.window_opens == date(2026, 12, 30)
        assert "不在续期窗口内（2026-12-30 起）" in ruling.explanation()


def test_the_end_day_is_inside_the_window_and_renewals_may_repeat() -> None:
    once = decide_revisit(end_of(1, 5, year=2027), at(1, 5, 20, year=2027), POLICY, TZ)
    assert once.until == end_of(2, 19, year=2027)
    assert once.until is not None
    again = decide_revisit(once.until, at(2, 15, 10, year=2027), POLICY, TZ)
    assert again.until == end_of(4, 5, year=2027)


def test_a_revisit_after_the_protection_ended_is_the_sites_public_client() -> None:
    facts = ArrivalFacts("valid", "R7", "", at(1, 6, 10, year=2027), None, visited=True)
    ruling = decide_approval(facts, None, POLICY, TZ)
    assert (ruling.outcome, ruling.rule) == (Outcome.NO_EXCEPTION, "R8")


def test_a_rejection_is_a_natural_visit_and_keeps_a_standing_protection() -> None:
    first = decide_rejection(first_visit(), "客户未到场")
    assert (first.outcome, first.rule, first.until) == (Outcome.REJECTED, "R5", None)
    assert "客户未到场" in first.explanation() and "自然到访" in first.explanation()
    facts = ArrivalFacts("valid", "R7", "", at(12, 31, 10), end_of(1, 5, year=2027), True)
    revisit = decide_rejection(facts, "非本人")
    assert revisit.until == end_of(1, 5, year=2027) and "仍至 2027-01-05" in revisit.explanation()


def test_bulk_adds_45_days_once() -> None:
    now = at(12, 1, 10)
    ruling = decide_bulk(BulkFacts(True, end_of(1, 5, year=2027), False), now, POLICY, TZ)
    assert (ruling.outcome, ruling.rule) == (Outcome.BULK_EXTENDED, "R6")
    assert ruling.until == end_of(2, 19, year=2027)
    again = decide_bulk(BulkFacts(True, end_of(2, 19, year=2027), True), now, POLICY, TZ)
    assert again.outcome is Outcome.ALREADY_BULK and "不能再次延期" in again.explanation()


def test_bulk_needs_a_visited_client_still_protected_and_a_project_that_has_it() -> None:
    now = at(1, 6, 10, year=2027)
    assert decide_bulk(BulkFacts(False, None, False), now, POLICY, TZ).outcome is (
        Outcome.NOT_VISITED
    )
    ended = decide_bulk(BulkFacts(True, end_of(1, 5, year=2027), False), now, POLICY, TZ)
    assert (ended.outcome, ended.rule) == (Outcome.NOT_PROTECTED, "R8")
    off = Policy(bulk_extension_days=0)
    early = at(12, 1, 10)
    assert decide_bulk(BulkFacts(True, end_of(1, 5, year=2027), False), early, off, TZ).outcome is (
        Outcome.BULK_OFF
    )
