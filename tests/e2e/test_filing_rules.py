"""Rules R1-R4 through the webhook: every worked example of domain.md, the clock travelled."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.simulator import WeChatSimulator
from models.entities import Client, DecisionLogEntry, Filing
from tests.e2e.conftest import JIA
from tests.moments import at
from tests.people import Cast, Person, filing_number

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]


# ------------------------------------------------------------------ R2 advance notice


@pytest.mark.parametrize(
    ("filed", "arrival", "accepted"),
    [
        (at(11, 22, 14, 10), "15:00", False),  # 50 min -> invalid
        (at(11, 22, 14, 0), "15:00", True),  # exactly 60 min -> valid
        (at(11, 22, 13, 59), "15:00", True),
    ],
    ids=["50-minutes", "exactly-60", "61-minutes"],
)
def test_local_client_needs_one_hour_of_notice(
    travel: Travel, jia: Person, filed: datetime, arrival: str, accepted: bool
) -> None:
    travel(filed)
    reply = jia.text(f"报备 P1 张三 13812345678 本地 {arrival}")
    if accepted:
        assert "报备成功" in reply and "保护至 2026-11-29" in reply
    else:
        assert "报备失败" in reply
        assert "最早可到访时间 2026-11-22 15:10" in reply


@pytest.mark.parametrize(
    ("arrival", "accepted"),
    [("11-22 15:00", False), ("11-22 16:00", True)],
    ids=["23-hours", "exactly-24-hours"],
)
def test_out_of_town_client_needs_24_hours_of_notice(
    travel: Travel, jia: Person, arrival: str, accepted: bool
) -> None:
    travel(at(11, 21, 16, 0))
    reply = jia.text(f"报备 P1 李四 139****8888 异地 {arrival}")
    assert ("报备成功" in reply) is accepted
    if not accepted:
        assert "报备失败" in reply and "最早可到访时间 2026-11-22 16:00" in reply


def test_a_project_may_ask_half_an_hour_of_notice(
    cli: Callable[..., Any], travel: Travel, jia: Person
) -> None:
    assert cli("project", "set", "P1", "--set", "local_notice_minutes=30").exit_code == 0
    travel(at(11, 22, 14, 10))
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 14:40")


def test_help_names_the_notice_the_project_asks_for(cli: Callable[..., Any], jia: Person) -> None:
    assert cli("project", "set", "P1", "--set", "local_notice_minutes=30").exit_code == 0
    reply = jia.text("帮助")
    assert "本地客户须提前30分钟" in reply
    assert "1小时" not in reply
    assert "异地客户须提前24小时" in reply


def test_help_names_each_projects_rules_when_they_differ(cast: Cast, jia: Person) -> None:
    cast.project("P2", "翠湖苑", "local_notice_minutes=90", "filing_protection_days=5")
    reply = jia.text("帮助")
    assert "规则（项目 P1）：本地客户须提前1小时" in reply and "报备次日起7天" in reply
    assert "规则（项目 P2）：本地客户须提前90分钟" in reply and "报备次日起5天" in reply


def test_a_local_filing_across_midnight_counts_the_real_hour(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 23, 30))
    reply = jia.text("报备 P1 张三 13812345678 本地 明天 00:30")
    assert "报备成功" in reply and "保护至 2026-11-29" in reply


# ------------------------------------------------------------------ R4 filing protection


@pytest.mark.parametrize(
    ("filed", "arrival", "until"),
    [
        (at(11, 22, 10, 0), "明天 15:00", "2026-11-29"),
        (at(11, 30, 10, 0), "明天 15:00", "2026-12-07"),  # month end
        (at(12, 28, 10, 0), "明天 15:00", "2027-01-04"),  # year end
        (at(2, 29, 10, 0, year=2028), "明天 15:00", "2028-03-07"),  # leap day
        (at(2, 25, 10, 0, year=2028), "明天 15:00", "2028-03-03"),
    ],
    ids=["example", "month-end", "year-end", "leap-day", "over-29-feb"],
)
def test_filing_protection_runs_seven_days_from_the_next_day(
    travel: Travel, jia: Person, filed: datetime, arrival: str, until: str
) -> None:
    travel(filed)
    reply = jia.text(f"报备 P1 张三 13812345678 本地 {arrival}")
    assert "报备成功" in reply
    assert re.search(r"#\d+", reply)
    assert f"保护至 {until}" in reply


def test_an_arrival_after_the_filing_protection_is_refused(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1 张三 13812345678 本地 11-30 10:00")
    assert "报备失败" in reply and "2026-11-29" in reply


def test_a_lapsed_client_may_be_filed_again_by_anyone(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    travel(at(11, 29, 23, 59))
    still = yi.text("报备 P1 张三 13812345678 本地 明天 15:00")
    assert "报备失败" in still and "2026-11-29" in still
    travel(at(11, 30, 0, 0))
    again = yi.text("报备 P1 张三 13812345678 本地 11-30 15:00")
    assert "报备成功" in again and "保护至 2026-12-07" in again


def test_the_same_distributor_may_file_its_lapsed_client_again(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    first = filing_number(jia.text("报备 P1 张三 13812345678 本地 明天 15:00"))
    travel(at(11, 30, 9, 0))
    reply = jia.text("报备 P1 张三 13812345678 本地 11-30 15:00")
    assert "报备成功" in reply and filing_number(reply) != first


# ------------------------------------------------------------------ R3 one owner


def test_a_client_protected_by_another_channel_is_refused_without_naming_it(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    travel(at(11, 23, 9, 0))
    reply = yi.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "报备失败" in reply and "其他渠道" in reply and "保护至 2026-11-29" in reply
    assert JIA not in reply and "王小明" not in reply and "甲" not in reply


def test_filing_again_your_own_client_says_already_filed_and_does_not_extend(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    travel(at(11, 25, 10, 0))
    reply = jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    assert "报备失败" in reply and "已由贵司报备" in reply and "保护至 2026-11-29" in reply
    with engine.connect() as conn:
        until = conn.scalar(select(Client.protected_until))
    assert until.astimezone(at(1, 1).tzinfo).date().isoformat() == "2026-11-29"


@pytest.mark.parametrize("source", ["import", "own", "referral", "partner", "natural_visit"])
def test_a_client_known_to_the_case_site_cannot_be_filed(
    cli: Callable[..., Any], travel: Travel, jia: Person, source: str
) -> None:
    result = cli("client", "add-known", "P1", "张三", "13812345678", "--source", source)
    assert result.exit_code == 0, result.output
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "报备失败" in reply and "不属于渠道客户" in reply


def test_the_same_mask_with_another_name_is_another_client(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    assert "报备成功" in yi.text("报备 P1 张山 13812345678 本地 明天 15:00")


@pytest.mark.parametrize("status", ["blacklist", "suspend"])
def test_a_blacklisted_or_suspended_distributor_cannot_file(
    cli: Callable[..., Any], travel: Travel, jia: Person, status: str, engine: Engine
) -> None:
    assert cli("distributor", status, JIA, "--reason", "截客").exit_code == 0
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    assert "报备失败" in reply and "暂停合作或列入黑名单" in reply
    assert cli("distributor", "activate", JIA).exit_code == 0
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 明天 15:00")


def test_an_unknown_project_is_named_in_the_refusal(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 翡翠城 张三 13812345678 本地 明天 15:00")
    assert "报备失败" in reply and "翡翠城" in reply


def test_a_project_can_be_named_by_its_name_or_lower_case_code(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 星河湾 张三 13812345678 本地 明天 15:00")
    assert "报备成功" in jia.text("报备 p1 李四 13912345678 本地 明天 15:00")


def test_an_unbound_sender_is_told_how_to_bind(wechat: WeChatSimulator) -> None:
    reply = wechat.say("o_stranger", "报备 P1 张三 13812345678 本地 明天 15:00").text
    assert reply and "绑定 邀请码 姓名" in reply


def test_an_invite_code_binds_once(
    cast: Cast, cli: Callable[..., Any], wechat: WeChatSimulator
) -> None:
    code = cli("distributor", "invite", JIA).output.strip().splitlines()[-1]
    assert "绑定成功" in (wechat.say("o_a", f"绑定 {code} 王小明").text or "")
    assert "邀请码无效" in (wechat.say("o_b", f"绑定 {code} 李小明").text or "")


# ------------------------------------------------------------------ R1 content, privacy


def test_eleven_digits_are_kept_only_as_the_mask(
    travel: Travel, jia: Person, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    travel(at(11, 22, 10, 0))
    caplog.set_level(logging.DEBUG)
    reply = jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    listing = jia.text("查询")
    by_phone = jia.text("查询 13812345678")
    for text in (reply, listing, by_phone):
        assert "138****5678" in text and "1234" not in text
    assert "1234" not in caplog.text
    with engine.connect() as conn:
        assert conn.scalar(select(Filing.phone_mask)) == "138****5678"
        assert conn.scalar(select(Client.full_phone)) is None
        facts = " ".join(str(f) for f in conn.scalars(select(DecisionLogEntry.facts)))
    assert "1234" not in facts


def test_several_clients_in_one_message_are_each_answered(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    yi.text("报备 P1 王五 137****0000 本地 明天 15:00")
    reply = jia.text(
        "报备 P1\n张三 13812345678 本地 明天 15:00\n李四 139****1111 异地 11月24日下午3点\n"
        "王五 137****0000 本地 明天 15:00\n赵六 12345 本地 明天 15:00"
    )
    assert reply.count("报备成功") == 2
    assert reply.count("报备失败") == 1 and "其他渠道" in reply
    assert "手机号格式不对" in reply


def test_ten_refused_clients_in_one_message_still_fit_one_reply(
    travel: Travel, jia: Person, cli: Callable[..., Any]
) -> None:
    for index in range(10):
        cli(
            "client",
            "add-known",
            "P1",
            f"客户{'甲乙丙丁戊己庚辛壬癸'[index]}",
            f"138{index:04d}5678",
            "--source",
            "partner",
        )
    travel(at(11, 22, 10, 0))
    lines = "\n".join(
        f"客户{'甲乙丙丁戊己庚辛壬癸'[i]} 138****5678 异地 明天 15:00" for i in range(10)
    )
    reply = jia.text(f"报备 P1\n{lines}")
    assert reply.count("报备失败") == 10 and len(reply.encode()) <= 2048
    assert "内容过长" not in reply


def test_the_labelled_form_files_a_client(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1\n客户：张三\n电话：138****5678\n类型：异地\n到访：11-24 10:00")
    assert "报备成功" in reply and "异地" in reply


def test_an_unparseable_filing_gets_the_reason_and_an_example(jia: Person) -> None:
    reply = jia.text("报备 P1 张三 本地 明天")
    assert "报备 P1 张三 138****5678 本地 明天 15:00" in reply


def test_query_lists_pages_under_the_reply_limit(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    names = "甲乙丙丁戊己庚辛壬癸子丑寅卯"
    for index, name in enumerate(names):
        jia.text(f"报备 P1 客户{name} 138****{index:04d} 本地 明天 15:00")
    first = jia.text("查询")
    second = jia.text("查询 2")
    assert len(first.encode()) <= 2048 and "查询 2" in first
    assert first.count("#") + second.count("#") == len(names)


def test_cancel_frees_the_client_for_another_channel(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text("报备 P1 张三 13812345678 本地 明天 15:00"))
    assert "报备失败" in yi.text("报备 P1 张三 13812345678 本地 明天 15:00")
    assert "已取消" in jia.text(f"取消 #{number}")
    assert "取消失败" in yi.text(f"取消 #{number}")
    assert "报备成功" in yi.text("报备 P1 张三 13812345678 本地 明天 15:00")


def test_every_filing_decision_is_logged_with_rule_and_policy(
    travel: Travel, jia: Person, yi: Person, engine: Engine, cli: Callable[..., Any]
) -> None:
    travel(at(11, 22, 14, 10))
    jia.text("报备 P1 张三 13812345678 本地 15:00")
    jia.text("报备 P1 张三 13812345678 本地 16:00")
    yi.text("报备 P1 张三 13812345678 本地 16:00")
    with engine.connect() as conn:
        rows = conn.execute(
            select(DecisionLogEntry.rule, DecisionLogEntry.outcome, DecisionLogEntry.policy)
            .where(DecisionLogEntry.action == "file")
            .order_by(DecisionLogEntry.id)
        ).all()
        assert conn.scalar(select(func.count()).select_from(Filing)) == 3
    assert [(r[0], r[1]) for r in rows] == [
        ("R2", "notice_too_short"),
        ("R1", "accepted"),
        ("R3", "protected_by_other"),
    ]
    assert all(r[2]["local_notice_minutes"] == 60 for r in rows)


def test_an_agent_at_the_open_filings_cap_is_refused_until_one_is_cancelled(
    cli: Callable[..., Any], travel: Travel, jia: Person
) -> None:
    assert cli("project", "set", "P1", "--set", "max_open_filings=2").exit_code == 0
    travel(at(11, 22, 10, 0))
    first = filing_number(jia.text("报备 P1 张三 13812345678 本地 明天 15:00"))
    assert "报备成功" in jia.text("报备 P1 李四 13912345678 本地 明天 15:00")
    refused = jia.text("报备 P1 王五 13712345678 本地 明天 15:00")
    assert "报备失败" in refused and "上限" in refused
    jia.text(f"取消 #{first}")
    assert "报备成功" in jia.text("报备 P1 王五 13712345678 本地 明天 15:00")


@pytest.mark.parametrize(
    ("setting", "named"),
    [("no_such_key=1", "no_such_key"), ("local_notice_minutes=soon", "local_notice_minutes")],
)
def test_a_bad_policy_value_is_refused_by_the_operator_command_naming_the_key(
    cli: Callable[..., Any], setting: str, named: str
) -> None:
    result = cli("project", "add", "P2", "翡翠城", "--set", setting)
    assert result.exit_code == 2 and named in result.output
    assert cli("project", "add", "P2", "翡翠城").output.strip().splitlines()[-1] == "P2"
