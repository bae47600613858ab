"""The arrival ruling as sentences (domain.md R2 at arrival, R3, R4, R5, R7, R8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handlers.commands import ParseError, ParseProblem, RegisterArrival
from handlers.grammar import parse
from models.policy import (
    ClientState,
    FilingState,
    Policy,
    Reason,
    decide_ownership,
    filing_protection_end,
)
from models.policy.arrivals import (
    ArrivalFacts,
    ArrivalReason,
    ArrivalRuling,
    ArrivalTimeProblem,
    check_arrival_time,
    decide_arrival,
    gap_words,
    is_late,
    reported_on_the_day,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

POLICY = Policy()


def filed(moment: datetime, remote: bool = False, status: str = "filed") -> FilingState:
    until = filing_protection_end(moment, POLICY, TZ)  # R4: filed 11-22 -> until 11-29
    return FilingState(1, 1, status, moment, remote, until)


def rule(
    filing: FilingState | None, arrives: datetime, remote: bool = False, known: str | None = None
) -> ArrivalRuling:
    return decide_arrival(ArrivalFacts(filing, arrives, remote, known), POLICY, TZ)


@pytest.mark.parametrize(
    ("filed_at", "remote", "arrives", "reason", "proposed"),
    [
        (at(11, 22, 14, 10), False, at(11, 22, 15, 0), ArrivalReason.NOTICE_TOO_SHORT, "natural"),
        (at(11, 22, 14, 0), False, at(11, 22, 15, 0), ArrivalReason.VALID_VISIT, "valid"),
        (at(11, 22, 13, 59), False, at(11, 22, 15, 0), ArrivalReason.VALID_VISIT, "valid"),
        (at(11, 21, 16, 0), True, at(11, 22, 15, 0), ArrivalReason.NOTICE_TOO_SHORT, "natural"),
        (at(11, 21, 16, 0), True, at(11, 22, 16, 0), ArrivalReason.VALID_VISIT, "valid"),
    ],
)
def test_r2_at_arrival_follows_the_rule_books_examples(
    filed_at: datetime, remote: bool, arrives: datetime, reason: ArrivalReason, proposed: str
) -> None:
    ruling = rule(filed(filed_at, remote), arrives, remote)

    assert ruling.reason is reason and ruling.proposed == proposed
    assert ruling.awaits_manager  # R2's "原则上": the manager may still except it
    assert ruling.rule == ("R2" if proposed == "natural" else "R5")


def test_a_local_client_fifty_minutes_after_filing_is_explained_with_both_times() -> None:
    ruling = rule(filed(at(11, 22, 14, 10)), at(11, 22, 15, 0))

    assert ruling.explanation() == (
        "提前报备不足：报备于 2026-11-22 14:10，到访于 2026-11-22 15:00，"
        "提前50分钟；本地客户须提前1小时"
    )


def test_the_corrected_type_decides_r2() -> None:
    out_of_town_filing = filed(at(11, 22, 14, 0), remote=True)

    assert rule(out_of_town_filing, at(11, 22, 15, 0), remote=False).proposed == "valid"
    assert rule(out_of_town_filing, at(11, 22, 15, 0), remote=True).proposed == "natural"


def test_an_arrival_after_the_filing_lapsed_is_natural_at_once_under_r4() -> None:
    ruling = rule(filed(at(11, 22, 10, 0)), at(11, 30, 0, 0))

    assert ruling.reason is ArrivalReason.FILING_LAPSED and ruling.rule == "R4"
    assert not ruling.awaits_manager
    assert "报备保护至 2026-11-29" in ruling.explanation()


def test_the_last_instant_of_the_filing_protection_is_still_in_time() -> None:
    ruling = rule(filed(at(11, 22, 10, 0)), end_of(11, 29) - timedelta(microseconds=1))

    assert ruling.proposed == "valid"


def test_a_client_the_site_knows_is_natural_under_r3() -> None:
    ruling = rule(filed(at(11, 22, 10, 0)), at(11, 22, 15, 0), known="import")

    assert ruling.reason is ArrivalReason.KNOWN_TO_SITE and ruling.rule == "R3"
    assert "销售系统内已有来电来访记录" in ruling.explanation()


def test_refused_and_cancelled_filings_protect_nobody() -> None:
    ruling = rule(filed(at(11, 22, 10, 0), status="cancelled"), at(11, 22, 15, 0))

    assert ruling.reason is ArrivalReason.FILING_NOT_PROTECTING
    assert ruling.explanation() == "该报备已取消，视为未报备"


def test_a_revisit_within_the_visit_protection_is_valid_without_notice_r7() -> None:
    visited = FilingState(1, 1, "visited", at(11, 22, 14, 59), False, end_of(1, 5, 2027))

    ruling = rule(visited, at(12, 31, 10, 0))

    assert ruling.reason is ArrivalReason.VALID_REVISIT and ruling.rule == "R7"


def test_a_visit_protection_that_ended_makes_a_public_client_r8() -> None:
    visited = FilingState(1, 1, "visited", at(11, 22, 10, 0), False, end_of(1, 5, 2027))

    ruling = rule(visited, at(1, 6, 10, 0, 2027))

    assert ruling.reason is ArrivalReason.VISIT_PROTECTION_ENDED and ruling.rule == "R8"


def test_a_walk_in_is_a_natural_visit() -> None:
    ruling = rule(None, at(11, 22, 15, 0))

    assert ruling.reason is ArrivalReason.WALK_IN and not ruling.awaits_manager


def test_a_late_registration_may_not_lie_in_the_future_nor_beyond_the_limit() -> None:
    now = at(11, 23, 15, 0)

    assert check_arrival_time(None, now, 24) is None
    assert check_arrival_time(at(11, 23, 14, 30), now, 24) is None
    assert check_arrival_time(at(11, 23, 15, 1), now, 24) is ArrivalTimeProblem.IN_FUTURE
    assert check_arrival_time(at(11, 22, 14, 59), now, 24) is ArrivalTimeProblem.TOO_LATE
    assert check_arrival_time(at(11, 1, 9, 0), now, 0) is None  # 0 = no limit
    assert is_late(at(11, 23, 14, 30), now) and not is_late(at(11, 23, 15, 0), now)


def test_an_expected_arrival_on_the_day_counts_as_reported() -> None:
    assert reported_on_the_day([at(11, 22, 9, 0)], at(11, 22, 15, 0), TZ)
    assert not reported_on_the_day([at(11, 23, 9, 0)], at(11, 22, 15, 0), TZ)


def test_gaps_are_worded_as_people_say_them() -> None:
    assert gap_words(timedelta(minutes=50)) == "50分钟"
    assert gap_words(timedelta(hours=23)) == "23小时"
    assert gap_words(timedelta(minutes=65)) == "1小时5分钟"
    assert gap_words(timedelta(minutes=-5)) == "0分钟"


def test_a_held_client_is_refused_to_others_and_already_yours_to_its_distributor() -> None:
    held = ClientState("arrived", owner_distributor_id=1, protected_until=end_of(11, 29))
    later = at(12, 5, 10, 0)  # past the filing's end: the hold still stands

    other = decide_ownership(held, 2, later, POLICY)
    mine = decide_ownership(held, 1, later, POLICY)

    assert other.reason is Reason.PROTECTED_BY_OTHER and "待案场确认" in other.explanation()
    assert mine.reason is Reason.ALREADY_YOURS and "待案场确认" in mine.explanation()


NOW = at(11, 22, 15, 0)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "到访 #12 13812345678 14:30 异地 顾问 李娜",
            RegisterArrival(
                12, "13812345678", at=at(11, 22, 14, 30), remote=True, consultant="李娜"
            ),
        ),
        ("到访 #12 13812345678 本地", RegisterArrival(12, "13812345678", remote=False)),
        (
            "到访 P1 赵 六 138 1234 5678 顾问:李娜",
            RegisterArrival(None, "13812345678", "P1", "赵六", consultant="李娜"),
        ),
        ("到访 P1 张三 13812345678", RegisterArrival(None, "13812345678", "P1", "张三")),
        ("到访 P1 张三", ParseError(ParseProblem.MISSING_FIELDS, verb="到访")),
        ("到访 P1 张三 1381234567", ParseError(ParseProblem.BAD_PHONE, verb="到访")),
        (
            "到访 #12 13812345678 下班",
            ParseError(ParseProblem.BAD_TIME, verb="到访", detail="下班"),
        ),
    ],
)
def test_the_arrival_grammar_reads_the_optional_time_type_and_consultant(
    text: str, parsed: object
) -> None:
    assert parse(text, NOW) == parsed


def test_a_project_without_notice_says_no_notice_is_needed_not_zero_hours() -> None:
    no_notice = Policy(local_notice_minutes=0)
    facts = ArrivalFacts(filed(at(11, 22, 14, 10)), at(11, 22, 14, 10), False, None)

    ruling = decide_arrival(facts, no_notice, TZ)

    assert ruling.reason is ArrivalReason.VALID_VISIT
    assert "本地客户无须提前报备" in ruling.explanation() and "0小时" not in ruling.explanation()
