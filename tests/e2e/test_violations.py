"""R11 violations through the webhook (issue 18 item 3): a manager records 截客 or 违约报备
against a distributor by its full name; a first interception is fined, the second one in
any project blacklists the distributor at once and ends its clients' protections; a false
filing withholds the client's commission; the distributor's agents are pushed the decision
and a photo sent after 违规 is its evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.fakeapi import FAKE_JPEG
from handlers import replies
from models import violations as violation_model
from models.db import make_session_factory
from models.entities import Distributor
from models.evidence_entities import ArrivalPhoto, PhotoStatus
from models.identity import identify
from models.policy import PushKind
from models.push_entities import Protection
from models.violation_entities import Violation
from tests.e2e.approvals_support import Travel, arrive, decisions, pushes, run_scheduler
from tests.e2e.conftest import JIA, YI
from tests.moments import TZ, at, end_of
from tests.people import Cast, Person, files

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
PHONE = "13812345678"
INTERCEPT = f"违规 {JIA} 截客 在售楼处300米内拦截来访客户"


def violations(engine: Engine) -> list[Violation]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(Violation).order_by(Violation.id)))


def status_of(engine: Engine, name: str) -> str:
    with make_session_factory(engine)() as session:
        found = session.scalar(select(Distributor.status).where(Distributor.name == name))
        assert found is not None
        return found


def violation_pushes(engine: Engine) -> list[Any]:
    return [push for push in pushes(engine) if push.kind == PushKind.VIOLATION]


def test_a_first_interception_is_fined_and_the_distributors_agents_told(
    travel: Travel, engine: Engine, cast: Cast, jia: Person, yi: Person, boss: Person
) -> None:
    second_agent = cast.agent(JIA, "钱小二")
    travel(at(12, 1, 10, 0))
    reply = boss.text("违规 甲房产 经纪有限公司 截客 在售楼处300米内拦截来访客户")  # spaced name
    assert f"已记录违规（星河湾）：{JIA} 截客" in reply, reply
    assert "首次截客，罚款 50,000 元" in reply and "R11" in reply
    assert "已通知该分销商的 2 位经纪人" in reply
    (violation,) = violations(engine)
    assert (violation.kind, violation.outcome, violation.fine_yuan) == (
        "interception",
        "fined",
        50_000,
    )
    assert violation.blacklisted is False and status_of(engine, JIA) == "active"
    told = violation_pushes(engine)
    assert {push.openid for push in told} == {jia.openid, second_agent.openid}
    for push in told:
        assert "R11" in push.text and "50,000 元" in push.text and YI not in push.text
        assert "拦截来访客户" not in push.text  # the manager's own words stay at the site
    (decision,) = decisions(engine, "violation")
    assert (decision.rule, decision.outcome) == ("R11", "fined")
    assert decision.policy is not None and decision.policy["interception_fine_yuan"] == 50_000


def test_a_second_interception_in_another_project_blacklists_and_frees_its_clients(
    travel: Travel,
    engine: Engine,
    cast: Cast,
    jia: Person,
    yi: Person,
    desk: Person,
    boss: Person,
) -> None:
    cast.project("P2", "翠湖")
    boss2 = cast.staff("P2", "manager", "王经理")
    travel(at(11, 22, 10, 0))
    filed = files(jia, f"报备 P1 张三 {PHONE} 本地 明天 15:00")  # never visits
    visited = files(jia, "报备 P1 李四 13900001111 本地 15:00")
    arrive(travel, desk, visited, "13900001111", at(11, 22, 15, 0))
    travel(at(11, 22, 16, 0))
    assert "到访保护至" in boss.text(f"通过 #{visited}")
    travel(at(11, 23, 9, 0))
    assert "首次截客" in boss.text(INTERCEPT)
    travel(at(11, 23, 10, 0))
    reply = boss2.text(f"违规 {JIA} 截客 派单拦截客户")
    assert "第2次截客（各项目合计），即日起停止合作并列入黑名单（R11）" in reply, reply
    assert "其 2 条客户保护即时结束" in reply
    assert status_of(engine, JIA) == "blacklisted"
    second = violations(engine)[-1]
    assert (second.outcome, second.blacklisted, second.fine_yuan) == ("blacklisted", True, None)
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(Protection).where(Protection.ended_reason == "terminated"))
        assert {row.ends_at for row in rows} == {at(11, 23, 10, 0) - timedelta(microseconds=1)}
    (push,) = [p for p in violation_pushes(engine) if "即日起停止合作" in p.text]
    assert push.openid == jia.openid and "您名下 2 条客户保护即时结束" in push.text
    # R3 refuses the blacklisted distributor in every project
    assert "列入黑名单" in jia.text("报备 P2 王五 13700001234 本地 明天 15:00")
    # the unvisited client is free for another distributor; the visited one is 公客
    assert "报备成功" in yi.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "公客" in yi.text("报备 P1 李四 13900001111 本地 明天 15:00")
    mine = jia.text("查询")  # the agent sees the ends: at the blacklisting
    assert f"#{filed} 张三 138****5678 已失效" in mine
    assert f"#{visited} 李四 139****1111 已到访 保护至 2026-11-23" in mine


def test_an_arrival_pending_when_its_distributor_is_blacklisted_starts_no_protection(
    travel: Travel, engine: Engine, cast: Cast, jia: Person, desk: Person, boss: Person
) -> None:
    cast.project("P2", "翠湖")
    boss2 = cast.staff("P2", "manager", "王经理")
    travel(at(11, 22, 10, 0))
    number = files(jia, f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    arrive(travel, desk, number, PHONE, at(11, 23, 15, 0))  # awaiting the manager
    travel(at(11, 23, 15, 30))
    assert "首次截客" in boss2.text(f"违规 {JIA} 截客 派单拦截客户")
    assert "停止合作并列入黑名单" in boss.text(INTERCEPT)
    travel(at(11, 23, 16, 0))
    reply = boss.text(f"通过 #{number}")
    assert "该分销商已停止合作并列入黑名单（R11）" in reply and "请驳回" in reply, reply
    with make_session_factory(engine)() as session:
        started = session.scalars(
            select(Protection).where(Protection.kind == "visit", Protection.ended_reason.is_(None))
        ).all()
    assert started == []
    assert "自然到访" in boss.text(f"驳回 #{number} 已停止合作")


def test_a_false_filing_withholds_the_commission_with_damages_and_a_refund_deadline(
    travel: Travel, engine: Engine, jia: Person, boss: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia, f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    travel(at(12, 1, 10, 0))
    reply = boss.text(f"违规 {JIA} 违约报备 #{number} 回访客户表示不认识该分销商 {PHONE}")
    assert f"{JIA} 违约报备 #{number} 张三 138****5678" in reply, reply
    assert "该客户的佣金不予支付，已支付的须于 2026-12-03 23:59:59 前退还" in reply
    assert "违约金 100,000 元" in reply and "R11" in reply and PHONE not in reply
    (violation,) = violations(engine)
    assert (violation.withheld, violation.damages_yuan) == (True, 100_000)
    assert violation.refund_due_at == end_of(12, 3) and violation.filing_id == number
    assert violation.client_id is not None and PHONE not in violation.description
    assert status_of(engine, JIA) == "active"
    (push,) = violation_pushes(engine)
    assert push.openid == jia.openid and f"#{number} 张三 138****5678" in push.text
    assert "佣金不予支付" in push.text and PHONE not in push.text
    (decision,) = decisions(engine, "violation")
    assert decision.policy is not None and decision.policy["refund_deadline_days"] == 3
    assert PHONE not in str(decision.facts)


def test_a_false_filing_names_a_filing_of_that_distributor_in_the_managers_project(
    travel: Travel, engine: Engine, jia: Person, yi: Person, boss: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(yi, f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "不是「甲房产经纪有限公司」报备的客户" in boss.text(
        f"违规 {JIA} 违约报备 #{number} 说明"
    )
    assert "没有找到您所管理项目的这条报备" in boss.text(f"违规 {JIA} 违约报备 #999 说明")
    assert violations(engine) == []


def test_a_photo_after_the_violation_is_attached_as_its_evidence(
    travel: Travel, engine: Engine, cli: Callable[..., Any], jia: Person, boss: Person
) -> None:
    travel(at(12, 1, 10, 0))
    boss.text(INTERCEPT)
    travel(at(12, 1, 10, 5))
    reply = boss.wechat.send(boss.wechat.image_xml(boss.openid, media_id="MEDIA_scene"))
    assert reply.text == f"已收到照片，将作为证据附在对 {JIA} 的违规记录（截客）上。"
    run_scheduler(cli, travel, at(12, 1, 10, 6))
    (violation,) = violations(engine)
    with make_session_factory(engine)() as session:
        (photo,) = session.scalars(select(ArrivalPhoto))
        assert (photo.status, photo.violation_id, photo.arrival_id) == (
            PhotoStatus.ATTACHED, violation.id, None,
        )  # fmt: skip
    (logged,) = decisions(engine, "violation_photo")
    assert (logged.rule, logged.subject) == ("R11", f"violation:{violation.id}")
    assert logged.facts["sha256"] == hashlib.sha256(FAKE_JPEG).hexdigest()
    assert "照片1张" in boss.text("违规记录")


def test_the_front_desk_and_agents_may_not_record_violations(
    travel: Travel, engine: Engine, jia: Person, desk: Person
) -> None:
    travel(at(12, 1, 10, 0))
    assert desk.text(INTERCEPT) == replies.NOT_MANAGER
    assert jia.text(INTERCEPT) == replies.NOT_STAFF
    assert desk.text("违规记录") == replies.NOT_MANAGER
    assert violations(engine) == []


def test_a_retried_message_records_the_violation_once(
    travel: Travel, engine: Engine, jia: Person, boss: Person
) -> None:
    travel(at(12, 1, 10, 0))
    first = boss.say(INTERCEPT, msg_id=770001)
    again = boss.say(INTERCEPT, msg_id=770001)
    assert first.text is not None and "首次截客" in first.text
    assert again.text == first.text  # answered from the first record
    assert len(violations(engine)) == 1 and len(violation_pushes(engine)) == 1
    assert len(decisions(engine, "violation")) == 1


def test_an_unknown_distributor_name_is_answered_without_listing_any(
    travel: Travel, engine: Engine, boss: Person, jia: Person, yi: Person
) -> None:
    travel(at(12, 1, 10, 0))
    reply = boss.text("违规 甲房产 截客 门口拦截")
    assert "没有找到名为「甲房产」的分销商，请写分销商的全称" in reply, reply
    assert JIA not in reply.replace("违规 甲房产经纪有限公司 截客 说明", "") and YI not in reply
    assert "正确格式" in boss.text(f"违规 {JIA} 截客")  # the reason is required
    assert violations(engine) == []


def test_a_message_handled_twice_past_the_dedup_layer_writes_once_and_answers_alike(
    travel: Travel, engine: Engine, cast: Cast, jia: Person, boss: Person
) -> None:
    """A handler run again on a fresh connection (``once_more_if_reconnected``) meets the
    first record's ``source_msg`` and answers from it, with the agents it told."""
    cast.project("P2", "翠湖")
    cast.staff("P2", "manager", "王经理").text(f"违规 {JIA} 截客 派单")
    travel(at(12, 1, 10, 0))
    files(jia, f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    who = identify(engine, boss.openid)
    args = (engine, who, JIA, "interception", None, "拦截", at(12, 1, 10, 0), TZ, "msg:42")
    first, again = violation_model.record(*args), violation_model.record(*args)
    assert again == replace(first, ended_per_agent={}) and (again.told, again.ended) == (1, 1)
    assert len(violations(engine)) == 2 and len(violation_pushes(engine)) == 2
