"""R4's and R8's reminders and ends, from filings sent through the webhook to the pushes
rows the scheduler queues (``flask --app bot scheduler run-once``), travelling in time.

The sender (``scheduler/outbox.py``) delivers the rows; here we assert what is queued, on
which day, for whom, and that it is queued once: again the same day, after a missed day,
or by two schedulers at the same moment against real PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models import outbox, protections
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.push_entities import Protection, PushKind, PushStatus
from models.services import Services
from scheduler.runner import run_once
from tests.conftest import Rig
from tests.e2e.conftest import YI
from tests.moments import TZ, at, end_of
from tests.people import Cast, Person, files, filing_number, last_line

pytestmark = pytest.mark.e2e
Travel = Callable[[datetime], None]
ZHANG = "报备 P1 张三 13812345678 本地 明天 15:00"


def run(cli: Callable[..., Any], moment: datetime, travel: Travel) -> str:
    travel(moment)
    result = cli("scheduler", "run-once")
    assert result.exit_code == 0, result.output
    return str(result.output)


def pushes(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return outbox.queued(conn)


def file_zhang(travel: Travel, agent: Person) -> int:
    travel(at(11, 22, 10, 0))
    return files(agent, ZHANG)


def visit(engine: Engine, filing_no: int, arrived_at: datetime) -> Protection:
    """The visit protection a manager's ``通过`` starts (``models/approvals.py``), without
    the approval's own push: these tests count R4's and R8's pushes only."""
    with make_session_factory(engine).begin() as session:
        return protections.start_visit(
            session,
            filing_id=filing_no,
            started_by="arrival:1",
            arrived_at=arrived_at,
            now=arrived_at,
            tz=TZ,
        )


def decisions(engine: Engine, action: str) -> list[DecisionLogEntry]:
    with make_session_factory(engine)() as session:
        query = select(DecisionLogEntry).where(DecisionLogEntry.action == action)
        return list(session.scalars(query.order_by(DecisionLogEntry.id)))


def test_a_filing_writes_its_protection_row(travel: Travel, jia: Person, engine: Engine) -> None:
    number = file_zhang(travel, jia)
    with make_session_factory(engine)() as session:
        (row,) = session.scalars(select(Protection)).all()
    assert (row.kind, row.filing_id, row.started_by) == ("filing", number, f"filing:{number}")
    assert (row.starts_at, row.lock_at, row.ends_at) == (
        at(11, 22, 10),
        at(11, 22, 10),
        end_of(11, 29),
    )
    assert row.ended_reason is None


def test_r4_reminds_on_11_28_and_tells_the_lapse_on_11_30_exactly_once(
    travel: Travel, jia: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    number = file_zhang(travel, jia)
    run(cli, at(11, 27, 23, 0), travel)
    assert pushes(engine) == []
    run(cli, at(11, 28, 0, 5), travel)
    run(cli, at(11, 28, 15, 0), travel)  # again the same day: nothing new
    run(cli, at(11, 29, 12, 0), travel)
    (reminder,) = pushes(engine)
    assert (reminder.kind, reminder.due_day, reminder.openid) == (
        PushKind.FILING_LAPSE_REMINDER,
        date(2026, 11, 28),
        jia.openid,
    )
    assert reminder.send_after == at(11, 28, 9)
    # the sender of the same run-once delivered it, not before its morning hour
    assert reminder.status == PushStatus.SENT and reminder.sent_at >= at(11, 28, 9)
    assert f"#{number}" in reminder.text and "2026-11-29" in reminder.text
    assert "13812345678" not in reminder.text and "138****5678" in reminder.text

    run(cli, at(11, 30, 0, 1), travel)
    run(cli, at(11, 30, 10, 0), travel)
    run(cli, at(12, 1, 10, 0), travel)
    _, lapse = pushes(engine)
    assert (lapse.kind, lapse.due_day, lapse.send_after) == (
        PushKind.FILING_LAPSED,
        date(2026, 11, 30),
        at(11, 30, 9),
    )
    assert "报备已失效" in lapse.text and lapse.fields["status"] == "报备已失效"
    (decision,) = decisions(engine, "protection_end")
    assert (decision.rule, decision.outcome) == ("R4", "lapsed")
    assert decision.policy is not None and decision.policy["filing_reminder_days"] == 1


def test_a_missed_day_is_caught_up_once_and_an_ended_protection_is_not_reminded(
    travel: Travel, jia: Person, yi: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    file_zhang(travel, jia)
    assert "报备成功" in yi.text("报备 P1 李四 13912345678 本地 明天 15:00")
    run(cli, at(11, 29, 10, 30), travel)  # the scheduler was down on 11-28
    run(cli, at(11, 29, 11, 0), travel)
    assert [(p.kind, p.due_day, p.send_after) for p in pushes(engine)] == [
        (PushKind.FILING_LAPSE_REMINDER, date(2026, 11, 28), at(11, 29, 10, 30)),
        (PushKind.FILING_LAPSE_REMINDER, date(2026, 11, 28), at(11, 29, 10, 30)),
    ]
    run(cli, at(12, 2, 10, 0), travel)  # down again over the end: the lapse is told late
    assert [p.kind for p in pushes(engine)][2:] == [PushKind.FILING_LAPSED] * 2


def test_a_filing_never_reminded_before_its_end_gets_only_its_lapse_notice(
    travel: Travel, jia: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    file_zhang(travel, jia)
    run(cli, at(11, 30, 8, 0), travel)
    assert [p.kind for p in pushes(engine)] == [PushKind.FILING_LAPSED]


def test_a_cancelled_filing_drops_its_waiting_reminder_and_never_lapses(
    travel: Travel, jia: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    number = file_zhang(travel, jia)
    run(cli, at(11, 28, 0, 5), travel)
    travel(at(11, 28, 8, 0))
    assert "取消" in jia.text(f"取消 #{number}")
    run(cli, at(11, 30, 10, 0), travel)
    (reminder,) = pushes(engine)
    assert reminder.status == PushStatus.DROPPED
    with make_session_factory(engine)() as session:
        assert session.scalars(select(Protection.ended_reason)).all() == ["cancelled"]


def test_an_agent_who_bound_elsewhere_is_not_pushed(
    travel: Travel, jia: Person, cast: Cast, cli: Callable[..., Any], engine: Engine
) -> None:
    file_zhang(travel, jia)
    code = last_line(cli("distributor", "invite", YI).output)
    assert "绑定成功" in jia.text(f"绑定 {code} 王小明")
    run(cli, at(11, 28, 10, 0), travel)
    run(cli, at(11, 30, 10, 0), travel)
    assert pushes(engine) == []
    (decision,) = decisions(engine, "protection_end")  # the lapse is still decided
    assert decision.facts["agent_told"] is False


def test_r8_reminds_on_12_29_and_01_04_then_the_client_is_public(
    travel: Travel, jia: Person, yi: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    number = file_zhang(travel, jia)
    visit(engine, number, at(11, 22, 14, 0))  # visited 11-22 -> protected until 01-05
    run(cli, at(11, 28, 10, 0), travel)  # the filing's own protection was superseded
    run(cli, at(11, 30, 10, 0), travel)
    run(cli, at(12, 28, 10, 0), travel)
    assert pushes(engine) == []
    for moment in (
        at(12, 29, 0, 5),
        at(12, 29, 18),
        at(1, 4, 7, year=2027),
        at(1, 5, 9, year=2027),
    ):
        run(cli, moment, travel)
    first, last = pushes(engine)
    assert (first.kind, first.due_day, last.due_day) == (
        PushKind.VISIT_END_REMINDER,
        date(2026, 12, 29),
        date(2027, 1, 4),
    )
    assert "续期窗口 2026-12-30 起开放" in first.text and "2027-01-05" in first.text
    assert first.fields["status"] == "到访保护7天后到期"
    assert last.fields["status"] == "到访保护明天到期"

    run(cli, at(1, 6, 0, 10, year=2027), travel)
    run(cli, at(1, 6, 12, year=2027), travel)
    *_, ended = pushes(engine)
    assert (ended.kind, ended.due_day, ended.openid) == (
        PushKind.VISIT_ENDED,
        date(2027, 1, 6),
        jia.openid,
    )
    assert "公客" in ended.text and len(pushes(engine)) == 3
    (decision,) = decisions(engine, "protection_end")
    assert (decision.rule, decision.outcome) == ("R8", "public")
    assert decision.policy is not None and decision.policy["visit_reminder_days"] == 7
    travel(at(1, 6, 12, 30, year=2027))
    reply = yi.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "已是案场公客" in reply, reply


def test_with_expired_refile_on_the_expired_client_may_be_filed_again(
    travel: Travel, jia: Person, yi: Person, cli: Callable[..., Any], engine: Engine
) -> None:
    number = file_zhang(travel, jia)
    visit(engine, number, at(11, 22, 14, 0))
    assert cli("project", "set", "P1", "--set", "expired_refile=true").exit_code == 0
    run(cli, at(1, 6, 9, year=2027), travel)
    (decision,) = decisions(engine, "protection_end")
    assert (decision.rule, decision.outcome) == ("R8", "expired")
    reply = yi.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "报备成功" in reply, reply


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_schedulers_at_the_same_moment_queue_each_push_once(
    travel: Travel, custom_app: Callable[..., Rig], jia: Person, yi: Person, engine: Engine
) -> None:
    numbers = [file_zhang(travel, jia)]
    travel(at(11, 22, 10, 5))
    numbers.append(filing_number(yi.text("报备 P1 李四 13912345678 本地 明天 15:00")))
    visit(engine, numbers[1], at(11, 22, 14, 0))
    services = [custom_app().app.extensions["baobei"]["services"] for _ in range(2)]

    def both_at(moment: datetime) -> None:
        travel(moment)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def one(svc: Services) -> None:
            try:
                barrier.wait()
                run_once(svc)
            except BaseException as error:  # noqa: BLE001 (reported to the test below)
                errors.append(error)

        threads = [threading.Thread(target=one, args=(svc,)) for svc in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

    for moment in (
        at(11, 28, 9),
        at(11, 30, 9),
        at(12, 29, 9),
        at(1, 4, 9, year=2027),
        at(1, 6, 9, year=2027),
    ):
        both_at(moment)
    kinds = sorted((p.kind, p.due_day) for p in pushes(engine))
    assert kinds == sorted(
        [
            (PushKind.FILING_LAPSE_REMINDER, date(2026, 11, 28)),
            (PushKind.FILING_LAPSED, date(2026, 11, 30)),
            (PushKind.VISIT_END_REMINDER, date(2026, 12, 29)),
            (PushKind.VISIT_END_REMINDER, date(2027, 1, 4)),
            (PushKind.VISIT_ENDED, date(2027, 1, 6)),
        ]
    )
    assert len(decisions(engine, "protection_end")) == 2  # each end decided once
