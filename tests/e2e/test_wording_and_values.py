"""Issue 15 items 9 and 10 through the webhook: replies that state the rule right, the
time phrases agents use, and the policy values the seeds need."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from bot.simulator import WeChatSimulator
from models.entities import DecisionLogEntry, Project
from models.requests import INVITE_LENGTH
from tests.e2e.conftest import JIA
from tests.moments import at
from tests.people import Person, files, filing_number

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]


# ------------------------------------------------------------------ item 9: wording


def test_the_cap_is_limit_l1_and_a_visit_report_does_not_free_a_place(
    cli: Callable[..., Any], travel: Travel, jia: Person, engine: Engine
) -> None:
    assert cli("project", "set", "P1", "--set", "max_open_filings=2").exit_code == 0
    travel(at(11, 22, 10, 0))
    first = files(jia)
    files(jia, "报备 P1 李四 13912345678 本地 明天 15:00")
    assert "到访报备成功" in jia.text(f"带看 #{first} 明天 15:00")

    refused = jia.text("报备 P1 王五 13712345678 本地 明天 15:00")

    assert "报备失败" in refused and "上限（2条）" in refused
    assert "带看" not in refused and "取消" in refused and "失效" in refused
    with engine.connect() as conn:
        rule = conn.scalar(
            select(DecisionLogEntry.rule)
            .where(DecisionLogEntry.outcome == "cap_reached")
            .order_by(DecisionLogEntry.id.desc())
        )
    assert rule == "L1"
    jia.text(f"取消 #{first}")
    assert "报备成功" in jia.text("报备 P1 王五 13712345678 本地 明天 15:00")


def test_an_arrival_time_already_past_is_refused_as_past(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 16, 0))

    reply = jia.text("报备 P1 张三 13812345678 本地 15:00")

    assert "报备失败" in reply and "到访时间已过" in reply
    assert "最早可到访时间 2026-11-22 17:00" in reply
    assert "报备须在客户到访前" not in reply


def test_an_ended_visit_protection_is_not_called_a_filing_protection(
    travel: Travel, jia: Person, cast: Any
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    # visited 11-22, approved by the manager (R5): protected until 2027-01-05
    desk, boss = cast.staff("P1", "frontdesk"), cast.staff("P1", "manager", "张经理")
    travel(at(11, 22, 15, 0))
    assert "建议判定：有效" in desk.text(f"到访 #{number} 13812345678")
    assert "到访保护至 2027-01-05" in boss.text(f"通过 #{number}")
    travel(at(12, 31, 10, 0))
    late = jia.text(f"带看 #{number} 01-06 10:00")
    assert "到访时间晚于到访保护期（保护至 2027-01-05）" in late

    travel(at(1, 6, 10, 0, 2027))
    ended = jia.text(f"带看 #{number}")

    assert "到访报备失败" in ended and "到访保护期已于 2027-01-05 结束" in ended
    assert "公客" in ended and "报备保护期" not in ended


def test_the_invite_code_reply_names_the_length_the_codes_have(
    cli: Callable[..., Any], cast: Any, wechat: WeChatSimulator
) -> None:
    code = cli("distributor", "invite", JIA).output.strip().splitlines()[-1]
    assert len(code) == INVITE_LENGTH == 8

    for typed in (code[:-1], code + "X"):
        reply = wechat.say("o_newcomer", f"绑定 {typed} 王小明").text or ""
        assert f"邀请码格式不对，应为{INVITE_LENGTH}位字母和数字" in reply
    assert "绑定成功" in (wechat.say("o_newcomer", f"绑定 {code.lower()} 王小明").text or "")


def test_a_bad_name_in_bind_is_the_agents_own_name(
    cli: Callable[..., Any], cast: Any, wechat: WeChatSimulator
) -> None:
    code = cli("distributor", "invite", JIA).output.strip().splitlines()[-1]

    reply = wechat.say("o_newcomer", f"绑定 {code} 王3").text or ""

    assert "您的姓名不对" in reply and "客户" not in reply


def test_a_second_cancel_says_it_is_cancelled_already(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    assert "已取消报备" in jia.text(f"取消 #{number}")

    again = jia.text(f"取消 #{number}")

    assert "该报备已取消，无须再次取消" in again
    assert "请重新报备" not in again


def test_cancelling_a_lapsed_filing_is_not_told_to_file_again(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    travel(at(11, 30, 9, 0))

    reply = jia.text(f"取消 #{number}")

    assert "已失效" in reply and "无须取消" in reply and "请重新报备" not in reply


@pytest.mark.parametrize("typed", ["查询 第2页", "查询 第 2 页", "查询 2页", "查询 第二页"])
def test_query_page_two_is_understood_as_a_page(travel: Travel, jia: Person, typed: str) -> None:
    travel(at(11, 22, 10, 0))
    for index, name in enumerate("甲乙丙丁戊己庚辛壬癸子丑"):
        jia.text(f"报备 P1 客户{name} 138****{index:04d} 本地 明天 15:00")

    reply = jia.text(typed)

    assert reply == jia.text("查询 2")
    assert "第2页" in reply and "报备编号" not in reply


def test_a_query_that_is_no_page_nor_phone_does_not_talk_of_filing_numbers(jia: Person) -> None:
    reply = jia.text("查询 张三")

    assert "页码或客户手机号" in reply and "报备编号" not in reply


# ------------------------------------------------------------------ item 9: time phrases


def test_common_time_phrases_file_and_report_visits(travel: Travel, jia: Person) -> None:
    travel(at(11, 24, 13, 0))  # a Tuesday
    tonight = jia.text("报备 P1 张三 13812345678 本地 今晚8点")
    assert "预计到访：2026-11-24 20:00" in tonight
    number = filing_number(tonight)

    assert "到访时间：2026-11-25 09:00" in jia.text(f"带看 #{number} 明早9点")
    assert "到访时间：2026-11-30 10:00" in jia.text(f"带看 #{number} 下周一 10点")
    other = jia.text("报备 P1 李四 13912345678 本地 周二 下午2点")
    assert "预计到访：2026-11-24 14:00" in other


# ------------------------------------------------------------------ item 10: policy values


@pytest.mark.parametrize(
    ("arrival", "accepted"), [("14:30", True), ("14:29", False)], ids=["30 min", "29 min"]
)
def test_half_an_hour_of_notice_for_out_of_town_clients_too(
    cli: Callable[..., Any], travel: Travel, jia: Person, arrival: str, accepted: bool
) -> None:
    setting = ("--set", "local_notice_minutes=30", "--set", "remote_notice_minutes=30")
    assert cli("project", "set", "P1", *setting).exit_code == 0
    travel(at(11, 22, 14, 0))

    reply = jia.text(f"报备 P1 李四 139****8888 异地 {arrival}")

    assert ("报备成功" in reply) is accepted
    if not accepted:
        assert "至少30分钟" in reply and "最早可到访时间 2026-11-22 14:30" in reply


def test_the_old_hours_key_is_refused_by_the_operator_naming_the_new_one(
    cli: Callable[..., Any], cast: Any
) -> None:
    result = cli("project", "set", "P1", "--set", "remote_notice_hours=1")

    assert result.exit_code == 2 and "remote_notice_minutes" in result.output


def test_a_project_stored_with_notice_in_hours_keeps_its_notice(
    cli: Callable[..., Any], travel: Travel, jia: Person, engine: Engine
) -> None:
    with engine.begin() as conn:
        stored = dict(conn.scalar(select(Project.policy).where(Project.code == "P1")))
        del stored["remote_notice_minutes"]
        stored["remote_notice_hours"] = 48
        conn.execute(update(Project).where(Project.code == "P1").values(policy=stored))
    travel(at(11, 20, 16, 0))

    assert "报备失败" in jia.text("报备 P1 李四 139****8888 异地 11-22 15:00")
    assert "报备成功" in jia.text("报备 P1 李四 139****8888 异地 11-22 16:00")
    assert "异地客户须提前48小时" in jia.text("帮助")
    assert cli("project", "set", "P1", "--set", "local_notice_minutes=30").exit_code == 0
    with engine.connect() as conn:
        policy = conn.scalar(select(Project.policy).where(Project.code == "P1"))
    assert policy["remote_notice_minutes"] == 2880 and "remote_notice_hours" not in policy
