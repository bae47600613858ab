"""R9's details: the ID number check (GB 11643) and masks, a manager's exclusion from
commission, and the credited agent's pushes (no company, no full phone, no price)."""

from __future__ import annotations

import pytest

from models.policy.deals import exclude_from_commission
from models.policy.id_numbers import mask_id_number, valid_id_number
from models.policy.push_wording import DealPushFacts, deal_message, deal_void_message
from tests.moments import at

pytestmark = pytest.mark.unit
FACTS = DealPushFacts("星河湾", "张三", "138****5678", 12, "认筹", at(12, 1, 10))


def test_an_id_number_is_valid_only_with_its_check_character() -> None:
    assert valid_id_number("11010519491231002X")  # GB 11643's own example
    assert valid_id_number("110101199003071233")
    assert not valid_id_number("110101199003071234")  # the check character is 3
    assert not valid_id_number("11010519491231002x")  # normalised to X before the check
    assert not valid_id_number("1101051949123100")  # 16 characters


def test_an_id_number_is_shown_with_its_first_three_and_last_four_only() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"


def test_a_manager_excludes_the_clients_live_deals_naming_r9_and_the_reason() -> None:
    ruling = exclude_from_commission(2, "甩客")
    assert (ruling.rule, ruling.outcome) == ("R9", "excluded")
    assert "甩客" in ruling.explanation and "2 条成交不计佣金（R9）" in ruling.explanation


def test_a_client_with_no_live_deal_has_nothing_to_exclude() -> None:
    assert exclude_from_commission(0, "藏客").outcome == "nothing_to_exclude"


def test_the_credited_agent_hears_of_the_deal_as_their_companys_without_naming_it() -> None:
    text, fields = deal_message(FACTS)
    assert text.startswith("成交登记：星河湾 客户 张三 138****5678（#12）已认筹，日期 2026-12-01")
    assert "贵司" in text and "R9" in text
    assert fields["status"] == "已认筹 归属贵司" and all(len(v) <= 20 for v in fields.values())


def test_the_agent_hears_of_a_void_and_that_expiry_resumes() -> None:
    text, fields = deal_void_message(FACTS)
    assert "的成交已退定，不再计入（R9）" in text and "按原到期日继续" in text
    assert fields["status"] == "成交已退定"
