"""Deals through the webhook (issue 18 item 1, R9): 认筹/认购/签约 recorded by the case
site and attributed to the distributor protecting the client at its first deal event, or
to nobody; a live deal stops the R8 reminders and expiry; 退定 (managers) voids it and
expiry resumes from the protection's end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Distributor
from models.policy import PushKind
from tests.e2e.approvals_support import (
    Travel,
    arrive,
    decisions,
    protection_rows,
    pushes,
    run_scheduler,
)
from tests.e2e.conftest import JIA
from tests.moments import at, end_of
from tests.people import Cast, Person, filing_number

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
PHONE = "13812345678"


def deals(engine: Engine) -> list[Deal]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(Deal).order_by(Deal.id)))


def jia_id(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        found = session.scalar(select(Distributor.id).where(Distributor.name == JIA))
        assert found is not None
        return found


def visit_approved(travel: Travel, jia: Person, desk: Person, boss: Person) -> int:
    """张三 filed 11-22 10:00, arrived 15:00, approved 16:00: protected until 2027-01-05."""
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text(f"报备 P1 张三 {PHONE} 本地 15:00"))
    arrive(travel, desk, number, PHONE, at(11, 22, 15, 0))
    travel(at(11, 22, 16, 0))
    assert "到访保护至 2027-01-05" in boss.text(f"通过 #{number}")
    return number


def test_a_deal_during_a_visit_protection_is_attributed_to_that_distributor(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"认筹 #{number} 350万")
    assert f"已登记认筹：#{number} 张三 138****5678" in reply, reply
    assert f"归属：{JIA}" in reply and "R9" in reply and PHONE not in reply
    (deal,) = deals(engine)
    assert (deal.kind, deal.amount, deal.event_at) == ("pledge", 3_500_000, at(12, 1, 10, 0))
    assert (deal.distributor_id, deal.voided_at) == (jia_id(engine), None)
    (decision,) = decisions(engine, "deal")
    assert (decision.rule, decision.outcome) == ("R9", "protected_at_first_event")
    assert decision.policy is not None and decision.policy["visit_protection_days"] == 45
    assert PHONE not in str(decision.facts)


def test_a_deal_for_a_client_nobody_protects_is_attributed_to_nobody(
    travel: Travel, engine: Engine, jia: Person, boss: Person
) -> None:
    travel(at(11, 22, 10, 0))  # filed, never visited: the filing protection ran out
    number = filing_number(jia.text(f"报备 P1 张三 {PHONE} 本地 15:00"))
    travel(at(12, 10, 10, 0))
    reply = boss.text(f"签约 #{number} 3200000 12-09")
    assert "归属：无（不归属任何分销商）" in reply and "R9" in reply, reply
    (deal,) = deals(engine)
    assert (deal.distributor_id, deal.event_at) == (None, end_of(12, 9))
    assert decisions(engine, "deal")[0].outcome == "nobody_protected"


def test_a_later_subscription_keeps_the_pledges_attribution(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    desk.text(f"认筹 #{number}")
    travel(at(1, 10, 10, 0, year=2027))  # after the visit protection's end date
    reply = desk.text(f"认购 #{number} 350万")
    assert f"归属：{JIA}" in reply, reply
    assert [d.distributor_id for d in deals(engine)] == [jia_id(engine)] * 2
    assert decisions(engine, "deal")[1].outcome == "kept_from_first_event"


def test_a_deal_stops_r8_reminders_and_expiry_until_a_managers_void(
    travel: Travel, engine: Engine, cli: Callable[..., Any], jia: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    desk.text(f"认筹 #{number}")
    for moment in (at(12, 29, 9), at(1, 4, 9, year=2027), at(1, 6, 9, year=2027)):
        run_scheduler(cli, travel, moment)
    assert [p.kind for p in pushes(engine)] == [PushKind.RULING, PushKind.DEAL]
    assert protection_rows(engine)[-1].ended_reason is None

    travel(at(1, 6, 10, year=2027))
    assert desk.text(f"退定 #{number} 客户退房") == "该指令仅限案场经理使用。"
    assert all(d.voided_at is None for d in deals(engine))
    reply = boss.text(f"退定 #{number} 客户退房")
    assert "已退定" in reply and "R9" in reply, reply
    (deal,) = deals(engine)
    assert (deal.voided_at, deal.void_reason) == (at(1, 6, 10, year=2027), "客户退房")

    run_scheduler(cli, travel, at(1, 6, 11, year=2027))  # expiry resumes from 01-05
    assert [p.kind for p in pushes(engine)] == [
        PushKind.RULING, PushKind.DEAL, PushKind.DEAL_VOIDED, PushKind.VISIT_ENDED,
    ]  # fmt: skip
    assert protection_rows(engine)[-1].ended_reason == "expired"


def test_deal_commands_refused_to_the_wrong_role_change_nothing(
    travel: Travel, engine: Engine, cast: Cast, wechat: Any, jia: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    number = visit_approved(travel, jia, desk, boss)
    cast.project("P2", "翠湖苑")
    other = cast.staff("P2", "manager", "王经理")
    stranger = Person("o_stranger", wechat)
    travel(at(12, 1, 10, 0))
    for text in (f"认筹 #{number}", f"认购 #{number} 350万", f"签约 #{number}"):
        assert jia.text(text) == "该指令仅限已绑定的案场人员使用。", text
        assert stranger.text(text) == "该指令仅限已绑定的案场人员使用。", text
        assert "没有找到" in other.text(text), text  # another project's number (R12)
    assert jia.text(f"退定 #{number} 退房") == "该指令仅限已绑定的案场人员使用。"
    assert "没有找到" in other.text(f"退定 #{number} 退房")
    assert deals(engine) == []


def test_a_deal_in_the_future_is_refused(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"认筹 #{number} 12-05")
    assert "认筹 #编号" in reply, reply
    assert deals(engine) == []
