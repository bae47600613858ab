"""Fresh state before each repetition: the filing database, the floor table, Redis db 14.

The filing database is dropped and rebuilt through the project's own migrations and
account functions (not raw SQL), so the benchmark files against the same schema, indexes
and policy a deployment has: one project P1, 50 distributors, 1,000 agents bound with
invite codes, as ``flask --app bot`` commands would leave them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import redis
from psycopg import sql
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.loadgen import AGENTS, agent_openid, letters
from models import accounts, migrate
from models.entities import Filing
from models.policy import Policy

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "baobei_bench"
FLOOR_DB = "baobei_bench_floor"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_URL = f"{PG_BASE}/{BENCH_DB}"
FLOOR_DSN = f"postgresql://postgres@127.0.0.1:5432/{FLOOR_DB}"
REDIS_URL = "redis://127.0.0.1:6379/14"
DISTRIBUTORS = 50
TZ = ZoneInfo("Asia/Shanghai")


def recreate_database(name: str) -> None:
    """DROP ... WITH (FORCE) then CREATE: no state from a previous repetition survives."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed_filing_db(url: str = BENCH_URL) -> None:
    """Migrate, then P1, 50 distributors and 1,000 agents (20 each) bound by invite."""
    recreate_database(url.rsplit("/", 1)[1])
    migrate.upgrade(url)
    engine = create_engine(url)
    now = datetime.now(TZ)
    try:
        with Session(engine) as session, session.begin():
            accounts.add_project(session, "P1", "基准一号", {}, Policy().as_dict(), now)
            codes: list[str] = []
            per = AGENTS // DISTRIBUTORS
            for d in range(DISTRIBUTORS):
                name = f"基准分销{letters(d)}"
                _distributor, code = accounts.add_distributor(session, name, now)
                codes.append(code)
                codes += [accounts.agent_invite(session, name, now) for _ in range(per - 1)]
            for index, code in enumerate(codes):
                accounts.bind(session, agent_openid(index), code, f"经纪{letters(index)}", now)
    finally:
        engine.dispose()


def reset_floor_db() -> None:
    """The floor's table: MsgId as primary key, so each message is stored at most once."""
    recreate_database(FLOOR_DB)
    with psycopg.connect(FLOOR_DSN, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE inbound (msg_id bigint PRIMARY KEY, openid text NOT NULL,"
            " content text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
        )


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty db 14 only: dedup keys from an earlier repetition must not answer for this one."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def max_filing_id() -> int:
    with psycopg.connect(f"{ADMIN_DSN.rsplit('/', 1)[0]}/{BENCH_DB}") as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM filings").fetchone()
        return int(row[0]) if row else 0


def filed_names_since(filing_id: int) -> list[str]:
    """Client names of the ``filed`` filings with a larger id: what a run has written."""
    with psycopg.connect(f"{ADMIN_DSN.rsplit('/', 1)[0]}/{BENCH_DB}") as conn:
        rows = conn.execute(
            "SELECT client_name FROM filings WHERE status = 'filed' AND id > %s", (filing_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]


def floor_msg_ids(low: int, high: int) -> list[int]:
    """MsgIds stored by the floor in ``[low, high)``: what a run has written."""
    with psycopg.connect(FLOOR_DSN) as conn:
        rows = conn.execute(
            "SELECT msg_id FROM inbound WHERE msg_id >= %s AND msg_id < %s", (low, high)
        ).fetchall()
        return [int(r[0]) for r in rows]


def count_filed(url: str = BENCH_URL) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count()).select_from(Filing).where(Filing.status == "filed")
                )
                or 0
            )
    finally:
        engine.dispose()


def count_floor_rows() -> int:
    with psycopg.connect(FLOOR_DSN) as conn:
        row = conn.execute("SELECT count(*) FROM inbound").fetchone()
        return int(row[0]) if row else 0


def backend_pids(databases: tuple[str, ...] = (BENCH_DB, FLOOR_DB)) -> list[int]:
    """PostgreSQL backends connected to the benchmark's databases (not this query's own)."""
    with psycopg.connect(ADMIN_DSN) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (list(databases),),
        ).fetchall()
        return [int(r[0]) for r in rows]


def redis_pid(url: str = REDIS_URL) -> int | None:
    """The pid of the Redis the service uses (others may run their own redis-server)."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None
    finally:
        client.close()


def reset_all() -> None:
    """Everything a repetition starts from."""
    seed_filing_db()
    reset_floor_db()
    flush_redis()
