"""A filing's round trips, counted where they land: a change that adds one fails here.

The filing is the hot path (docs/benchmarks.md): after the rework it costs two SQL
statements (the joined read, the CTE write) and no Redis command, because filings
deduplicate in the database. The rate limit, when on, adds its counter: one pipelined
INCR + EXPIRE (``bot/store.py``). Statements are counted by a ``before_cursor_execute``
listener on the app's engine; Redis commands by what reaches the real server (MONITOR),
kept to the app's own connections by the client name its Redis URL gives them. The
message goes through the webhook signed and encrypted as WeChat sends it; one filing
first warms the pool, the prepared statements and the Redis connection, as in a running
service.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, event

from tests.conftest import REDIS_URL, Rig
from tests.people import Person, agent_of

pytestmark = pytest.mark.integration

FILED = "报备成功"


def filing(n: int) -> str:
    return f"报备 P1 客户{'甲乙丙丁'[n]} 138****{1000 + n} 本地 明天 15:00"


@dataclass
class Seen:
    """What one block sent: SQL statements, and Redis commands as MONITOR saw them."""

    sql: list[str] = field(default_factory=list)
    redis: list[list[str]] = field(default_factory=list)


def app_engine(rig: Rig) -> Engine:
    """The engine the app's services hold (one place to change if the door moves)."""
    return rig.engine


@contextmanager
def counting(engine: Engine, client_name: str) -> Iterator[Seen]:
    """Every statement through ``engine`` and every command from the app's Redis
    connections (those named ``client_name``) inside the block."""
    seen = Seen()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.sql.append(" ".join(statement.split())[:80])

    admin = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    ours = {c["addr"] for c in admin.client_list() if c.get("name") == client_name}
    assert ours, "the app has no Redis connection yet: warm it up first"
    sentinel = f"round-trips-end-{uuid.uuid4().hex}"
    event.listen(engine, "before_cursor_execute", on_execute)
    with admin.monitor() as monitor:
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        # Redis feeds MONITOR in the order it runs commands: once the sentinel arrives,
        # everything the app sent before it (it was answered already) has been seen.
        admin.echo(sentinel)
        while True:
            command = monitor.next_command()
            if sentinel in command["command"]:
                break
            address = f"{command['client_address']}:{command['client_port']}"
            if address in ours:
                seen.redis.append(command["command"].split())
    admin.close()


@pytest.fixture
def rig_with(custom_app: Callable[..., Rig]) -> Callable[[int], tuple[Rig, Person, str]]:
    """An app whose rate limit is ``per_minute`` (0 = off), its agent, its Redis name."""

    def build(per_minute: int) -> tuple[Rig, Person, str]:
        name = f"baobei-rt-{uuid.uuid4().hex[:10]}"
        rig = custom_app(
            app={"rate_limit_per_minute": per_minute},
            redis={"url": f"{REDIS_URL}?client_name={name}"},
        )
        agent = agent_of(rig)
        assert FILED in agent.text(filing(0))  # warm: pool, prepared statements, Redis
        return rig, agent, name

    return build


@pytest.mark.parametrize("backend", ["postgresql"])  # the production database
def test_a_filing_costs_two_sql_statements_and_no_redis_command(
    rig_with: Callable[[int], tuple[Rig, Person, str]],
) -> None:
    rig, agent, name = rig_with(0)
    with counting(app_engine(rig), name) as seen:
        reply = agent.text(filing(1))
    assert FILED in reply
    assert len(seen.sql) == 2, seen.sql
    assert seen.sql[0].startswith("SELECT") and seen.sql[1].startswith("WITH"), seen.sql
    assert seen.redis == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_with_the_rate_limit_on_a_filing_adds_only_the_rate_counter(
    rig_with: Callable[[int], tuple[Rig, Person, str]],
) -> None:
    rig, agent, name = rig_with(30)
    with counting(app_engine(rig), name) as seen:
        reply = agent.text(filing(1))
    assert FILED in reply
    assert len(seen.sql) == 2, seen.sql
    # redis-py sends INCR as INCRBY key 1; both commands go in one pipelined round trip
    assert [command[0].upper() for command in seen.redis] == ["INCRBY", "EXPIRE"], seen.redis
    assert len({command[1] for command in seen.redis}) == 1, seen.redis
    assert f":rate:{agent.openid}:" in seen.redis[0][1], seen.redis
