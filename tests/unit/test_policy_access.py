"""R4's cancel-and-refile and R12's who-may-act, as sentences (issue 15 items 1, 2)."""

from __future__ import annotations

import pytest

from models.policy import (
    BindingFacts,
    ClientState,
    FilingFacts,
    Policy,
    Reason,
    binding_stands,
    decide_binding,
    decide_filing,
)
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

POLICY = Policy()
JIA, YI = 1, 2
# after 甲's cancel the client's record is free: filed state, nobody's, no end date
FREED = ClientState("filed")
FIRST_END = end_of(11, 29)  # 甲 filed 11-22 10:00, then cancelled


def refile(now, arrival, *, distributor_id=JIA, cancelled_until=FIRST_END):
    facts = FilingFacts(
        distributor_id=distributor_id,
        distributor_status="active",
        remote=False,
        arrival_at=arrival,
        existing=FREED,
        cancelled_until=cancelled_until if distributor_id == JIA else None,
    )
    return decide_filing(facts, now, POLICY, TZ)


# ---------------------------------------------------------------- R4 cancel and file again


def test_filed_11_22_cancelled_and_filed_again_on_11_29_is_protected_until_11_29_not_12_06():
    decision = refile(at(11, 29, 9, 0), at(11, 29, 15, 0))

    assert decision.reason is Reason.ACCEPTED
    assert decision.protected_until == end_of(11, 29)
    assert decision.rule == "R4" and decision.resumed
    assert "沿用贵司已取消报备的保护期，保护至 2026-11-29" in decision.explanation()


def test_a_refiled_arrival_after_the_cancelled_filings_end_is_refused():
    decision = refile(at(11, 29, 9, 0), at(11, 30, 10, 0))

    assert decision.reason is Reason.ARRIVAL_AFTER_PROTECTION
    assert decision.protected_until == end_of(11, 29)


def test_another_distributor_files_a_cancelled_client_for_its_own_seven_days():
    decision = refile(at(11, 29, 9, 0), at(11, 29, 15, 0), distributor_id=YI)

    assert decision.reason is Reason.ACCEPTED and not decision.resumed
    assert decision.protected_until == end_of(12, 6)


def test_after_the_cancelled_protection_would_have_ended_the_same_distributor_files_anew():
    decision = refile(at(11, 30, 0, 0), at(11, 30, 15, 0))

    assert decision.reason is Reason.ACCEPTED and not decision.resumed
    assert decision.rule == "R1"
    assert decision.protected_until == end_of(12, 7)


def test_a_cancel_undone_on_the_filing_day_loses_nothing_and_gains_nothing():
    decision = refile(at(11, 22, 11, 0), at(11, 22, 15, 0))

    assert decision.protected_until == end_of(11, 29)


# ---------------------------------------------------------------- R12 binding


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        pytest.param(BindingFacts("agent", JIA, None, False), Reason.ACCEPTED, id="new agent"),
        pytest.param(BindingFacts("agent", JIA, JIA, False), Reason.ACCEPTED, id="same company"),
        pytest.param(BindingFacts("agent", YI, JIA, False), Reason.REBOUND, id="changes company"),
        pytest.param(BindingFacts("staff", None, None, True), Reason.ACCEPTED, id="staff again"),
        pytest.param(
            BindingFacts("staff", None, JIA, False), Reason.BIND_AGENT_AS_STAFF, id="agent->staff"
        ),
        pytest.param(
            BindingFacts("agent", JIA, None, True), Reason.BIND_STAFF_AS_AGENT, id="staff->agent"
        ),
    ],
)
def test_one_wechat_user_is_an_agent_of_one_company_or_staff(facts, reason):
    decision = decide_binding(facts)

    assert decision.reason is reason
    assert decision.rule == "R12"
    assert binding_stands(decision) is (reason in (Reason.ACCEPTED, Reason.REBOUND))


def test_a_refused_binding_names_what_the_user_is_bound_as_already():
    as_agent = decide_binding(BindingFacts("agent", JIA, None, True)).explanation()
    as_staff = decide_binding(BindingFacts("staff", None, JIA, False)).explanation()

    assert as_agent == "您已绑定为案场人员，不能再绑定为分销商经纪人"
    assert as_staff == "您已绑定为分销商经纪人，不能再绑定为案场人员"
