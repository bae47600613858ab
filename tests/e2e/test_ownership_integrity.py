"""Issue 15's ownership holes through the webhook, each with the inputs the issue quotes.

Cancel and file again (R4), an agent who changes company (R3, R12), and filing numbers
that must not tell another agent's filing from one that does not exist (R12).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.simulator import WeChatSimulator
from models.entities import DecisionLogEntry, Distributor, InviteCode
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Cast, Person, files, filing_number, last_line

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]
FILE_ZHANG = "报备 P1 张三 13812345678 本地 {when}"


def without(number: int, reply: str) -> str:
    """The reply with the number the agent typed taken out (only where it stands alone)."""
    return re.sub(rf"(?<!\d){number}(?!\d)", "N", reply)


def file(agent: Person, when: str = "明天 15:00") -> int:
    return files(agent, FILE_ZHANG.format(when=when))


# ------------------------------------------------------------------ 1. R4 cancel and refile


def test_cancelling_and_filing_again_gives_back_the_first_end_date(
    travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    assert "已取消" in jia.text(f"取消 #{number}")
    again = jia.text(FILE_ZHANG.format(when="15:00"))
    assert "报备成功" in again and "保护至 2026-11-29" in again, again
    assert "2026-12-06" not in again
    assert filing_number(again) != number


def test_another_agent_of_the_cancelling_distributor_gets_no_more_time(
    cast: Cast, travel: Travel, jia: Person
) -> None:
    colleague = cast.agent(JIA, "钱同事")
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    jia.text(f"取消 #{number}")
    again = colleague.text(FILE_ZHANG.format(when="15:00"))
    assert "报备成功" in again and "保护至 2026-11-29" in again, again


def test_a_refiled_arrival_after_the_first_end_date_is_refused(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    jia.text(f"取消 #{number}")
    reply = jia.text(FILE_ZHANG.format(when="明天 15:00"))
    assert "报备失败" in reply and "保护至 2026-11-29" in reply, reply


def test_another_distributor_may_file_a_cancelled_client_for_its_own_seven_days(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    jia.text(f"取消 #{number}")
    reply = yi.text(FILE_ZHANG.format(when="15:00"))
    assert "报备成功" in reply and "保护至 2026-12-06" in reply, reply


def test_after_the_cancelled_protection_would_have_ended_the_filing_is_new(
    travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    jia.text(f"取消 #{number}")
    travel(at(11, 30, 9, 0))
    reply = jia.text(FILE_ZHANG.format(when="15:00"))
    assert "报备成功" in reply and "保护至 2026-12-07" in reply, reply


def test_cancelling_twice_and_refiling_still_never_extends(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 25, 9, 0))
    jia.text(f"取消 #{number}")
    second = file(jia, "15:00")
    travel(at(11, 28, 9, 0))
    jia.text(f"取消 #{second}")
    reply = jia.text(FILE_ZHANG.format(when="15:00"))
    assert "报备成功" in reply and "保护至 2026-11-29" in reply, reply


def test_the_refiling_ruling_is_logged_under_r4(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 29, 9, 0))
    jia.text(f"取消 #{number}")
    file(jia, "15:00")
    with engine.connect() as conn:
        last = conn.execute(
            select(DecisionLogEntry.rule, DecisionLogEntry.outcome, DecisionLogEntry.facts)
            .where(DecisionLogEntry.action == "file")
            .order_by(DecisionLogEntry.id.desc())
        ).first()
    assert last is not None
    assert (last.rule, last.outcome) == ("R4", "accepted")
    assert last.facts["cancelled_until"].startswith("2026-11-29T23:59:59")


# ------------------------------------------------------------------ 2. an agent changes company


def rebind(cli: Callable[..., Any], agent: Person, distributor: str, name: str = "王小明") -> str:
    code = last_line(cli("distributor", "invite", distributor).output)
    return agent.text(f"绑定 {code} {name}")


def test_an_agent_who_changes_company_no_longer_sees_or_acts_on_old_filings(
    cli: Callable[..., Any], travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    travel(at(11, 23, 9, 0))
    assert YI in rebind(cli, jia, YI)
    listing = jia.text("查询")
    assert f"#{number}" not in listing and "张三" not in listing
    gone = number + 1000
    for command in ("带看 #{n} 15:00", "取消 #{n}", "改约 #{n} 11-25 10:00"):
        old = jia.text(command.format(n=number))
        missing = jia.text(command.format(n=gone))
        assert without(number, old) == without(gone, missing), (old, missing)
        assert "张三" not in old and "138" not in old


def test_the_client_stays_with_the_old_company_until_its_protection_ends(
    cli: Callable[..., Any], travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    file(jia)
    travel(at(11, 23, 9, 0))
    rebind(cli, jia, YI)
    for agent in (jia, yi):
        refused = agent.text(FILE_ZHANG.format(when="15:00"))
        assert "报备失败" in refused and "其他渠道" in refused, refused
        assert "保护至 2026-11-29" in refused
    travel(at(11, 30, 9, 0))
    assert "保护至 2026-12-07" in jia.text(FILE_ZHANG.format(when="15:00"))


def test_a_departed_agent_cannot_cancel_to_free_the_client_for_the_new_company(
    cli: Callable[..., Any], travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    rebind(cli, jia, YI)
    assert "取消失败" in jia.text(f"取消 #{number}")
    assert "其他渠道" in jia.text(FILE_ZHANG.format(when="15:00"))


def test_the_rebinding_is_in_the_decision_log(
    cli: Callable[..., Any], travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 23, 9, 0))
    rebind(cli, jia, YI, "王小明")
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Distributor.name, Distributor.id)).all())
        entry = conn.execute(
            select(DecisionLogEntry).where(DecisionLogEntry.action == "rebind")
        ).one()
    assert entry.rule == "R12" and entry.subject.startswith("agent:")
    assert entry.facts["from_distributor_id"] == ids[JIA]
    assert entry.facts["to_distributor_id"] == ids[YI]
    assert (entry.facts["from"], entry.facts["to"]) == (JIA, YI)
    assert entry.at == at(11, 23, 9, 0)
    assert "原分销商" in entry.explanation


def test_rebinding_to_the_same_company_is_no_rebinding(
    cli: Callable[..., Any], travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    number = file(jia)
    assert "绑定成功" in rebind(cli, jia, JIA, "王晓明")
    assert f"#{number}" in jia.text("查询")
    with engine.connect() as conn:
        rebinds = conn.scalar(
            select(func.count())
            .select_from(DecisionLogEntry)
            .where(DecisionLogEntry.action == "rebind")
        )
    assert rebinds == 0


# ------------------------------------------------------------------ 2. agent or staff, not both


def test_an_agent_cannot_also_bind_as_staff(
    cast: Cast, cli: Callable[..., Any], jia: Person, wechat: WeChatSimulator, engine: Engine
) -> None:
    code = last_line(cli("staff", "invite", "P1", "frontdesk").output)
    reply = jia.text(f"绑定 {code} 王小明")
    assert "绑定失败" in reply and "您已绑定为分销商经纪人，不能再绑定为案场人员" in reply
    with engine.connect() as conn:
        assert conn.scalar(select(InviteCode.used_at).where(InviteCode.code == code)) is None
        refusal = conn.execute(
            select(DecisionLogEntry).where(DecisionLogEntry.action == "bind_refused")
        ).one()
    assert refusal.rule == "R12"
    assert "绑定成功" in (wechat.say("o_someone_else", f"绑定 {code} 李前台").text or "")


def test_staff_cannot_also_bind_as_an_agent(cast: Cast, cli: Callable[..., Any]) -> None:
    staff = cast.staff("P1", "manager", "周经理")
    reply = rebind(cli, staff, JIA, "周经理")
    assert "绑定失败" in reply and "您已绑定为案场人员，不能再绑定为分销商经纪人" in reply


# ------------------------------------------------------------------ 3. enumeration


@pytest.mark.parametrize(
    "command",
    [
        "带看 #{n} 15:00",
        "带看 #{n}",
        "改约 #{n} 11-25 10:00",
        "到访报备 #{n}",
        "取消 #{n}",
        "查询 #{n}",
        "到访 #{n} 13812345678",
    ],
)
def test_another_agents_number_and_a_missing_number_get_the_same_reply(
    travel: Travel, jia: Person, yi: Person, command: str
) -> None:
    travel(at(11, 22, 10, 0))
    theirs = filing_number(yi.text("报备 P1 钱七 13698761234 本地 明天 15:00"))
    missing = theirs + 100
    travel(at(11, 23, 9, 0))
    other = jia.text(command.format(n=theirs))
    absent = jia.text(command.format(n=missing))
    assert without(theirs, other) == without(missing, absent), (other, absent)
    assert "钱七" not in other and "136" not in other


def test_probing_numbers_is_in_the_decision_log(
    travel: Travel, jia: Person, yi: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    theirs = file(yi)
    jia.text(f"取消 #{theirs}")
    jia.text(f"取消 #{theirs + 100}")
    with engine.connect() as conn:
        subjects = conn.scalars(
            select(DecisionLogEntry.subject)
            .where(DecisionLogEntry.action == "cancel", DecisionLogEntry.outcome == "not_yours")
            .order_by(DecisionLogEntry.id)
        ).all()
    assert subjects == [f"filing:{theirs}", f"filing:{theirs + 100}"]
