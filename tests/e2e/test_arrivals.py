"""Arrivals registered at the desk through the webhook (issue 17: R2 at arrival, R3, R4, R5).

Every worked example of R2 at arrival in docs/rules.md, a lapsed filing, a client the site
knew, a mask mismatch, a late registration, a walk-in then a refused filing, a pending
arrival holding its client past the filing's end (the scheduler's R4 job runs), and each
wrong role. The full number typed by the desk never comes back in a reply or the log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models.arrival_entities import Arrival, ArrivalStatus
from models.entities import Client, DecisionLogEntry, Filing
from models.push_entities import Protection
from tests.moments import at
from tests.people import Cast, Person, files

pytestmark = pytest.mark.e2e
Travel = Callable[[datetime], None]
PHONE = "13812345678"


def file(travel: Travel, agent: Person, moment: datetime, text: str) -> int:
    travel(moment)
    return files(agent, text)


def arrivals(engine: Engine) -> list[Arrival]:
    with engine.connect() as conn:
        return list(conn.execute(select(Arrival).order_by(Arrival.id)).all())


def arrive(desk: Person, travel: Travel, moment: datetime, text: str) -> str:
    travel(moment)
    reply = desk.text(text)
    assert PHONE[3:7] not in reply, reply  # the middle four never come back
    return reply


def no_full_phone_logged(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(select(DecisionLogEntry.explanation, DecisionLogEntry.facts)).all()
    assert all(PHONE not in f"{row.explanation}{row.facts}" for row in rows)


# ---------------------------------------------------------------- R2 at arrival


@pytest.mark.parametrize(
    ("filed", "remote", "arrives", "verdict", "gap"),
    [
        (at(11, 22, 14, 10), "本地", at(11, 22, 15, 0), "自然到访", "提前50分钟"),
        (at(11, 22, 14, 0), "本地", at(11, 22, 15, 0), "有效", "提前1小时"),
        (at(11, 21, 16, 0), "异地", at(11, 22, 15, 0), "自然到访", "提前23小时"),
        (at(11, 21, 16, 0), "异地", at(11, 22, 16, 0), "有效", "提前24小时"),
    ],
)
def test_r2_is_checked_again_against_the_actual_arrival(
    travel: Travel,
    jia: Person,
    desk: Person,
    engine: Engine,
    filed: datetime,
    remote: str,
    arrives: datetime,
    verdict: str,
    gap: str,
) -> None:
    number = file(travel, jia, filed, f"报备 P1 张三 {PHONE} {remote} 11-22 17:00")

    reply = arrive(desk, travel, arrives, f"到访 #{number} {PHONE}")

    assert f"到访登记成功 #{number}" in reply and "张三 138****5678" in reply
    assert f"建议判定：{verdict}" in reply and gap in reply, reply
    assert "待案场经理审核" in reply
    (arrival,) = arrivals(engine)
    assert arrival.status == ArrivalStatus.PENDING
    assert arrival.proposed == ("valid" if verdict == "有效" else "natural")
    assert arrival.proposed_rule == ("R5" if verdict == "有效" else "R2")
    assert arrival.full_phone == PHONE and arrival.arrived_at == arrives
    no_full_phone_logged(engine)


def test_the_desk_corrects_out_of_town_to_local_and_r2_uses_the_corrected_type(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 14, 0), f"报备 P1 张三 {PHONE} 异地 11-23 16:00")

    reply = arrive(desk, travel, at(11, 22, 15, 0), f"到访 #{number} {PHONE} 本地 顾问 李娜")

    assert "张三 138****5678（本地，前台更正）" in reply
    assert "建议判定：有效" in reply and "置业顾问：李娜" in reply
    assert "提示：经纪人当天未发送带看报备" in reply  # expected 11-23, came 11-22
    (arrival,) = arrivals(engine)
    assert not arrival.remote and arrival.remote_corrected and arrival.consultant == "李娜"
    assert not arrival.reported


def test_a_reported_visit_is_not_flagged_and_an_expected_one_on_the_day_counts_as_reported(
    travel: Travel, jia: Person, desk: Person
) -> None:
    expected = file(travel, jia, at(11, 22, 9, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")
    other = file(travel, jia, at(11, 22, 9, 1), "报备 P1 李四 13900001111 本地 11-24 15:00")
    travel(at(11, 22, 12, 0))
    assert "到访报备成功" in jia.text(f"带看 #{other} 14:00")

    assert "未发送带看" not in arrive(desk, travel, at(11, 22, 15, 0), f"到访 #{expected} {PHONE}")
    assert "未发送带看" not in desk.text(f"到访 #{other} 13900001111")


# ---------------------------------------------------------------- R4, R3 at arrival


def test_an_arrival_after_the_filing_lapsed_is_a_natural_visit_at_once(
    travel: Travel, jia: Person, yi: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 明天 15:00")

    reply = arrive(desk, travel, at(11, 30, 10, 0), f"到访 #{number} {PHONE}")

    assert "判定：自然到访" in reply and "报备已失效" in reply and "2026-11-29" in reply
    (arrival,) = arrivals(engine)
    assert arrival.status == ArrivalStatus.NATURAL and arrival.proposed_rule == "R4"
    assert "已有自然到访记录" in yi.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")


def test_a_client_the_site_knew_by_the_full_number_is_a_natural_visit(
    travel: Travel, jia: Person, desk: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    travel(at(11, 22, 9, 0))
    assert cli("client", "add-known", "P1", "李四", PHONE, "--source", "import").exit_code == 0
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")

    reply = arrive(desk, travel, at(11, 22, 15, 0), f"到访 #{number} {PHONE}")

    assert "判定：自然到访" in reply and "销售系统内已有来电来访记录" in reply
    (arrival,) = arrivals(engine)
    assert arrival.status == ArrivalStatus.NATURAL and arrival.proposed_rule == "R3"


def test_a_number_that_does_not_match_the_filed_mask_is_refused_and_nothing_is_stored(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")

    reply = arrive(desk, travel, at(11, 22, 15, 0), f"到访 #{number} 13812349999")

    assert "到访登记失败" in reply and "手机号与报备不符" in reply and "138****5678" in reply
    assert "9999" not in reply
    assert arrivals(engine) == []


# ---------------------------------------------------------------- the arrival time


def test_a_late_registration_is_ruled_at_the_typed_time_and_keeps_both_times(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 14, 0), f"报备 P1 张三 {PHONE} 本地 11-22 17:00")

    reply = arrive(desk, travel, at(11, 22, 15, 40), f"到访 #{number} {PHONE} 14:50")

    assert "到访时间：2026-11-22 14:50（补登）" in reply
    assert "建议判定：自然到访" in reply and "提前50分钟" in reply
    (arrival,) = arrivals(engine)
    assert arrival.arrived_at == at(11, 22, 14, 50)
    assert arrival.registered_at == at(11, 22, 15, 40) and arrival.late_registration


def test_a_typed_time_in_the_future_or_beyond_the_late_limit_is_refused(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 9, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")
    travel(at(11, 23, 15, 0))

    assert "不能登记未来的到访" in desk.text(f"到访 #{number} {PHONE} 15:01")
    assert "最多追溯24小时" in desk.text(f"到访 #{number} {PHONE} 11-22 14:59")
    assert arrivals(engine) == []


# ---------------------------------------------------------------- a pending arrival holds


def test_a_pending_arrival_holds_the_client_past_the_filing_end(
    travel: Travel,
    jia: Person,
    yi: Person,
    desk: Person,
    engine: Engine,
    cli: Callable[..., Any],
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-23 15:00")
    assert "建议判定：有效" in arrive(desk, travel, at(11, 23, 15, 0), f"到访 #{number} {PHONE}")

    travel(at(11, 30, 9, 30))  # the filing protection ended 11-29; nobody has ruled yet
    assert cli("scheduler", "run-once").exit_code == 0

    with engine.connect() as conn:
        lapses = conn.scalar(
            select(func.count())
            .select_from(DecisionLogEntry)
            .where(
                DecisionLogEntry.action == "protection_end", DecisionLogEntry.outcome == "lapsed"
            )
        )
        filing = conn.execute(select(Filing).where(Filing.id == number)).one()
        row = conn.execute(select(Protection).where(Protection.filing_id == number)).one()
    assert lapses == 0 and filing.status == "arrived" and row.ended_reason == "superseded"
    assert "已到访，待案场确认" in jia.text("查询")
    assert "已失效" not in jia.text("查询")
    refused = yi.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "报备失败" in refused and "已由其他渠道报备，已到访登记，待案场确认" in refused
    assert "待案场确认" in jia.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "客户已到访，报备不能取消" in jia.text(f"取消 #{number}")


def test_the_same_filing_registered_twice_says_by_whom_and_when(
    travel: Travel, jia: Person, desk: Person, cast: Cast, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")
    arrive(desk, travel, at(11, 22, 15, 0), f"到访 #{number} {PHONE}")
    manager = cast.staff("P1", "manager", "周经理")

    reply = arrive(manager, travel, at(11, 22, 15, 5), f"到访 #{number} {PHONE}")

    assert "已于 2026-11-22 15:00 由李前台登记到访" in reply and "待经理审核" in reply
    assert len(arrivals(engine)) == 1


def test_the_desk_without_the_number_finds_the_filing_by_name_and_mask(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张 三 {PHONE} 本地 11-22 15:00")

    reply = arrive(desk, travel, at(11, 22, 15, 0), f"到访 P1 张三 {PHONE}")

    assert f"到访登记成功 #{number}" in reply and "建议判定：有效" in reply
    assert arrivals(engine)[0].filing_id == number


# ---------------------------------------------------------------- walk-ins (R3)


def test_a_walk_in_is_a_natural_visit_and_a_later_filing_of_the_client_is_refused(
    travel: Travel, jia: Person, desk: Person, engine: Engine
) -> None:
    reply = arrive(desk, travel, at(11, 22, 15, 0), f"到访 P1 孙七 {PHONE}")

    assert "到访登记成功（无匹配报备）" in reply and "判定：自然到访" in reply
    (arrival,) = arrivals(engine)
    assert arrival.filing_id is None and arrival.status == ArrivalStatus.NATURAL
    with engine.connect() as conn:
        client = conn.execute(select(Client).where(Client.id == arrival.client_id)).one()
    assert client.state == "known" and client.known_source == "natural_visit"

    travel(at(11, 22, 16, 0))
    refused = jia.text(f"报备 P1 孙七 {PHONE} 本地 明天 15:00")
    assert "报备失败" in refused and "已有自然到访记录" in refused
    no_full_phone_logged(engine)


# ---------------------------------------------------------------- who may register


def test_staff_of_another_project_get_the_answer_of_a_number_that_does_not_exist(
    travel: Travel, jia: Person, cast: Cast, engine: Engine
) -> None:
    cast.project("P2", "云顶")
    other = cast.staff("P2", "frontdesk", "钱前台")
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")
    travel(at(11, 22, 15, 0))

    theirs = other.text(f"到访 #{number} {PHONE}")
    none = other.text(f"到访 #{number + 100} {PHONE}")

    assert theirs.replace(f"#{number}", "#N") == none.replace(f"#{number + 100}", "#N")
    assert "没有找到该报备" in theirs
    assert "您不是该项目的案场人员" in other.text(f"到访 P1 张三 {PHONE}")
    assert arrivals(engine) == []


def test_agents_and_strangers_are_refused_and_nothing_is_stored(
    travel: Travel, jia: Person, wechat: Any, engine: Engine
) -> None:
    number = file(travel, jia, at(11, 22, 10, 0), f"报备 P1 张三 {PHONE} 本地 11-22 15:00")
    travel(at(11, 22, 15, 0))

    assert "前台" in jia.text(f"到访 #{number} {PHONE}")
    assert "前台" in jia.text(f"到访 P1 张三 {PHONE}")
    stranger = Person("o_stranger", wechat)
    assert stranger.text(f"到访 #{number} {PHONE}") == "该指令仅限已绑定的案场人员使用。"
    assert arrivals(engine) == []
