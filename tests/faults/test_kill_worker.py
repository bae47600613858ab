"""A gunicorn worker killed with SIGKILL under load loses no acknowledged filing.

WeChat only tells the agent what the webhook answered, so an answer ``报备成功 #N`` is a
promise: filing N exists and protects that client. A worker can die at any instant (OOM
killer, a crash in a C extension); its in-flight requests lose their replies, but the
database must hold exactly what was promised, once, and the master must replace the
worker so the service keeps answering.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from tests.conftest import REDIS_URL
from tests.faults.support.accounting import (
    assert_acknowledged_filings_kept_once,
    filings_of_message,
)
from tests.faults.support.cast import arrival_text, seed_cast
from tests.faults.support.load import FilingAttempt, UniqueClients, run_filing_load, send_filing
from tests.faults.support.postgres import database_engine
from tests.faults.support.processes import wait_until
from tests.faults.support.service import Gunicorn, service_environment

pytestmark = pytest.mark.faults

SENDERS = 8
LOAD_SECONDS = 5.0
KILL_AFTER_SECONDS = 1.5


def test_a_worker_killed_under_load_loses_no_acknowledged_filing_and_is_replaced(
    fresh_database_url: str,
    shared_redis_prefix: str,
    start_service: Callable[..., Gunicorn],
) -> None:
    """Eight senders file unique clients; a worker is SIGKILLed 1.5 s into the load."""
    service = start_service(
        "kill", service_environment(fresh_database_url, REDIS_URL, shared_redis_prefix)
    )
    cast = seed_cast(fresh_database_url, service, distributors=2, agents_per_distributor=10)
    workers_before = service.worker_pids()
    killed: list[int] = []

    def kill_one_worker_mid_load() -> None:
        time.sleep(KILL_AFTER_SECONDS)
        victim = workers_before[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Thread(target=kill_one_worker_mid_load, daemon=True)
    killer.start()
    clients = UniqueClients()
    attempts = run_filing_load([service], cast.agent_openids, SENDERS, LOAD_SECONDS, clients)
    killer.join(timeout=10)
    log = f"\n{service.log_tail()}"
    assert killed, "the worker was not killed" + log

    wait_until(
        lambda: len(workers := service.worker_pids()) == 2 and killed[0] not in workers,
        15,
        "gunicorn to replace the killed worker" + log,
    )
    with database_engine(fresh_database_url) as engine:
        accounting = assert_acknowledged_filings_kept_once(engine, attempts, log)
    unexpected = [a for a in attempts if not a.acknowledged and not a.reply_lost]
    assert not unexpected, f"unique clients must be filed, got: {unexpected[:3]}{log}"
    assert accounting.acknowledged > 20, f"too little load to mean anything: {accounting}"

    name, phone = clients.next()
    after = send_filing(service.wechat(), cast.agent_openids[0], name, phone, arrival_text())
    assert after.acknowledged, f"service does not file after the kill: {after}{log}"
    print(f"\nkill worker {killed[0]}: {accounting}")


WECHAT_TIMEOUT_SECONDS = 5.0


def test_wechats_retry_of_a_message_whose_worker_died_before_writing_is_processed(
    fresh_database_url: str,
    shared_redis_prefix: str,
    start_service: Callable[..., Gunicorn],
) -> None:
    """The worker is held inside the request (a table lock the test takes), then killed.

    Its reply is lost and nothing was written, so WeChat's retry of the same MsgId is the
    only way the agent's filing can still happen: the retry must be processed.
    """
    service = start_service(
        "kill-mid-request",
        service_environment(fresh_database_url, REDIS_URL, shared_redis_prefix),
        workers=1,
    )
    cast = seed_cast(fresh_database_url, service, distributors=1, agents_per_distributor=1)
    agent, wechat, arrival = cast.agent_openids[0], service.wechat(), arrival_text()
    msg_id = wechat.next_msg_id()
    first: list[FilingAttempt] = []
    sent_at = time.monotonic()
    with database_engine(fresh_database_url) as engine:
        with engine.connect() as holder, holder.begin():
            holder.execute(text("LOCK TABLE agents IN ACCESS EXCLUSIVE MODE"))
            sender = threading.Thread(
                target=lambda: first.append(
                    send_filing(wechat, agent, "客户甲", "13900000001", arrival, msg_id)
                ),
                daemon=True,
            )
            sender.start()
            wait_until(lambda: requests_waiting_on_a_lock(engine) > 0, 10, "the blocked filing")
            (worker,) = service.worker_pids()
            os.kill(worker, signal.SIGKILL)
            sender.join(timeout=10)
        assert first and first[0].reply_lost, f"{first}\n{service.log_tail()}"
        wait_until(
            lambda: len(pids := service.worker_pids()) == 1 and worker not in pids,
            15,
            "a new worker",
        )
        # WeChat retries only after waiting 5 s for an answer that never came
        time.sleep(max(0.0, sent_at + WECHAT_TIMEOUT_SECONDS - time.monotonic()))
        retry = send_filing(service.wechat(), agent, "客户甲", "13900000001", arrival, msg_id)
        written = filings_of_message(engine, msg_id)
    assert retry.acknowledged and written == 1, (
        f"WeChat's retry was answered with {retry.text!r}; {written} filing(s) written"
    )


def requests_waiting_on_a_lock(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )
