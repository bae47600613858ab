"""Conflict claims through the webhook (issue 18 item 2, R10): an agent's 撞单 within the
claim window, staff's 关联, and a manager's final 裁定 naming the step of the tie-break
order that decided it, pushed to every party without the other company's name (R3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models.claim_entities import Claim, ClaimRulingRow
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Distributor
from models.policy import PushKind
from tests.e2e.approvals_support import Travel, arrive, decisions, pushes
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Person, filing_number

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
PHONE = "13812345678"
NOT_STAFF = "该指令仅限已绑定的案场人员使用。"
NOT_MANAGER = "该指令仅限案场经理使用。"


def rows(engine: Engine, entity: Any) -> list[Any]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(entity).order_by(entity.id)))


def company(engine: Engine, name: str) -> int:
    with make_session_factory(engine)() as session:
        found = session.scalar(select(Distributor.id).where(Distributor.name == name))
        assert found is not None
        return found


def file(travel: Travel, agent: Person, moment: datetime, client: str, when: str) -> int:
    travel(moment)
    reply = agent.text(f"报备 P1 {client} 本地 {when}")
    assert "报备成功" in reply, reply
    return filing_number(reply)


def visited(
    travel: Travel, agent: Person, desk: Person, boss: Person, client: str, phone: str,
    filed: datetime, arrived: datetime,
) -> int:  # fmt: skip
    """Filed at ``filed`` for ``arrived``, registered then and approved an hour later."""
    when = f"{arrived.month}月{arrived.day}日 {arrived:%H:%M}"
    number = file(travel, agent, filed, f"{client} {phone}", when)
    arrive(travel, desk, number, phone, arrived)
    travel(arrived.replace(hour=arrived.hour + 1))
    assert "审核通过" in boss.text(f"通过 #{number}")
    return number


def agent_pushes(engine: Engine, person: Person) -> list[str]:
    """The claim rulings pushed to ``person`` (not the approvals' or the deal's pushes)."""
    return [p.text for p in pushes(engine) if p.openid == person.openid and "撞单裁定" in p.text]


def lapsed_claimant(
    travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person
) -> tuple[int, int]:
    """乙 filed 张三 11-20 (lapsed after 11-27); 甲 filed 11-28 and visited; 认筹 12-01 -> 甲."""
    yi_no = file(travel, yi, at(11, 20, 10), f"张三 {PHONE}", "15:00")
    jia_no = visited(travel, jia, desk, boss, "张三", PHONE, at(11, 28, 10), at(11, 28, 15))
    travel(at(12, 1, 10))
    assert f"归属：{JIA}" in desk.text(f"认筹 #{jia_no} 350万")
    return jia_no, yi_no


# ---------------------------------------------------------------- the window


def test_a_claim_on_the_third_day_is_accepted_and_the_managers_are_told(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 3, 23, 59))
    reply = yi.text(f"撞单 #{yi_no} 客户是我司11月20日报备的")
    assert f"撞单已受理：#{yi_no} 张三 138****5678" in reply, reply
    assert "撞单期限至 2026-12-03 23:59" in reply and JIA not in reply
    (claim,) = rows(engine, Claim)
    assert (claim.status, claim.reason) == ("open", "客户是我司11月20日报备的")
    (notice,) = [p for p in pushes(engine) if p.kind == PushKind.CLAIM]
    assert notice.openid == boss.openid and YI in notice.text and f"裁定 #{jia_no}" in notice.text
    listing = boss.text("待审")
    assert "待裁定撞单 1 条" in listing and f"#{jia_no} 张三 138****5678" in listing, listing
    assert f"撞单方：{YI}" in listing and f"归属：{JIA}" in listing
    assert "待裁定撞单" not in desk.text("待审")  # the managers' list


def test_a_claim_on_the_fourth_day_is_refused_naming_r10_and_the_deadline(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    _, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 4, 0, 0))
    reply = yi.text(f"撞单 #{yi_no} 客户是我司的")
    assert "撞单未受理" in reply and "2026-12-03 23:59" in reply and "R10" in reply, reply
    assert rows(engine, Claim) == []
    assert decisions(engine, "claim")[-1].outcome == "late"


def test_a_window_of_0_has_no_deadline(
    travel: Travel, cli: Callable[..., Any], engine: Engine, jia: Person, yi: Person,
    desk: Person, boss: Person,
) -> None:  # fmt: skip
    assert cli("project", "set", "P1", "--set", "claim_window_days=0").exit_code == 0
    _, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(3, 1, 10, year=2027))
    reply = yi.text(f"撞单 #{yi_no} 客户是我司的")
    assert "撞单已受理" in reply and "本项目撞单不设期限" in reply, reply
    assert len(rows(engine, Claim)) == 1


def test_a_retried_claim_message_writes_once(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    _, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 2, 10))
    first = yi.say(f"撞单 #{yi_no} 客户是我司的", msg_id=770001)
    again = yi.say(f"撞单 #{yi_no} 客户是我司的", msg_id=770001)
    assert first.text is not None and "撞单已受理" in first.text
    assert again.status == 200
    assert len(rows(engine, Claim)) == 1
    assert len([p for p in pushes(engine) if p.kind == PushKind.CLAIM]) == 1


def test_claims_refused_change_nothing(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 2, 10))
    assert yi.text(f"撞单 #{jia_no} 客户是我司的") == "您名下没有这条报备，请发送「查询」核对编号。"
    assert yi.text("撞单 #9999 客户是我司的") == "您名下没有这条报备，请发送「查询」核对编号。"
    assert "无需撞单" in jia.text(f"撞单 #{jia_no} 我司的")  # the deal is already 甲's
    assert "内容不完整" in yi.text(f"撞单 #{yi_no}")  # a reason is required
    assert "供分销商经纪人使用" in boss.text(f"撞单 #{yi_no} 理由")
    assert rows(engine, Claim) == []
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 客户是我司的")
    assert "无需重复提交" in yi.text(f"撞单 #{yi_no} 再次申请")
    assert len(rows(engine, Claim)) == 1


# ---------------------------------------------------------------- the ruling, step by step


def test_r10_1_a_claimant_whose_protection_had_ended_before_the_deal_loses(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 2, 10))
    yi.text(f"撞单 #{yi_no} 客户是我司的")
    travel(at(12, 3, 10))
    reply = boss.text(f"裁定 #{jia_no}")
    lines = reply.splitlines()
    assert lines[1] == f"按规则计算：归属 {JIA}", reply
    assert lines[2].startswith("依据：R10.1：只有成交时仍在保护期内的报备有效"), reply
    assert f"结果：维持归属 {JIA}" in reply and "已推送 2 位经纪人" in reply
    (claim,) = rows(engine, Claim)
    assert claim.status == "dismissed"
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, JIA)]
    (decision,) = decisions(engine, "claim_ruling")
    assert (decision.rule, decision.outcome) == ("R10.1", "kept")
    assert decision.policy is not None and decision.policy["claim_window_days"] == 3
    (to_yi,) = agent_pushes(engine, yi)
    assert "成交不归属贵司" in to_yi and "R10.1" in to_yi and JIA not in to_yi
    (to_jia,) = agent_pushes(engine, jia)
    assert "成交归属贵司" in to_jia and YI not in to_jia


def test_r10_2_a_record_with_the_correct_phone_beats_an_earlier_one_with_a_wrong_mask(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no = file(travel, jia, at(11, 24, 10), "张三 139****5678", "15:00")  # wrong number
    yi_no = visited(travel, yi, desk, boss, "张三", PHONE, at(11, 25, 10), at(11, 25, 15))
    travel(at(11, 30, 10))
    assert f"归属：{JIA}" in desk.text(f"认筹 #{jia_no} 买受人 张三 {PHONE}")
    travel(at(11, 30, 12))
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 客户由我司带看，手机号是对的")
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {YI}" in reply and "依据：R10.2" in reply, reply
    assert f"结果：由 {JIA} 改归 {YI}" in reply and PHONE not in reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, YI)]
    assert rows(engine, Claim)[0].status == "upheld"
    (to_yi,) = agent_pushes(engine, yi)
    assert "成交归属贵司" in to_yi and "R10.2" in to_yi and JIA not in to_yi
    (to_jia,) = agent_pushes(engine, jia)
    assert "成交不归属贵司" in to_jia and "R10.2" in to_jia and YI not in to_jia


def same_person_twice(
    travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person,
    yi_filed: datetime, yi_arrived: datetime,
) -> tuple[int, int]:  # fmt: skip
    """乙 filed 张叁 (a typo) and visited; 甲 filed 张三 11-20 10:00, never visited, and
    the 认筹 of 11-25 went to 甲; 乙 claims the same person (the desk's phone agrees)."""
    when = f"{yi_arrived.month}月{yi_arrived.day}日 15:00"
    yi_no = file(travel, yi, yi_filed, f"张叁 {PHONE}", when)
    jia_no = file(travel, jia, at(11, 20, 10), f"张三 {PHONE}", "15:00")
    arrive(travel, desk, yi_no, PHONE, yi_arrived)
    travel(yi_arrived.replace(hour=16))
    assert "审核通过" in boss.text(f"通过 #{yi_no}")
    travel(at(11, 25, 10))
    assert f"归属：{JIA}" in desk.text(f"认筹 #{jia_no}")
    travel(at(11, 25, 12))
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 我司先报备")
    return jia_no, yi_no


def test_r10_3_a_filing_never_visited_locks_at_its_filing_time_and_beats_a_later_visit(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, _ = same_person_twice(travel, jia, yi, desk, boss, at(11, 19, 10), at(11, 22, 15))
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {JIA}" in reply and "依据：R10.3" in reply, reply
    assert "锁定时间 2026-11-20 10:00 最早" in reply
    assert decisions(engine, "claim_ruling")[0].rule == "R10.3"


def test_r10_3_the_earlier_approved_visit_wins(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, _ = same_person_twice(travel, jia, yi, desk, boss, at(11, 19, 10), at(11, 19, 15))
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {YI}" in reply and "锁定时间 2026-11-19 15:00 最早" in reply, reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, YI)]


def test_r10_3_first_filer_wins_as_a_policy_variant(
    travel: Travel, cli: Callable[..., Any], engine: Engine, jia: Person, yi: Person,
    desk: Person, boss: Person,
) -> None:  # fmt: skip
    assert cli("project", "set", "P1", "--set", "claim_first_filer_wins=true").exit_code == 0
    jia_no, _ = same_person_twice(travel, jia, yi, desk, boss, at(11, 19, 10), at(11, 22, 15))
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {YI}" in reply and "R10.3" in reply, reply
    assert "锁定时间 2026-11-19 10:00 最早" in reply


def test_r10_4_a_spouse_visited_earlier_with_the_claimant_wins_once_linked(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    spouse = visited(travel, yi, desk, boss, "李四", "13900001111", at(11, 20, 10), at(11, 20, 15))
    jia_no = visited(travel, jia, desk, boss, "张三", PHONE, at(11, 24, 10), at(11, 24, 15))
    travel(at(12, 1, 10))
    desk.text(f"签约 #{jia_no} 350万")
    assert "没有登记成交" in yi.text(f"撞单 #{spouse} 配偶由我司先带看")  # not linked yet
    assert jia.text(f"关联 #{jia_no} #{spouse} 配偶") == NOT_STAFF
    reply = desk.text(f"关联 #{jia_no} #{spouse} 配偶")
    assert reply.startswith(f"已关联：#{jia_no} 张三 与 #{spouse} 李四 为配偶"), reply
    assert "已关联为配偶，未作改动" in desk.text(f"关联 #{spouse} #{jia_no} 配偶")
    assert "撞单已受理" in yi.text(f"撞单 #{spouse} 配偶由我司先带看")
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {YI}" in reply and "依据：R10.4" in reply, reply
    assert "（配偶）" in reply  # the relation is shown in the ruling
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, YI)]
    assert "R10.4" in agent_pushes(engine, jia)[0]


def test_a_wrong_link_is_removed_by_a_manager_only(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    first = file(travel, jia, at(11, 20, 10), f"张三 {PHONE}", "15:00")
    second = file(travel, yi, at(11, 20, 10), "李四 13900001111", "15:00")
    desk.text(f"关联 #{first} #{second} 兄弟姐妹")
    assert desk.text(f"取消关联 #{first} #{second}") == NOT_MANAGER
    assert boss.text(f"取消关联 #{first} #{second}").startswith("已取消关联")
    assert "没有关联" in boss.text(f"取消关联 #{first} #{second}")
    assert [d.outcome for d in decisions(engine, "unlink")] == ["unlinked"]


def test_r10_5_a_managers_override_with_a_reason_is_final(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no, yi_no = lapsed_claimant(travel, jia, yi, desk, boss)
    travel(at(12, 2, 10))
    yi.text(f"撞单 #{yi_no} 甲方截客")
    assert yi.text(f"裁定 #{jia_no}") == NOT_STAFF
    assert desk.text(f"裁定 #{jia_no}") == NOT_MANAGER
    assert "改判须写本次撞单一方的分销商全称" in boss.text(f"裁定 #{jia_no} 改判 丙公司 截客")
    reply = boss.text(f"裁定 #{jia_no} 改判 {YI} 甲方在售楼处门口截客已查实")
    lines = reply.splitlines()
    assert lines[1] == f"按规则计算：归属 {JIA}" and "R10.1" in lines[2], reply
    assert f"经理改判：归属 {YI}（R10.5：经理改判，理由：甲方在售楼处门口截客已查实" in reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, YI)]
    (ruling,) = rows(engine, ClaimRulingRow)
    assert (ruling.rule, ruling.override_reason) == ("R10.5", "甲方在售楼处门口截客已查实")
    (to_jia,) = agent_pushes(engine, jia)
    assert "成交不归属贵司" in to_jia and "R10.5" in to_jia and YI not in to_jia
    again = boss.text(f"裁定 #{jia_no}")
    assert "已裁定，裁定为最终结果" in again and f"归属：{YI}" in again, again
    assert len(rows(engine, ClaimRulingRow)) == 1
    assert "已裁定" in yi.text(f"撞单 #{yi_no} 再申请")
