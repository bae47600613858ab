"""Fresh state before each repetition of the webhook benchmark, and what a run wrote.

The filing database is dropped and rebuilt through the project's own migrations and
account functions (not raw SQL), so the benchmark files against the same schema, indexes
and policy a deployment has: one project P1, 50 distributors, 1,000 agents bound with
invite codes, as ``flask --app bot`` commands would leave them.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, LiteralString

import psycopg
import redis
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.common import ADMIN_DSN, REDIS_URL, TZ, dsn, letters, recreate_database, sa_url
from bench.loadgen import AGENTS, sender
from models import accounts, binding, migrate
from models.policy import Policy

# BENCH_DB names another database, so two checkouts on one machine do not drop each other's
BENCH_DB = os.environ.get("BENCH_DB", "baobei_bench")
FLOOR_DB = f"{BENCH_DB}_floor"
BENCH_URL, FLOOR_DSN = sa_url(BENCH_DB), dsn(FLOOR_DB)
DISTRIBUTORS = 50


def seed_filing_db() -> None:
    """Migrate, then P1, 50 distributors and 1,000 agents (20 each) bound by invite."""
    recreate_database(BENCH_DB)
    migrate.upgrade(BENCH_URL)
    engine = create_engine(BENCH_URL)
    now = datetime.now(TZ)
    try:
        with Session(engine) as session, session.begin():
            accounts.add_project(session, "P1", "基准一号", {}, Policy().as_dict(), now)
            codes: list[str] = []
            for d in range(DISTRIBUTORS):
                name = f"基准分销{letters(d)}"
                codes.append(accounts.add_distributor(session, name, now)[1])
                per = AGENTS // DISTRIBUTORS - 1
                codes += [accounts.agent_invite(session, name, now) for _ in range(per)]
            for index, code in enumerate(codes):
                binding.bind(session, sender(index), code, f"经纪{letters(index)}", now)
    finally:
        engine.dispose()


def reset_all() -> None:
    """Everything a repetition starts from: both databases and an empty Redis db 14.

    The floor's table has MsgId as primary key, so each message is stored at most once.
    """
    seed_filing_db()
    recreate_database(FLOOR_DB)
    with psycopg.connect(FLOOR_DSN, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE inbound (msg_id bigint PRIMARY KEY, openid text NOT NULL,"
            " content text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
        )
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def _rows(database: str, query: LiteralString, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn(database)) as conn:
        return conn.execute(query, params).fetchall()


def max_filing_id() -> int:
    return int(_rows(BENCH_DB, "SELECT coalesce(max(id), 0) FROM filings")[0][0])


def count_filed() -> int:
    return int(_rows(BENCH_DB, "SELECT count(*) FROM filings WHERE status = 'filed'")[0][0])


def filed_names_since(filing_id: int) -> list[str]:
    """Client names of the ``filed`` filings with a larger id: what a run has written."""
    query = "SELECT client_name FROM filings WHERE status = 'filed' AND id > %s"
    return [str(row[0]) for row in _rows(BENCH_DB, query, filing_id)]


def floor_msg_ids(low: int, high: int) -> list[int]:
    """MsgIds stored by the floor in ``[low, high)``: what a run has written."""
    query = "SELECT msg_id FROM inbound WHERE msg_id >= %s AND msg_id < %s"
    return [int(row[0]) for row in _rows(FLOOR_DB, query, low, high)]


def backend_pids() -> list[int]:
    """PostgreSQL backends connected to the benchmark's databases (not this query's own)."""
    query = "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()"
    with psycopg.connect(ADMIN_DSN) as conn:
        return [int(r[0]) for r in conn.execute(query, ([BENCH_DB, FLOOR_DB],)).fetchall()]


def redis_pid() -> int | None:
    """The pid of the Redis the service uses (others may run their own redis-server)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None
    finally:
        client.close()
