"""R11 as sentences: the rulings on violations, the refund deadline, the grammar of 违规
and which record a manager's photo is the evidence of."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.commands import ListViolations, ParseError, ParseProblem, RecordViolation
from handlers.grammar import parse
from models.policy import Policy
from models.policy.evidence import Recorded, Registered, attach_ruling, photo_violation
from models.policy.violation_wording import ViolationFacts, violation_explanation, violation_message
from models.policy.violations import (
    ViolationKind,
    ViolationOutcome,
    refund_deadline,
    rule_violation,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit
POLICY = Policy()
INTERCEPTION, FALSE_FILING = ViolationKind.INTERCEPTION, ViolationKind.FALSE_FILING


def test_a_first_interception_is_fined_50000_yuan() -> None:
    ruling = rule_violation(INTERCEPTION, 0, at(12, 1, 10), POLICY, TZ)
    assert (ruling.outcome, ruling.fine_yuan, ruling.offence) == (ViolationOutcome.FINED, 50_000, 1)
    assert not ruling.blacklist and ruling.rule == "R11"
    assert violation_explanation(ruling, TZ).startswith("首次截客，罚款 50,000 元")


def test_the_second_interception_in_any_project_blacklists_without_a_fine() -> None:
    ruling = rule_violation(INTERCEPTION, 1, at(12, 1, 10), POLICY, TZ)
    assert (ruling.outcome, ruling.fine_yuan, ruling.offence) == (
        ViolationOutcome.BLACKLISTED, None, 2,
    )  # fmt: skip
    assert ruling.blacklist and "列入黑名单（R11）" in violation_explanation(ruling, TZ)


def test_a_third_interception_still_blacklists() -> None:
    assert rule_violation(INTERCEPTION, 2, at(12, 1, 10), POLICY, TZ).blacklist


def test_a_project_with_no_fine_records_the_first_interception_without_one() -> None:
    ruling = rule_violation(INTERCEPTION, 0, at(12, 1), Policy(interception_fine_yuan=0), TZ)
    assert ruling.fine_yuan is None and "本项目不罚款" in violation_explanation(ruling, TZ)


def test_a_false_filing_withholds_the_commission_with_damages_and_a_refund_deadline() -> None:
    ruling = rule_violation(FALSE_FILING, 5, at(12, 1, 10), POLICY, TZ)
    assert ruling.outcome is ViolationOutcome.WITHHELD and not ruling.blacklist
    assert (ruling.damages_yuan, ruling.refund_due_at) == (100_000, end_of(12, 3))
    words = violation_explanation(ruling, TZ)
    assert "佣金不予支付" in words and "2026-12-03 23:59:59" in words and "100,000 元" in words


def test_the_refund_deadline_counts_the_notice_day_as_day_one() -> None:
    assert refund_deadline(at(12, 1, 0, 1), POLICY, TZ) == end_of(12, 3)
    assert refund_deadline(at(12, 1, 23, 59), POLICY, TZ) == end_of(12, 3)
    assert refund_deadline(at(12, 30, 10), POLICY, TZ) == end_of(1, 1, year=2027)
    assert refund_deadline(at(12, 1), Policy(refund_deadline_days=1), TZ) == end_of(12, 1)
    assert refund_deadline(at(12, 1), Policy(refund_deadline_days=0), TZ) is None


def test_the_agents_push_names_the_rule_the_amount_and_only_their_own_company() -> None:
    ruling = rule_violation(INTERCEPTION, 1, at(12, 1, 10), POLICY, TZ)
    text, fields = violation_message(ruling, ViolationFacts("星河湾", "甲公司", None, None, 3), TZ)
    assert "R11" in text and "甲公司" in text and "您名下 3 条客户保护即时结束" in text
    assert all(len(value) <= 20 for value in fields.values())
    fined = rule_violation(INTERCEPTION, 0, at(12, 1, 10), POLICY, TZ)
    text, _ = violation_message(fined, ViolationFacts("星河湾", "甲公司", None, None, 0), TZ)
    assert "50,000 元" in text


def test_violation_is_parsed_with_a_spaced_full_name_and_a_required_reason() -> None:
    now = at(12, 1, 10)
    assert parse("违规 甲房产 经纪有限公司 截客 门口拦截 13812345678", now) == RecordViolation(
        "甲房产经纪有限公司", "interception", "门口拦截 138****5678"
    )
    assert parse("违规 甲 违约报备 #12 客户不认识", now) == RecordViolation(
        "甲", "false_filing", "客户不认识", 12
    )
    assert parse("违规 甲 翘客 说明", now) == RecordViolation("甲", "interception", "说明")
    assert parse("违规记录", now) == ListViolations()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("违规", ParseProblem.MISSING_FIELDS),
        ("违规 甲公司 截客", ParseProblem.MISSING_FIELDS),  # no reason
        ("违规 截客 说明", ParseProblem.MISSING_FIELDS),  # no distributor
        ("违规 甲公司 迟到 说明", ParseProblem.MISSING_FIELDS),  # no kind
        ("违规 甲公司 违约报备 说明", ParseProblem.BAD_NUMBER),  # no filing number
    ],
)
def test_a_violation_missing_a_part_is_refused_naming_the_verb(
    text: str, problem: ParseProblem
) -> None:
    error = parse(text, at(12, 1, 10))
    assert isinstance(error, ParseError) and (error.problem, error.verb) == (problem, "违规")


WINDOW = timedelta(minutes=10)


def test_a_photo_after_a_violation_is_its_evidence() -> None:
    recorded = [Recorded(7, at(12, 1, 10, 20))]
    assert photo_violation(at(12, 1, 10, 25), [], recorded, WINDOW) == recorded[0]
    assert photo_violation(at(12, 1, 10, 31), [], recorded, WINDOW) is None  # 11 min after
    assert photo_violation(at(12, 1, 10, 15), [], recorded, WINDOW) is None  # before it


def test_a_photo_goes_to_the_senders_most_recent_record() -> None:
    violation = [Recorded(7, at(12, 1, 10, 20))]
    later_arrival = [Registered(3, at(12, 1, 10, 22))]
    earlier_arrival = [Registered(3, at(12, 1, 10, 18))]
    assert photo_violation(at(12, 1, 10, 25), later_arrival, violation, WINDOW) is None
    assert photo_violation(at(12, 1, 10, 25), earlier_arrival, violation, WINDOW) == violation[0]
    ruling = attach_ruling(at(12, 1, 10, 25), earlier_arrival, WINDOW, at(12, 1, 10, 26), violation)
    assert ruling is not None and (ruling.violation_id, ruling.arrival_id, ruling.rule) == (
        7, None, "R11",
    )  # fmt: skip
