"""After PostgreSQL restarts, the service files again without being restarted itself.

A restart (a failover, a minor-version upgrade, ``pg_ctl restart``) cuts every pooled
connection. The service must notice on first use, reconnect, and retry the message once
on a fresh connection, so at most the first request after the restart may fail (ideally
none); and the single-statement write must never leave a filing without its decision
log entry, which is what settles a commission dispute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import REDIS_URL
from tests.faults.support.accounting import (
    assert_acknowledged_filings_kept_once,
    filings_without_a_decision,
)
from tests.faults.support.cast import arrival_text, seed_cast
from tests.faults.support.load import FilingAttempt, UniqueClients, run_filing_load, send_filing
from tests.faults.support.postgres import PrivatePostgres, database_engine, fresh_database
from tests.faults.support.processes import tail
from tests.faults.support.service import Gunicorn, service_environment

pytestmark = pytest.mark.faults

FILINGS_AFTER_RESTART = 8  # enough to reach both workers, each with a stale pool


@pytest.fixture
def database_on_the_private_server(postgres_server: PrivatePostgres) -> Iterator[str]:
    """Created before and dropped after the service, so the service stops first."""
    with fresh_database(postgres_server.server_url) as url:
        yield url


def test_after_a_postgres_restart_filings_succeed_without_restarting_the_service(
    postgres_server: PrivatePostgres,
    database_on_the_private_server: str,
    shared_redis_prefix: str,
    start_service: Callable[..., Gunicorn],
) -> None:
    url = database_on_the_private_server
    service = start_service("pg-restart", service_environment(url, REDIS_URL, shared_redis_prefix))
    cast = seed_cast(url, service, distributors=1, agents_per_distributor=2)
    wechat = service.wechat()
    clients, arrival = UniqueClients(), arrival_text()

    def log() -> str:
        return f"\n{service.log_tail()}\n{tail(postgres_server.log_path, 20)}"

    def file_new_client(turn: int) -> FilingAttempt:
        name, phone = clients.next()
        agent = cast.agent_openids[turn % len(cast.agent_openids)]
        return send_filing(wechat, agent, name, phone, arrival)

    before = [file_new_client(turn) for turn in range(4)]  # the workers' pools are warm
    assert all(attempt.acknowledged for attempt in before), f"{before}{log()}"

    postgres_server.restart()

    after = [file_new_client(turn) for turn in range(FILINGS_AFTER_RESTART)]
    failed = [(turn, attempt) for turn, attempt in enumerate(after) if not attempt.acknowledged]
    reconnects = service.log_path.read_text().count("database connection lost")
    print(f"\nafter the restart: {len(failed)} of {len(after)} failed; {reconnects} retries")
    assert all(turn == 0 for turn, _ in failed), (
        f"only the first request after a restart may fail: {failed}{log()}"
    )

    with database_engine(url) as engine:
        assert_acknowledged_filings_kept_once(engine, before + after, log())
        assert filings_without_a_decision(engine) == []


def test_filings_in_flight_during_a_postgres_restart_are_written_whole_or_not_at_all(
    postgres_server: PrivatePostgres,
    database_on_the_private_server: str,
    shared_redis_prefix: str,
    start_service: Callable[..., Gunicorn],
) -> None:
    url = database_on_the_private_server
    service = start_service(
        "pg-restart-load", service_environment(url, REDIS_URL, shared_redis_prefix)
    )
    cast = seed_cast(url, service, distributors=2, agents_per_distributor=4)

    restarted: list[float] = []

    def restart_mid_load() -> None:
        time.sleep(1.0)
        started = time.monotonic()
        postgres_server.restart()
        restarted.append(time.monotonic() - started)

    restarter = threading.Thread(target=restart_mid_load, daemon=True)
    restarter.start()
    attempts = run_filing_load([service], cast.agent_openids, 4, 4.0)
    restarter.join(timeout=40)
    log = f"\n{service.log_tail()}"
    assert restarted, "the restart did not finish" + log

    with database_engine(url) as engine:
        accounting = assert_acknowledged_filings_kept_once(engine, attempts, log)
        assert filings_without_a_decision(engine) == []
    replies: dict[str, int] = {}
    for attempt in attempts:
        if not attempt.acknowledged:
            key = attempt.text or attempt.error or str(attempt.status)
            replies[key] = replies.get(key, 0) + 1
    print(f"\nrestart took {restarted[0]:.1f}s under load: {accounting}; not filed: {replies}")
    last = attempts[-8:]
    assert all(attempt.acknowledged for attempt in last), f"not recovered: {last}{log}"

    # 系统繁忙 promises "not processed, send again": WeChat's resend of the same MsgId
    # (or the agent's) must now be filed, once.
    wechat = service.wechat()
    busy = [a for a in attempts if not a.acknowledged and not a.reply_lost]
    resent = [
        send_filing(wechat, a.openid, a.client_name, a.phone, a.arrival, a.msg_id) for a in busy
    ]
    assert all(attempt.acknowledged for attempt in resent), f"resend refused: {resent}{log}"
    with database_engine(url) as engine:
        assert_acknowledged_filings_kept_once(engine, [*attempts, *resent], log)
