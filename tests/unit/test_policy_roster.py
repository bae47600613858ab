"""R12 as the channel team keeps it: invite codes expire or are revoked, an agent is
unbound once, and a departed agent's filings go to a colleague of the same company only."""

from __future__ import annotations

import pytest

from models.policy.roster import (
    AgentFacts,
    InviteState,
    RosterOutcome,
    decide_reassign,
    decide_unbind,
    invite_expires_at,
    invite_state,
    mask_openid,
)
from models.policy.roster_wording import HandedOver, handover_message
from tests.moments import at

pytestmark = pytest.mark.unit

MADE = at(11, 22, 10, 0)
SEVEN_DAYS_ON = at(11, 29, 10, 0)


def test_a_code_made_on_11_22_at_10_00_binds_until_11_29_at_10_00_with_seven_days() -> None:
    assert invite_expires_at(MADE, 7) == SEVEN_DAYS_ON


def test_with_zero_days_a_code_never_expires() -> None:
    assert invite_expires_at(MADE, 0) is None
    assert invite_state(None, None, None, at(12, 31, 23, 59, year=2030)) is InviteState.OPEN


def test_a_code_binds_the_minute_before_its_expiry_and_not_at_the_expiry_itself() -> None:
    assert invite_state(None, None, SEVEN_DAYS_ON, at(11, 29, 9, 59)) is InviteState.OPEN
    assert invite_state(None, None, SEVEN_DAYS_ON, SEVEN_DAYS_ON) is InviteState.EXPIRED


def test_a_revoked_code_is_revoked_even_before_its_expiry() -> None:
    assert invite_state(None, at(11, 23), SEVEN_DAYS_ON, at(11, 24)) is InviteState.REVOKED


def test_a_used_code_stays_used_whatever_came_after() -> None:
    assert invite_state(at(11, 23), None, SEVEN_DAYS_ON, at(12, 31)) is InviteState.USED


def test_a_negative_expiry_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="invite_expiry_days"):
        invite_expires_at(MADE, -1)


WANG = AgentFacts(agent_id=1, distributor_id=10, bound=True)
CHEN = AgentFacts(agent_id=2, distributor_id=10, bound=True)
ZHAO_OF_YI = AgentFacts(agent_id=3, distributor_id=20, bound=True)


def test_a_bound_agent_is_unbound_once_and_a_second_unbind_is_refused() -> None:
    assert decide_unbind(WANG).ok
    again = decide_unbind(AgentFacts(1, 10, bound=False))
    assert again.outcome is RosterOutcome.NOT_BOUND and again.rule == "R12"


def test_a_departed_agents_filings_go_to_a_colleague_of_the_same_company() -> None:
    departed = AgentFacts(1, 10, bound=False)
    assert decide_reassign(departed, CHEN).ok


def test_filings_never_go_to_an_agent_of_another_company() -> None:
    ruling = decide_reassign(WANG, ZHAO_OF_YI)
    assert ruling.outcome is RosterOutcome.OTHER_DISTRIBUTOR
    assert "another distributor" in ruling.why


def test_filings_go_neither_to_the_same_agent_nor_to_an_unbound_colleague() -> None:
    assert decide_reassign(WANG, WANG).outcome is RosterOutcome.SAME_AGENT
    unbound = AgentFacts(2, 10, bound=False)
    assert decide_reassign(WANG, unbound).outcome is RosterOutcome.NOT_BOUND


def test_listings_show_an_openid_masked() -> None:
    assert mask_openid("oAbCdEfGhIjKlMnOpQrStUvWxYz0") == "oAbC…xYz0"
    assert "EfGhIjKlMnOpQrStUvW" not in mask_openid("oAbCdEfGhIjKlMnOpQrStUvWxYz0")


def test_the_handover_names_each_client_masked_and_says_reminders_now_come_here() -> None:
    text = handover_message([HandedOver("星河湾", "张三", "138****5678", 12)])
    assert "星河湾 客户 张三 138****5678（#12）" in text
    assert "提醒" in text and "1 位客户" in text


def test_a_long_handover_lists_ten_and_counts_the_rest() -> None:
    many = [HandedOver("星河湾", f"客户{n}", "138****5678", n) for n in range(1, 26)]
    text = handover_message(many)
    assert "（#10）" in text and "（#11）" not in text
    assert "另有 15 位" in text and len(text.encode()) < 2048
