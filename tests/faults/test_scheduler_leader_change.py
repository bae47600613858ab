"""Two ``flask --app bot scheduler run`` processes: one leads, the other stands by; the
leader is SIGKILLed mid-drain, the standby takes over, and every due thing is still done
once: each end decided once, each push queued once and delivered once.

``run-once`` takes no leadership (tests/e2e/test_two_scheduler_processes.py races two of
them); ``run`` does (a PostgreSQL advisory lock on a connection of its own), so here the
race is across a leader change: the dead leader's claimed pushes come back when their lease
ends, and its jobs are run again by the new leader, which must add nothing.

The due work is set up in the past through the webhook (tests/due_today.py), plus a
backlog of template pushes so the leader is still draining when it is killed. Templates
carry the push id as ``client_msg_id``: the one send that may be in flight at the kill is
dropped by WeChat (the fake) if it comes again (docs/pushes.md).
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.fakeapi import FakeWeChatServer
from models import clock, outbox
from models import policy as rules
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.push_entities import PushKind, PushStatus
from tests.conftest import REDIS_URL
from tests.due_today import set_up_due_work
from tests.faults.support.processes import stop_process, tail, wait_until
from tests.faults.support.service import service_environment, slow_fake_wechat, start_scheduler
from tests.moments import TZ
from tests.recipients import bind_agents

pytestmark = pytest.mark.faults

PER_CASE = 3
BACKLOG = 250  # template pushes already queued: the leader is mid-drain when it dies
KILL_AFTER_SENT = 60
LEASE_SECONDS = 2
TAKEN = "scheduler leadership taken"
STANDING_BY = "another scheduler leads; standing by"


@pytest.fixture
def fake() -> Iterator[FakeWeChatServer]:
    with slow_fake_wechat() as server:
        yield server


def says(log: Path, line: str) -> bool:
    return log.exists() and line in log.read_text(encoding="utf-8", errors="replace")


def completed(log: Path, name: str) -> int:
    """How many runs of job ``name`` APScheduler finished in this log."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return sum(
        1
        for line in text.splitlines()
        if f'Job "{name} (trigger' in line and "executed successfully" in line
    )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_leader_killed_mid_run_is_replaced_and_nothing_is_done_twice(
    request: pytest.FixtureRequest,
    database_url: str,
    redis_prefix: str,
    engine: Engine,
    fake: FakeWeChatServer,
    tmp_path: Path,
) -> None:
    real_now = datetime.now(TZ)
    if rules.end_of_day(real_now.date(), TZ) - real_now < timedelta(minutes=1):
        pytest.skip("too close to midnight: the run would see another day than the set-up")
    today = real_now.date()
    due = set_up_due_work(request, engine, today, PER_CASE)
    now = clock.now(TZ)
    with engine.begin() as conn:
        bind_agents(conn, [f"o_backlog_{number}" for number in range(7)], now)
        for number in range(BACKLOG):
            outbox.enqueue(
                conn, kind=PushKind.FILING_LAPSE_REMINDER, subject=f"backlog:{number}",
                due_day=date(2026, 11, 28), openid=f"o_backlog_{number % 7}",
                text=f"第{number}条", fields={"status": f"第{number}条"},
                send_after=now - timedelta(minutes=1), now=now,
            )  # fmt: skip
    template = {"template_id": "TPL", "keywords": {"status": "thing1"}}
    env = service_environment(
        database_url,
        REDIS_URL,
        redis_prefix,
        BAOBEI_WECHAT__API_BASE_URL=fake.url,
        BAOBEI_APP__LOG_LEVEL="INFO",
        BAOBEI_SCHEDULER__MORNING_HOUR="0",  # today's pushes are due at any real hour
        BAOBEI_SCHEDULER__AUDIT_SEAL_SECONDS="1",  # every job each second
        BAOBEI_SCHEDULER__LEADER_POLL_SECONDS="0.2",
        BAOBEI_PUSHES__POLL_SECONDS="1",
        BAOBEI_PUSHES__SENDS_PER_SECOND="0",
        BAOBEI_PUSHES__LEASE_SECONDS=str(LEASE_SECONDS),
        BAOBEI_PUSHES__BATCH_SIZE="20",
        BAOBEI_PUSHES__TEMPLATES=json.dumps({kind.value: template for kind in PushKind}),
    )
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = [start_scheduler("run", env, logs[0])]
    try:
        wait_until(lambda: says(logs[0], TAKEN), 20, f"a leader\n{tail(logs[0])}")
        processes.append(start_scheduler("run", env, logs[1]))
        wait_until(lambda: says(logs[1], STANDING_BY), 20, f"a standby\n{tail(logs[1])}")
        wait_until(lambda: len(fake.state.sent) >= KILL_AFTER_SENT, 20, f"sends\n{tail(logs[0])}")
        processes[0].send_signal(signal.SIGKILL)  # mid-drain
        processes[0].wait(timeout=10)
        with fake.state.lock:
            sent_before = len(fake.state.sent)
        killed_at = time.monotonic()
        assert not says(logs[1], TAKEN), "two leaders at once"
        wait_until(lambda: says(logs[1], TAKEN), 15, f"the takeover\n{tail(logs[1])}")
        took_over = time.monotonic() - killed_at
        total = len(due.pushes) + BACKLOG

        def all_sent() -> bool:
            with engine.connect() as conn:
                rows = outbox.queued(conn)
            return len(rows) == total and all(r.status == PushStatus.SENT for r in rows)

        wait_until(all_sent, 30, f"every push sent\n{tail(logs[1])}")
        # the new leader's jobs have run again since; they add nothing
        jobs = ("end-protections", "remind-protections")
        marks = {name: completed(logs[1], name) for name in jobs}
        wait_until(
            lambda: all(completed(logs[1], name) > marks[name] for name in jobs),
            10,
            f"another round of jobs\n{tail(logs[1])}",
        )
        assert processes[1].poll() is None, tail(logs[1])  # the standby is alive, leading
    finally:
        for process in processes:
            stop_process(process)
    assert KILL_AFTER_SENT <= sent_before < total, "the kill came too late"
    assert "Traceback" not in logs[1].read_text(), tail(logs[1], 80)

    with engine.connect() as conn:
        rows = outbox.queued(conn)
    assert (
        sorted((r.subject, r.kind, r.due_day) for r in rows if not r.subject.startswith("backlog:"))
        == due.pushes
    )
    assert [r.status for r in rows] == [PushStatus.SENT] * total
    with fake.state.lock:
        delivered = Counter(entry["payload"]["client_msg_id"] for entry in fake.state.sent)
        dropped = fake.state.duplicates
    assert set(delivered) == {f"push-{row.id}" for row in rows}  # every push arrived
    assert max(delivered.values()) == 1  # and none twice
    assert dropped <= 1  # only a send in flight at the kill may go again; WeChat drops it
    with make_session_factory(engine)() as session:
        ends = session.scalars(
            select(DecisionLogEntry.subject).where(DecisionLogEntry.action == "protection_end")
        ).all()
    assert sorted(ends) == sorted(due.ended)  # each end decided once
    print(
        f"\nleader killed after {sent_before} of {total} sends; standby led "
        f"{took_over:.2f}s later; repeats dropped by WeChat: {dropped}"
    )
