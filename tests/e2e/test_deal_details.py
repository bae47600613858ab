"""Deal details through the webhook (issue 18 item 1, R9): the buyer recorded on a deal
as site data and only ever shown masked; the full-phone form for a client with no filing;
a manager's commission exclusion; typed relative dates; retries; the agent's pushes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from models.db import make_session_factory
from models.entities import Client
from models.policy import PushKind
from tests.e2e.approvals_support import Travel, decisions, pushes
from tests.e2e.conftest import JIA, YI
from tests.e2e.test_deals import PHONE, deals, jia_id, visit_approved
from tests.moments import at, end_of
from tests.people import Person, filing_number

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


# ---------------------------------------------------------------- the full-phone form


def test_the_full_phone_form_finds_a_filed_client_and_attributes_by_r9(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"签约 {PHONE} 张三 350万 11-30")
    assert f"已登记签约：#{number} 张三 138****5678" in reply, reply
    assert f"归属：{JIA}" in reply and "R9" in reply and PHONE not in reply
    (deal,) = deals(engine)
    assert (deal.filing_id, deal.distributor_id, deal.event_at) == (
        number, jia_id(engine), end_of(11, 30),
    )  # fmt: skip


def test_a_client_with_no_filing_is_known_to_the_site_by_the_deal_and_credited_to_nobody(
    travel: Travel, engine: Engine, jia: Person, desk: Person
) -> None:
    travel(at(12, 1, 10, 0))
    reply = desk.text(f"认购 {BUYER_PHONE} 李四 2800000")
    assert "已登记认购：（无报备）李四 139****4321" in reply, reply
    assert "归属：无（不归属任何分销商）" in reply and BUYER_PHONE not in reply
    (deal,) = deals(engine)
    assert (deal.filing_id, deal.distributor_id, deal.amount) == (None, None, 2_800_000)
    with make_session_factory(engine)() as session:
        client = session.get(Client, deal.client_id)
        assert client is not None
        assert (client.state, client.known_source, client.full_phone) == (
            "known", "deal", BUYER_PHONE,
        )  # fmt: skip
    refused = jia.text(f"报备 P1 李四 {BUYER_PHONE} 本地 明天 15:00")  # R3: the site's own
    assert "报备失败" in refused, refused
    assert pushes(engine) == []  # nobody is credited: nobody is told


def test_the_full_phone_form_refuses_a_masked_phone(
    travel: Travel, engine: Engine, desk: Person
) -> None:
    travel(at(12, 1, 10, 0))
    reply = desk.text("签约 138****5678 张三")
    assert reply.startswith("手机号应为完整的11位手机号") and "没有报备的客户" in reply, reply
    assert deals(engine) == []


# ---------------------------------------------------------------- dates and retries


def test_a_deal_dated_yesterday_at_ten_is_judged_then_and_a_future_one_refused(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 2, 9, 0))
    reply = desk.text(f"认筹 #{number} 昨天 10:00")
    assert "日期 2026-12-01 10:00" in reply, reply
    refused = desk.text(f"认购 #{number} 今天 9:30")
    assert refused.startswith("成交日期看不懂或在将来"), refused
    assert desk.text(f"认购 #{number} 前天").count("日期 2026-11-30 23:59") == 1
    assert [d.event_at for d in deals(engine)] == [at(12, 1, 10, 0), end_of(11, 30)]


def test_a_retried_deal_message_writes_one_deal_and_one_push(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    first = desk.say(f"签约 #{number} 350万 买受人 张三 {BUYER_PHONE}", msg_id=770001)
    again = desk.say(f"签约 #{number} 350万 买受人 张三 {BUYER_PHONE}", msg_id=770001)
    assert first.text and "已登记签约" in first.text and again.text == first.text
    assert len(deals(engine)) == 1
    assert [p.kind for p in pushes(engine)].count(PushKind.DEAL) == 1


# ---------------------------------------------------------------- the agent's pushes


def test_the_credited_agent_is_told_of_the_deal_and_of_its_void_without_any_company(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    desk.text(f"认筹 #{number} 350万 买受人 张三 {BUYER_PHONE} {BUYER_ID}")
    (told,) = [p for p in pushes(engine) if p.kind == PushKind.DEAL]
    assert told.openid == jia.openid
    assert f"客户 张三 138****5678（#{number}）已认筹，日期 2026-12-01" in told.text, told.text
    assert "贵司" in told.text and "R9" in told.text
    for secret in (JIA, YI, PHONE, BUYER_PHONE, BUYER_ID, "350"):
        assert secret not in told.text + str(told.fields), secret

    travel(at(12, 5, 10, 0))
    boss.text(f"退定 #{number} 客户退房")
    (voided,) = [p for p in pushes(engine) if p.kind == PushKind.DEAL_VOIDED]
    assert voided.openid == jia.openid and "已退定" in voided.text and "R9" in voided.text
    assert JIA not in voided.text and PHONE not in voided.text


def test_a_deal_credited_to_nobody_pushes_nobody(
    travel: Travel, engine: Engine, jia: Person, boss: Person
) -> None:
    travel(at(11, 22, 10, 0))  # filed, never visited: the filing protection ran out
    number = filing_number(jia.text(f"报备 P1 张三 {PHONE} 本地 15:00"))
    travel(at(12, 10, 10, 0))
    boss.text(f"签约 #{number}")
    assert [p for p in pushes(engine) if p.kind == PushKind.DEAL] == []


# ---------------------------------------------------------------- 不计佣 (managers)


def test_only_a_manager_excludes_a_clients_deals_from_commission_with_a_reason(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> None:
    number = visit_approved(travel, jia, desk, boss)
    travel(at(12, 1, 10, 0))
    desk.text(f"认筹 #{number}")
    travel(at(12, 3, 10, 0))
    assert desk.text(f"不计佣 #{number} 甩客") == "该指令仅限案场经理使用。"
    assert jia.text(f"不计佣 #{number} 甩客") == "该指令仅限已绑定的案场人员使用。"
    assert deals(engine)[0].excluded_at is None
    assert "不计佣 #编号 理由" in boss.text(f"不计佣 #{number}")  # the reason is required

    reply = boss.text(f"不计佣 #{number} 甩客")
    assert f"已标记不计佣：#{number} 张三 138****5678" in reply and "R9" in reply, reply
    (deal,) = deals(engine)
    assert (deal.excluded_at, deal.exclude_reason) == (at(12, 3, 10, 0), "甩客")
    assert deal.excluded_by is not None and deal.distributor_id == jia_id(engine)
    (decision,) = decisions(engine, "deal_exclude")
    assert (decision.rule, decision.outcome, decision.facts["reason"]) == ("R9", "excluded", "甩客")
    assert decision.policy is not None and "visit_protection_days" in decision.policy
    assert "无需操作" in boss.text(f"不计佣 #{number} 藏客")  # nothing left to exclude
