"""(b) Durable floor: the echo plus one row per message committed to PostgreSQL first.

This is the least a webhook that must not lose a message can do: one INSERT, its own
transaction (autocommit, so a single round trip and a WAL flush), before the reply. psycopg 3
directly, no ORM and no pool: one connection per worker thread, opened on first use and
kept. ``msg_id`` is the primary key, so a replayed MsgId would fail loudly (500), never
be stored twice. The orchestrator creates the table (``bench.seed.reset_floor``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import psycopg

from bench.apps.echo import make_app

DSN = os.environ.get("BENCH_FLOOR_DSN", "postgresql://postgres@127.0.0.1:5432/baobei_bench_floor")
INSERT = "INSERT INTO inbound (msg_id, openid, content) VALUES (%s, %s, %s)"

_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    """This thread's connection; reopened only if the previous one broke."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(DSN, autocommit=True)
        _local.conn = conn
    return conn


def keep(message: Any) -> None:
    conn = _connection()
    try:
        conn.execute(INSERT, (int(message.id), message.source, message.content))
    except psycopg.OperationalError:
        conn.close()  # the next message reconnects; this one answers 500 (WeChat retries)
        raise


app = make_app(keep)
