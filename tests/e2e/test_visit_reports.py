"""带看: an agent reports the day's visit (R5's visit report, R2 counted from the filing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models.entities import DecisionLogEntry, Filing, VisitReport
from tests.moments import at
from tests.people import Person, files

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]


def reports(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(VisitReport)) or 0


def test_a_visit_report_is_accepted_and_says_what_to_do(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    travel(at(11, 23, 9, 0))
    reply = jia.text(f"带看 #{number} 15:00")
    assert "到访报备成功" in reply and f"#{number}" in reply
    assert "2026-11-23 15:00" in reply and "前台" in reply
    assert "138****5678" in reply and "1234" not in reply
    with engine.connect() as conn:
        moved = conn.scalar(select(Filing.expected_arrival_at).where(Filing.id == number))
    assert moved == at(11, 23, 15, 0)
    assert reports(engine) == 1


def test_a_visit_report_without_a_time_means_now(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    travel(at(11, 23, 14, 20))
    reply = jia.text(f"带看 #{number}")
    assert "到访报备成功" in reply and "2026-11-23 14:20" in reply


def test_a_report_breaking_the_notice_counted_from_the_filing_is_refused(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 14, 10))
    number = files(jia, "报备 P1 张三 13812345678 本地 16:00")
    reply = jia.text(f"带看 #{number} 14:30")
    assert "到访报备失败" in reply and "最早可到访时间 2026-11-22 15:10" in reply
    assert reports(engine) == 0
    assert "到访报备成功" in jia.text(f"带看 #{number} 15:10")


@pytest.mark.parametrize(("visit", "accepted"), [("11-22 15:00", False), ("11-22 16:00", True)])
def test_an_out_of_town_visit_needs_24_hours_from_the_filing(
    travel: Travel, jia: Person, visit: str, accepted: bool
) -> None:
    travel(at(11, 21, 16, 0))
    number = files(jia, "报备 P1 李四 139****8888 异地 11-23 10:00")
    reply = jia.text(f"带看 #{number} {visit}")
    assert ("到访报备成功" in reply) is accepted, reply


def test_a_visit_may_be_moved_days_ahead_within_the_protection(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    reply = jia.text(f"改约 #{number} 11月27日下午3点")
    assert "到访报备成功" in reply and "2026-11-27 15:00" in reply
    listing = jia.text("查询")
    assert "已带看 2026-11-27 15:00" in listing


def test_a_visit_after_the_filing_protection_is_refused(travel: Travel, jia: Person) -> None:
    travel(at(11, 30, 10, 0))
    number = files(jia, "报备 P1 张三 13812345678 本地 12-01 10:00")
    assert "到访报备成功" in jia.text(f"带看 #{number} 12-07 23:00")  # last day: valid
    reply = jia.text(f"带看 #{number} 12-08 09:00")  # month end crossed, protection over
    assert "到访报备失败" in reply and "2026-12-07" in reply


def test_a_visit_just_after_midnight_counts_the_real_hour(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 23, 30))
    number = files(jia, "报备 P1 张三 13812345678 本地 明天 10:00")
    assert "到访报备失败" in jia.text(f"带看 #{number} 明天 00:20")
    assert "到访报备成功" in jia.text(f"带看 #{number} 明天 00:30")


def test_a_visit_time_already_past_is_refused(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    travel(at(11, 23, 16, 0))
    reply = jia.text(f"带看 #{number} 15:00")
    assert "到访报备失败" in reply and "已过" in reply


def test_another_agents_filing_cannot_be_reported_and_is_not_revealed(
    travel: Travel, jia: Person, yi: Person
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    reply = yi.text(f"带看 #{number} 明天 15:00")
    assert "到访报备失败" in reply and "您名下没有这条报备" in reply
    assert "张三" not in reply and "138" not in reply


def test_a_lapsed_filing_must_be_filed_again(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    travel(at(11, 30, 9, 0))
    reply = jia.text(f"带看 #{number} 15:00")
    assert "到访报备失败" in reply and "请重新报备" in reply


@pytest.mark.parametrize("how", ["refused", "cancelled"])
def test_a_refused_or_cancelled_filing_must_be_filed_again(
    travel: Travel, jia: Person, how: str
) -> None:
    travel(at(11, 22, 14, 10))
    if how == "refused":
        reply = jia.text("报备 P1 张三 13812345678 本地 15:00")
        assert "报备失败" in reply
        number = jia.text("查询").split("#")[1].split()[0]
    else:
        number = str(files(jia))
        jia.text(f"取消 #{number}")
    reply = jia.text(f"带看 #{number} 明天 15:00")
    assert "到访报备失败" in reply and "请重新报备" in reply


def test_a_visit_can_name_the_client_or_the_masked_phone(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    by_name = jia.text("带看 张三 明天 15:00")
    by_phone = jia.text("带看 138****5678 明天 16:00")
    assert "到访报备成功" in by_name and f"#{number}" in by_name
    assert "到访报备成功" in by_phone and "2026-11-23 16:00" in by_phone


def test_an_ambiguous_name_lists_the_filings_to_choose_from(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    first = files(jia, "报备 P1 张三 13812345678 本地 明天 15:00")
    second = files(jia, "报备 P1 张三 13912340000 本地 明天 16:00")
    reply = jia.text("带看 张三 明天 15:00")
    assert f"#{first}" in reply and f"#{second}" in reply and "编号" in reply
    assert "到访报备成功" not in reply
    assert reports(engine) == 0


def test_an_unknown_filing_number_is_answered(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    assert "您名下没有这条报备" in jia.text("带看 #999 15:00")  # as another's (issue 15.8)


def test_a_retried_visit_report_is_processed_once(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    first = jia.say(f"带看 #{number} 明天 15:00", msg_id=660001)
    again = jia.say(f"带看 #{number} 明天 15:00", msg_id=660001)
    assert first.text and "到访报备成功" in first.text and again.text == first.text
    assert reports(engine) == 1


def test_an_agent_sending_the_staff_arrival_command_is_told_staff_register(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    number = files(jia)
    reply = jia.text(f"到访 #{number} 13812345678")
    assert "前台" in reply and "带看" in reply
    assert "1234" not in reply
    with engine.connect() as conn:
        status = conn.scalar(select(Filing.status).where(Filing.id == number))
    assert status == "filed" and reports(engine) == 0


def test_the_case_site_lists_the_days_reported_visits(
    travel: Travel, jia: Person, cli: Callable[..., Any]
) -> None:
    travel(at(11, 22, 10, 0))
    moved = files(jia)
    stays = files(jia, "报备 P1 李四 13912345678 异地 11-24 10:00")
    jia.text(f"带看 #{moved} 11-24 09:30")
    travel(at(11, 24, 8, 0))
    result = cli("visits", "today", "P1")
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith(("09", "10"))]
    assert lines[0].startswith("09:30") and f"#{moved}" in lines[0]
    assert lines[1].startswith("10:00") and f"#{stays}" in lines[1]
    assert "1234" not in result.output


def test_every_visit_report_decision_is_logged_with_its_rule(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 14, 10))
    number = files(jia, "报备 P1 张三 13812345678 本地 16:00")
    jia.text(f"带看 #{number} 14:30")
    jia.text(f"带看 #{number} 15:30")
    with engine.connect() as conn:
        rows = conn.execute(
            select(DecisionLogEntry.rule, DecisionLogEntry.outcome, DecisionLogEntry.policy)
            .where(DecisionLogEntry.action == "visit_report")
            .order_by(DecisionLogEntry.id)
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("R2", "notice_too_short"), ("R5", "accepted")]
    assert rows[0][2]["local_notice_minutes"] == 60
