"""Visit reports, cancellations and lapse (domain.md R2, R4, R5, R7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.policy import (
    Actor,
    FilingState,
    Policy,
    Reason,
    acts_for,
    decide_cancel,
    decide_visit_report,
    effective_status,
    filing_protection_end,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

POLICY = Policy()
ONE_SECOND = timedelta(seconds=1)
AGENT = 11
OTHER_AGENT = 12
DISTRIBUTOR = 1
ME = Actor(AGENT, DISTRIBUTOR)  # the agent who sends the command, bound to DISTRIBUTOR


def filing(
    *,
    status: str = "filed",
    filed_at: datetime | None = None,
    remote: bool = False,
    protected_until: datetime | None = None,
    agent_id: int = AGENT,
    distributor_id: int = DISTRIBUTOR,
) -> FilingState:
    filed_at = filed_at or at(11, 22, 14, 10)
    if protected_until is None:
        protected_until = filing_protection_end(filed_at, POLICY, TZ)
    return FilingState(
        agent_id=agent_id,
        distributor_id=distributor_id,
        status=status,
        filed_at=filed_at,
        remote=remote,
        protected_until=protected_until,
    )


# ---------------------------------------------------------------- R5 + R2: the notice


def test_local_client_filed_at_14_10_announced_for_14_30_is_refused_with_earliest_15_10():
    decision = decide_visit_report(filing(), ME, at(11, 22, 14, 30), at(11, 22, 14, 20), POLICY)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.rule == "R2"
    assert decision.earliest == at(11, 22, 15, 10)
    assert "2026-11-22 15:10" in decision.explanation()


def test_local_client_filed_at_14_10_announced_for_15_10_is_accepted():
    decision = decide_visit_report(filing(), ME, at(11, 22, 15, 10), at(11, 22, 14, 20), POLICY)

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)


@pytest.mark.parametrize(
    ("visit_at", "reason", "earliest"),
    [
        pytest.param(
            at(11, 22, 15, 0),
            Reason.NOTICE_TOO_SHORT,
            at(11, 22, 16, 0),
            id="R5 example: 11-22 15:00 is 23 h after filing",
        ),
        pytest.param(
            at(11, 22, 16, 0) - ONE_SECOND,
            Reason.NOTICE_TOO_SHORT,
            at(11, 22, 16, 0),
            id="one second short of 24 h",
        ),
        pytest.param(
            at(11, 22, 16, 0),
            Reason.ACCEPTED,
            None,
            id="R5 example: 11-22 16:00 is exactly 24 h after filing",
        ),
    ],
)
def test_out_of_town_client_filed_11_21_16_00_may_be_announced_from_11_22_16_00(
    visit_at, reason, earliest
):
    remote = filing(filed_at=at(11, 21, 16, 0), remote=True)

    decision = decide_visit_report(remote, ME, visit_at, at(11, 22, 9, 0), POLICY)

    assert decision.reason is reason
    assert decision.earliest == earliest


@pytest.mark.parametrize(
    ("visit_at", "reason"),
    [
        pytest.param(at(11, 22, 0, 30), Reason.ACCEPTED, id="00:30 is exactly 60 min"),
        pytest.param(at(11, 22, 0, 29), Reason.NOTICE_TOO_SHORT, id="00:29 is 59 min"),
    ],
)
def test_local_client_filed_at_23_30_may_be_announced_from_00_30_the_next_day(visit_at, reason):
    late = filing(filed_at=at(11, 21, 23, 30))

    decision = decide_visit_report(late, ME, visit_at, at(11, 22, 0, 10), POLICY)

    assert decision.reason is reason


def test_a_visit_report_without_a_time_means_now_and_is_accepted_once_the_notice_has_run():
    now = at(11, 22, 15, 20)

    decision = decide_visit_report(filing(), ME, now, now, POLICY)

    assert decision.reason is Reason.ACCEPTED


def test_earliest_visit_time_is_shown_in_shanghai_time_when_the_filing_time_is_read_in_utc():
    # a timestamptz column may come back in UTC: 06:10 UTC is 14:10 in Shanghai
    read_back = filing(filed_at=datetime(2026, 11, 22, 6, 10, tzinfo=UTC))

    decision = decide_visit_report(read_back, ME, at(11, 22, 14, 30), at(11, 22, 14, 20), POLICY)

    assert decision.reason is Reason.NOTICE_TOO_SHORT
    assert decision.earliest == at(11, 22, 15, 10)
    assert "2026-11-22 15:10" in decision.explanation()


# ---------------------------------------------------------------- whose, and still protected


def test_a_visit_report_for_another_agents_filing_is_refused_as_not_yours():
    decision = decide_visit_report(
        filing(agent_id=OTHER_AGENT), ME, at(11, 22, 15, 10), at(11, 22, 14, 20), POLICY
    )

    assert decision.reason is Reason.NOT_YOURS
    assert decision.protected_until is None
    assert "没有" in decision.explanation()


@pytest.mark.parametrize(
    ("status", "now", "word"),
    [
        pytest.param("filed", at(11, 30, 9, 0), "已失效", id="lapsed: not visited by 11-29"),
        pytest.param("refused", at(11, 22, 14, 20), "未通过", id="refused"),
        pytest.param("cancelled", at(11, 22, 14, 20), "已取消", id="cancelled"),
    ],
)
def test_a_visit_report_for_a_filing_no_longer_protected_asks_to_file_again(status, now, word):
    decision = decide_visit_report(filing(status=status), ME, now + timedelta(hours=2), now, POLICY)

    assert decision.reason is Reason.NOT_PROTECTED
    assert decision.status == word
    assert word in decision.explanation()
    assert "请重新报备" in decision.explanation()


def test_a_lapsed_filing_is_refused_with_file_again_whatever_time_is_named():
    lapsed_now = at(11, 30, 9, 0)

    for named in (at(11, 29, 15, 0), at(11, 30, 10, 0), at(12, 5, 10, 0)):
        decision = decide_visit_report(filing(), ME, named, lapsed_now, POLICY)
        assert decision.reason is Reason.NOT_PROTECTED, named
        assert decision.status == "已失效", named


def test_a_filing_is_still_reportable_in_the_last_second_of_its_protection():
    last_second = datetime(2026, 11, 29, 23, 59, 59, tzinfo=TZ)

    decision = decide_visit_report(filing(), ME, last_second, last_second, POLICY)

    assert decision.reason is Reason.ACCEPTED


# ---------------------------------------------------------------- past and beyond protection


@pytest.mark.parametrize(
    ("visit_at", "reason"),
    [
        pytest.param(at(11, 22, 15, 50), Reason.ARRIVAL_IN_PAST, id="ten minutes ago"),
        pytest.param(
            at(11, 22, 15, 55) - ONE_SECOND,
            Reason.ARRIVAL_IN_PAST,
            id="one second beyond the 5-minute slack",
        ),
        pytest.param(at(11, 22, 15, 55), Reason.ACCEPTED, id="exactly 5 minutes ago"),
        pytest.param(at(11, 22, 15, 58), Reason.ACCEPTED, id="2 minutes ago"),
    ],
)
def test_a_visit_time_already_past_is_refused_beyond_five_minutes_of_slack(visit_at, reason):
    decision = decide_visit_report(filing(), ME, visit_at, at(11, 22, 16, 0), POLICY)

    assert decision.reason is reason


def test_the_past_is_counted_in_whole_minutes_of_the_sending_time():
    sent = at(11, 22, 16, 5) + 40 * ONE_SECOND  # 16:05:40 is a 16:05 message

    decision = decide_visit_report(filing(), ME, at(11, 22, 16, 0), sent, POLICY)

    assert decision.reason is Reason.ACCEPTED


def test_a_visit_time_past_is_explained_as_past_under_rule_r5():
    decision = decide_visit_report(filing(), ME, at(11, 22, 15, 0), at(11, 22, 16, 0), POLICY)

    assert decision.reason is Reason.ARRIVAL_IN_PAST
    assert decision.rule == "R5"
    assert "已过" in decision.explanation()


@pytest.mark.parametrize(
    ("visit_at", "reason"),
    [
        pytest.param(at(11, 30, 0, 0), Reason.ARRIVAL_AFTER_PROTECTION, id="11-30 00:00"),
        pytest.param(at(12, 3, 10, 0), Reason.ARRIVAL_AFTER_PROTECTION, id="12-03"),
        pytest.param(at(11, 29, 23, 59), Reason.ACCEPTED, id="11-29 23:59"),
    ],
)
def test_a_visit_time_after_the_filing_protection_end_is_refused(visit_at, reason):
    decision = decide_visit_report(filing(), ME, visit_at, at(11, 29, 10, 0), POLICY)

    assert decision.reason is reason
    assert decision.protected_until == end_of(11, 29)


def test_a_visit_after_the_protection_end_is_refused_under_rule_r4_naming_the_end():
    decision = decide_visit_report(filing(), ME, at(11, 30, 9, 0), at(11, 29, 10, 0), POLICY)

    assert decision.rule == "R4"
    assert "2026-11-29" in decision.explanation()


def test_an_agent_may_move_a_visit_days_ahead_inside_the_filing_protection():
    decision = decide_visit_report(filing(), ME, at(11, 27, 10, 0), at(11, 22, 15, 0), POLICY)

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)


# ---------------------------------------------------------------- R7 re-visits


def test_a_revisit_of_a_visited_client_needs_no_new_notice():
    visited = filing(
        status="visited",
        filed_at=at(11, 21, 16, 0),
        remote=True,
        protected_until=end_of(1, 5, 2027),
    )

    # 18.5 hours after the out-of-town filing: too short for a first visit, fine for a re-visit
    decision = decide_visit_report(visited, ME, at(11, 22, 10, 30), at(11, 22, 10, 0), POLICY)

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(1, 5, 2027)


def test_a_revisit_in_the_renewal_window_is_accepted_and_one_after_the_end_is_refused():
    visited = filing(
        status="visited", filed_at=at(11, 21, 16, 0), protected_until=end_of(1, 5, 2027)
    )

    in_window = decide_visit_report(visited, ME, at(12, 31, 15, 0), at(12, 31, 10, 0), POLICY)
    after_end = decide_visit_report(
        visited, ME, at(1, 6, 10, 0, year=2027), at(1, 5, 10, 0, year=2027), POLICY
    )

    assert in_window.reason is Reason.ACCEPTED
    assert after_end.reason is Reason.ARRIVAL_AFTER_PROTECTION
    assert after_end.protected_until == end_of(1, 5, 2027)


# ---------------------------------------------------------------- cancel


def test_an_agent_may_cancel_their_own_filing_while_it_is_only_filed():
    decision = decide_cancel(filing(), ME, at(11, 22, 14, 20))

    assert decision.reason is Reason.CANCELLED
    assert decision.explanation() == "报备已取消"


def test_an_agent_may_not_cancel_another_agents_filing():
    decision = decide_cancel(filing(agent_id=OTHER_AGENT), ME, at(11, 22, 14, 20))

    assert decision.reason is Reason.NOT_YOURS


@pytest.mark.parametrize(
    ("status", "now", "word"),
    [
        pytest.param("filed", at(11, 30, 0, 0), "已失效", id="lapsed"),
        pytest.param("refused", at(11, 22, 14, 20), "未通过", id="refused"),
        pytest.param("cancelled", at(11, 22, 14, 20), "已取消", id="cancelled already"),
    ],
)
def test_a_filing_no_longer_filed_cannot_be_cancelled(status, now, word):
    decision = decide_cancel(filing(status=status), ME, now)

    assert decision.reason is Reason.NOTHING_TO_CANCEL
    assert decision.status == word
    assert word in decision.explanation() and "无须" in decision.explanation()
    assert "请重新报备" not in decision.explanation()


def test_a_visited_filing_cannot_be_cancelled():
    visited = filing(status="visited", protected_until=end_of(1, 5, 2027))

    decision = decide_cancel(visited, ME, at(11, 23, 10, 0))

    assert decision.reason is Reason.ALREADY_VISITED


# ---------------------------------------------------------------- R4 lapse


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        pytest.param("filed", at(11, 29, 12, 0), "filed", id="filed, inside protection"),
        pytest.param("filed", end_of(11, 29), "filed", id="filed, at the last instant"),
        pytest.param(
            "filed",
            end_of(11, 29) + timedelta(microseconds=1),
            "lapsed",
            id="filed, the first instant of 11-30",
        ),
        pytest.param("filed", at(12, 15, 9, 0), "lapsed", id="filed, long after"),
        pytest.param("visited", at(12, 15, 9, 0), "visited", id="visited does not lapse"),
        pytest.param("refused", at(12, 15, 9, 0), "refused", id="refused stays refused"),
        pytest.param("cancelled", at(12, 15, 9, 0), "cancelled", id="cancelled stays"),
    ],
)
def test_a_filed_client_not_visited_by_the_end_of_its_protection_has_lapsed(status, now, expected):
    assert effective_status(filing(status=status), now) == expected


# ---------------------------------------------------------------- R12 who may act


def test_no_filing_and_another_agents_filing_get_the_same_answer():
    none = decide_visit_report(None, ME, at(11, 22, 15, 10), at(11, 22, 14, 20), POLICY)
    other = decide_visit_report(
        filing(agent_id=OTHER_AGENT), ME, at(11, 22, 15, 10), at(11, 22, 14, 20), POLICY
    )

    assert none == other
    assert decide_cancel(None, ME, at(11, 22, 14, 20)) == other


def test_an_agent_who_changed_company_may_not_report_or_cancel_the_old_companys_filing():
    moved = Actor(AGENT, DISTRIBUTOR + 1)  # same agent, bound to another distributor now

    report = decide_visit_report(filing(), moved, at(11, 22, 15, 10), at(11, 22, 14, 20), POLICY)
    cancel = decide_cancel(filing(), moved, at(11, 22, 14, 20))

    assert report.reason is Reason.NOT_YOURS and cancel.reason is Reason.NOT_YOURS
    assert report.rule == "R12"


def test_a_filing_is_its_agents_only_while_bound_to_its_distributor():
    assert acts_for(filing(), ME)
    assert not acts_for(filing(), Actor(AGENT, DISTRIBUTOR + 1))
    assert not acts_for(filing(agent_id=OTHER_AGENT), ME)
