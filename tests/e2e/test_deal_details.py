"""Deal details through the webhook (issue 18 item 1, R9): the buyer recorded on a deal
as site data and only ever shown masked; the full-phone form for a client with no filing;
a manager's commission exclusion; typed relative dates; retries; the agent's pushes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.e2e.approvals_support import Travel, decisions
from tests.e2e.test_deals import PHONE, deals, visit_approved
from tests.moments import at
from tests.people import Person

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
BUYER_PHONE = "13987654321"
BUYER_ID = "11010519491231002X"


def test_the_buyers_details_are_stored_in_full_and_shown_to_staff_masked(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"签约 #{number} 350万 买受人 张三 {BUYER_PHONE} {BUYER_ID.lower()}")
    assert "买受人：张三 139****4321 身份证 110***********002X" in reply, reply
    assert BUYER_PHONE not in reply and BUYER_ID not in reply.upper()
    (deal,) = deals(engine)
    assert (deal.buyer_name, deal.buyer_phone, deal.buyer_id_number) == (
        "张三", BUYER_PHONE, BUYER_ID,
    )  # fmt: skip
    (decision,) = decisions(engine, "deal")
    assert BUYER_PHONE not in str(decision.facts) and BUYER_ID not in str(decision.facts)
    assert decision.facts["buyer"]["id_mask"] == "110***********002X"
    assert PHONE not in reply


def test_a_mistyped_id_number_is_refused_with_the_usage_and_nothing_is_written(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"签约 #{number} 买受人 张三 110101199003071234")
    assert reply.startswith("身份证号不对") and "买受人 姓名 11位手机号 身份证号" in reply, reply
    assert "110101199003071234" not in reply
    reply = desk.text(f"签约 #{number} 350万 {BUYER_PHONE}")
    assert "请写在「买受人 姓名」之后" in reply and BUYER_PHONE not in reply, reply
    assert deals(engine) == []
