"""Case-site staff through the webhook: their answers to 查询 and 帮助, the day, the
statistics, and every staff command refused, with nothing changed, to everyone else.

Staff see only their projects' clients (R12), with masked phones only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.fakeapi import FakeWeChatServer
from bot.simulator import WeChatSimulator
from models.entities import DecisionLogEntry, Filing, VisitReport
from models.push_entities import Push
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Cast, Person, files, filing_number

pytestmark = pytest.mark.e2e
Travel = Callable[[datetime], None]
ZHANG = "报备 P1 张三 13812345678 本地 明天 15:00"


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Filing, DecisionLogEntry, Push, VisitReport)
        )


def click(person: Person, key: str) -> str:
    reply = person.wechat.click(person.openid, key)
    assert reply.status == 200 and reply.text is not None, reply.raw
    return reply.text


def file_zhang(travel: Travel, agent: Person) -> int:
    travel(at(11, 22, 10, 0))
    return files(agent, ZHANG)


def test_staff_find_their_projects_client_by_full_or_masked_phone_never_seeing_the_middle(
    cast: Cast, jia: Person, travel: Travel
) -> None:
    number = file_zhang(travel, jia)
    desk = cast.staff("P1", "frontdesk")

    for phone in ("13812345678", "138****5678"):
        reply = desk.text(f"查询 {phone}")
        assert "客户：张三 138****5678（星河湾）" in reply, reply
        assert f"报备保护中：{JIA}，保护至 2026-11-29" in reply
        assert f"#{number} {JIA}/王小明 已报备" in reply
        assert "1234" not in reply and "您还没有绑定" not in reply


def test_staff_of_another_project_do_not_find_the_client(
    cast: Cast, jia: Person, travel: Travel
) -> None:
    file_zhang(travel, jia)
    cast.project("P2", "明月湾")
    other = cast.staff("P2", "manager", "周经理")

    reply = other.text("查询 13812345678")

    assert reply == "您的项目中没有找到客户 138****5678。"


def test_a_visited_client_shows_the_visit_protection_and_its_end(
    cast: Cast, jia: Person, travel: Travel
) -> None:
    number = file_zhang(travel, jia)
    travel(at(11, 22, 15, 0))  # registered at the desk, approved by the manager (R5)
    assert "建议判定：有效" in cast.staff("P1").text(f"到访 #{number} 13812345678")
    travel(at(11, 22, 16, 0))
    assert "审核通过" in cast.staff("P1", "manager", "张经理").text(f"通过 #{number}")
    travel(at(11, 23, 10, 0))

    reply = cast.staff("P1").text("查询 138****5678")

    assert f"到访保护中：{JIA}，保护至 2027-01-05" in reply
    assert f"#{number} {JIA}/王小明 已到访" in reply


def test_the_day_lists_expected_and_reported_visits_for_query_text_and_menu(
    cast: Cast, jia: Person, yi: Person, travel: Travel
) -> None:
    first = file_zhang(travel, jia)
    second = filing_number(yi.text("报备 P1 李四 13912345678 本地 明天 10:00"))
    travel(at(11, 23, 8, 0))
    assert "到访报备成功" in yi.text(f"带看 #{second} 11:30")
    desk = cast.staff("P1")

    replies = {desk.text("查询"), desk.text("今日"), click(desk, "STAFF_TODAY")}

    assert replies == {
        "今日到访（2026-11-23）：2 位\n"
        f"11:30 #{second} 李四 139****5678 {YI}/赵小红 已带看\n"
        f"15:00 #{first} 张三 138****5678 {JIA}/王小明 报备预计"
    }


def test_a_day_without_visits_says_so(cast: Cast, travel: Travel) -> None:
    travel(at(11, 23, 8, 0))

    assert click(cast.staff("P1"), "STAFF_TODAY") == "今天（2026-11-23）没有预计到访的客户。"


def test_staff_help_is_the_staffs_own_from_the_registry_and_their_projects_values(
    cast: Cast, wechat: WeChatSimulator
) -> None:
    cast.project("P3", "云栖苑", "local_notice_minutes=30")
    manager = cast.staff("P3", "manager", "周经理")

    replies = {
        manager.text("帮助"),
        click(manager, "STAFF_HELP"),
        click(manager, "AGENT_HELP"),
        click(manager, "NO_SUCH_KEY"),
    }

    (text,) = replies
    assert text.startswith("案场指令：")
    for line in ("查询 手机号", "到访 #编号 11位手机号", "今日到访：今日", "渠道统计：统计"):
        assert line in text, line
    assert "本地客户须提前30分钟" in text and "报备客户：" not in text
    assert "审核与统计由案场经理办理" not in text
    assert "审核与统计由案场经理办理" in cast.staff("P3", "frontdesk").text("帮助")


def test_managers_see_filings_arrivals_and_valid_rate_per_distributor_today_and_this_week(
    cast: Cast, jia: Person, yi: Person, engine: Engine, travel: Travel
) -> None:
    travel(at(11, 23, 10, 0))  # Monday
    monday = filing_number(jia.text("报备 P1 张三 13812345678 本地 11-24 15:00"))
    travel(at(11, 24, 15, 0))  # Tuesday: the desk registers the arrival, the manager approves
    desk = cast.staff("P1", "frontdesk", "李前台")
    assert "有效" in desk.text(f"到访 #{monday} 13812345678")
    manager = cast.staff("P1", "manager", "周经理")
    travel(at(11, 24, 16, 0))
    assert "保护至" in manager.text(f"通过 #{monday}")
    travel(at(11, 25, 9, 0))  # Wednesday
    jia.text("报备 P1 王五 13712345678 本地 明天 15:00")
    yi.text("报备 P1 李四 13912345678 本地 明天 15:00")
    yi.text("报备 P1 张三 13812345678 本地 明天 15:00")  # refused: 甲 protects 张三
    travel(at(11, 25, 18, 0))

    reply = click(manager, "STAFF_STATS")

    assert reply == manager.text("统计")
    assert reply.splitlines() == [
        "星河湾 渠道统计（今日 / 本周，周一起）：",
        f"{JIA}：报备 1/2，到访 0/1，有效率 —/100%",
        f"{YI}：报备 1/1，到访 0/0，有效率 —/—",
        "有效率 = 有效到访 ÷ 到访",
    ]


def test_last_weeks_filings_are_not_this_weeks(cast: Cast, jia: Person, travel: Travel) -> None:
    file_zhang(travel, jia)  # Sunday 11-22
    travel(at(11, 23, 9, 0))  # Monday

    assert (
        click(cast.staff("P1", "manager"), "STAFF_STATS") == "星河湾 今日和本周还没有报备或到访。"
    )


STAFF_COMMANDS = [
    ("STAFF_TODAY", None),
    ("STAFF_STATS", None),
    ("STAFF_PENDING", None),
    (None, "今日"),
    (None, "统计"),
    (None, "到访 #1 13812345678"),
]


def _send(person: Person, key: str | None, text: str | None) -> str:
    return click(person, key) if key else person.text(text or "")


@pytest.mark.parametrize(("key", "text"), STAFF_COMMANDS, ids=lambda v: v or "-")
def test_every_staff_command_is_refused_to_agents_and_strangers_and_changes_nothing(
    cast: Cast, jia: Person, wechat: WeChatSimulator, engine: Engine, travel: Travel,
    key: str | None, text: str | None,
) -> None:  # fmt: skip
    file_zhang(travel, jia)
    stranger = Person("o_stranger", wechat)
    before = counts(engine)

    agent_reply, stranger_reply = _send(jia, key, text), _send(stranger, key, text)

    assert "案场" in agent_reply and "张三" not in agent_reply and "1234" not in agent_reply
    assert stranger_reply == "该指令仅限已绑定的案场人员使用。"
    assert counts(engine) == before


def test_statistics_are_refused_to_a_front_desk_politely_and_change_nothing(
    cast: Cast, jia: Person, engine: Engine, travel: Travel
) -> None:
    file_zhang(travel, jia)
    desk = cast.staff("P1", "frontdesk")
    before = counts(engine)

    assert click(desk, "STAFF_STATS") == desk.text("统计") == "该指令仅限案场经理使用。"
    assert counts(engine) == before


def test_staff_of_another_project_see_nothing_of_this_projects_day_or_channels(
    cast: Cast, jia: Person, engine: Engine, travel: Travel
) -> None:
    file_zhang(travel, jia)
    cast.project("P2", "明月湾")
    other = cast.staff("P2", "manager", "周经理")
    travel(at(11, 23, 9, 0))
    before = counts(engine)

    assert click(other, "STAFF_TODAY") == "今天（2026-11-23）没有预计到访的客户。"
    assert click(other, "STAFF_STATS") == "明月湾 今日和本周还没有报备或到访。"
    assert JIA not in other.text("查询")
    assert counts(engine) == before


def test_the_pending_list_is_announced_until_the_approvals_are_built(cast: Cast) -> None:
    assert "待审核" in click(cast.staff("P1", "manager"), "STAFF_PENDING")


def test_an_agent_clicking_the_agents_keys_still_gets_the_agents_answers(
    cast: Cast, jia: Person, travel: Travel
) -> None:
    file_zhang(travel, jia)

    assert click(jia, "AGENT_CLIENTS").startswith("我的客户（第1页）：")
    assert click(jia, "AGENT_HELP").startswith("渠道报备指令：")


@pytest.fixture
def fake(fake_wechat: FakeWeChatServer) -> FakeWeChatServer:
    fake_wechat.state.reset()
    return fake_wechat


def run(cli: Callable[..., Any], moment: datetime, travel: Travel) -> None:
    travel(moment)
    result = cli("scheduler", "run-once")
    assert result.exit_code == 0, result.output


def test_managers_get_one_morning_digest_a_day_from_the_scheduler_and_the_desk_none(
    cast: Cast, jia: Person, cli: Callable[..., Any], engine: Engine, travel: Travel,
    fake: FakeWeChatServer,
) -> None:  # fmt: skip
    manager = cast.staff("P1", "manager", "周经理")
    desk = cast.staff("P1", "frontdesk")
    number = file_zhang(travel, jia)

    run(cli, at(11, 23, 8, 59), travel)
    assert not [s for s in fake.state.sends_to(manager.openid) if s["kind"] == "custom"]
    run(cli, at(11, 23, 9, 5), travel)
    run(cli, at(11, 23, 14, 0), travel)

    sent = [s for s in fake.state.sends_to(manager.openid) if s["kind"] == "custom"]
    assert len(sent) == 1
    assert sent[0]["payload"]["text"]["content"] == (
        "星河湾 2026-11-23 晨报\n待审核到访：0 条\n今日预计到访：1 位\n"
        f"15:00 #{number} 张三 138****5678 {JIA}/王小明 报备预计"
    )
    assert not [s for s in fake.state.sends_to(desk.openid) if s["kind"] == "custom"]
    run(cli, at(11, 24, 9, 5), travel)  # nothing expected on 11-24: no digest
    assert len([s for s in fake.state.sends_to(manager.openid) if s["kind"] == "custom"]) == 1


def test_the_morning_digest_counts_the_arrivals_awaiting_the_manager(
    cast: Cast, jia: Person, cli: Callable[..., Any], travel: Travel, fake: FakeWeChatServer
) -> None:
    manager = cast.staff("P1", "manager", "周经理")
    desk = cast.staff("P1", "frontdesk")
    number = file_zhang(travel, jia)  # expected 11-23 15:00
    travel(at(11, 23, 15, 0))
    assert "有效" in desk.text(f"到访 #{number} 13812345678")  # pending the manager's ruling

    run(cli, at(11, 24, 9, 5), travel)

    (sent,) = [s for s in fake.state.sends_to(manager.openid) if s["kind"] == "custom"]
    text = sent["payload"]["text"]["content"]
    assert "待审核到访：1 条（请点菜单「待审核」处理）" in text
    assert "13812345678" not in text
