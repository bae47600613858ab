"""Who may run which command (declared in handlers/router.py), as users meet it.

Each refusal is polite, says who may run the command, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models.entities import DecisionLogEntry, Filing
from tests.moments import at
from tests.people import Cast, Person, filing_number

pytestmark = pytest.mark.e2e


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        filings = conn.scalar(select(func.count()).select_from(Filing))
        decisions = conn.scalar(select(func.count()).select_from(DecisionLogEntry))
    return int(filings or 0), int(decisions or 0)


def test_staff_who_send_an_agents_command_are_told_it_is_for_agents_and_nothing_is_filed(
    cast: Cast, engine: Engine, travel: Callable[[datetime], Any]
) -> None:
    travel(at(11, 22, 10, 0))
    desk = cast.staff("P1", "frontdesk")
    before = counts(engine)

    for text in ("报备 P1 张三 13812345678 本地 明天 15:00", "取消 #1", "带看 #1 15:00"):
        reply = desk.text(text)
        assert "分销商经纪人" in reply and "案场" in reply, text
        assert "您还没有绑定" not in reply, text

    assert counts(engine) == before


def test_a_stranger_sending_an_agents_command_is_told_how_to_bind(
    cast: Cast, wechat: Any, engine: Engine
) -> None:
    stranger = Person("o_stranger", wechat)
    before = counts(engine)

    reply = stranger.text("报备 P1 张三 13812345678 本地 明天 15:00")

    assert "您还没有绑定为分销商经纪人" in reply and "绑定 邀请码 姓名" in reply
    assert counts(engine) == before


def test_an_agent_registering_an_arrival_is_told_the_front_desk_does_and_nothing_changes(
    jia: Person, engine: Engine, travel: Callable[[datetime], Any]
) -> None:
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text("报备 P1 张三 13812345678 本地 明天 15:00"))
    before = counts(engine)

    reply = jia.text(f"到访 #{number} 13812345678")

    assert "前台" in reply and "1234" not in reply
    assert counts(engine) == before


def test_a_stranger_registering_an_arrival_is_told_it_is_for_case_site_staff(
    cast: Cast, wechat: Any
) -> None:
    reply = Person("o_stranger", wechat).text("到访 #1 13812345678")

    assert reply == "该指令仅限已绑定的案场人员使用。"


def test_anyone_may_ask_for_help_and_bind(cast: Cast, wechat: Any) -> None:
    stranger = Person("o_stranger", wechat)

    assert "报备" in stranger.text("帮助")
    assert "邀请码无效" in stranger.text("绑定 ZZZZZZZZ 王小明")
