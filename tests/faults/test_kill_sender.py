"""A push sender killed with SIGKILL mid-drain loses no push and sends none twice.

The sender (``flask --app bot scheduler run-once``, a process of its own) drains a few
hundred template pushes against the fake WeChat API, which takes a few milliseconds per
send as a real network would. It is SIGKILLed once WeChat has confirmed about a quarter of
them, and started again after its lease has run out. Every push must then be delivered,
and none that WeChat confirmed before the kill may reach the user again: the one send that
may have been in flight (accepted by WeChat, not yet committed as sent) goes again with
the same ``client_msg_id``, and WeChat drops it (docs/pushes.md).
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.fakeapi import FakeWeChatServer
from models import clock, outbox
from models.push_entities import PushKind, PushStatus
from tests.conftest import REDIS_URL
from tests.faults.support.postgres import database_engine
from tests.faults.support.processes import stop_process, tail, wait_until
from tests.faults.support.service import service_environment, slow_fake_wechat, start_scheduler
from tests.moments import TZ
from tests.recipients import bind_agents

pytestmark = pytest.mark.faults

PUSHES = 300
KILL_AFTER_CONFIRMED = 75
LEASE_SECONDS = 2
TEMPLATE = {"template_id": "TPL_LAPSE", "keywords": {"client": "thing1"}}


@pytest.fixture
def fake() -> Iterator[FakeWeChatServer]:
    with slow_fake_wechat() as server:
        yield server


def test_a_sender_killed_mid_drain_loses_nothing_and_repeats_nothing_confirmed(
    fresh_database_url: str, shared_redis_prefix: str, fake: FakeWeChatServer, tmp_path: Path
) -> None:
    now = clock.now(TZ)
    with database_engine(fresh_database_url) as engine, engine.begin() as conn:
        bind_agents(conn, [f"o_agent_{number}" for number in range(7)], now)
        for number in range(PUSHES):
            outbox.enqueue(
                conn,
                kind=PushKind.FILING_LAPSE_REMINDER,
                subject=f"filing:{number}",
                due_day=date(2026, 11, 28),
                openid=f"o_agent_{number % 7}",
                text=f"第{number}条",
                fields={"client": f"客户{number}"},
                send_after=now - timedelta(minutes=1),
                now=now,
            )
    env = service_environment(
        fresh_database_url,
        REDIS_URL,
        shared_redis_prefix,
        BAOBEI_WECHAT__API_BASE_URL=fake.url,
        BAOBEI_PUSHES__SENDS_PER_SECOND="0",
        BAOBEI_PUSHES__LEASE_SECONDS=str(LEASE_SECONDS),
        BAOBEI_PUSHES__BATCH_SIZE="20",
        BAOBEI_PUSHES__TEMPLATES=json.dumps({PushKind.FILING_LAPSE_REMINDER.value: TEMPLATE}),
    )
    log = tmp_path / "sender.log"

    sender = start_scheduler("run-once", env, log)
    try:
        wait_until(
            lambda: len(fake.state.sent) >= KILL_AFTER_CONFIRMED or sender.poll() is not None,
            30,
            f"the sender to get going\n{tail(log)}",
        )
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
    finally:
        stop_process(sender)
    with fake.state.lock:
        confirmed_before = {entry["payload"]["client_msg_id"] for entry in fake.state.sent}
    assert KILL_AFTER_CONFIRMED <= len(confirmed_before) < PUSHES, "the kill came too late"

    time.sleep(LEASE_SECONDS + 0.5)  # the dead sender's claims run out
    again = start_scheduler("run-once", env, log)
    try:
        assert again.wait(timeout=40) == 0, tail(log)
    finally:
        stop_process(again)

    with fake.state.lock:
        delivered = Counter(entry["payload"]["client_msg_id"] for entry in fake.state.sent)
        dropped = fake.state.duplicates
    with database_engine(fresh_database_url) as engine, engine.connect() as conn:
        rows = outbox.queued(conn)
    assert [row.status for row in rows] == [PushStatus.SENT] * PUSHES, tail(log)
    assert set(delivered) == {f"push-{row.id}" for row in rows}  # every push arrived
    assert max(delivered.values()) == 1  # and none twice
    assert dropped <= 1  # only a send in flight at the kill can go again; WeChat drops it
    print(
        f"\nkilled after {len(confirmed_before)} of {PUSHES}; repeats dropped by WeChat: {dropped}"
    )
