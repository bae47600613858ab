"""Dedup and rate limits: the same contract in Redis, in process and in the database."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import Engine, create_engine, text

from bot.fallback_store import DatabaseStore, FallbackStore
from bot.store import MemoryStore, RedisStore, Store, StoreUnavailable
from tests.conftest import REDIS_URL, Rig
from tests.moments import TZ

pytestmark = pytest.mark.integration

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens: every call is refused at once


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """The run's PostgreSQL database; the dedup rows a test left are removed after it."""
    engine = create_engine(pg_database)
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM inbound_messages"))
    engine.dispose()


def unreachable_redis(prefix: str) -> RedisStore:
    return RedisStore(redis.Redis.from_url(NOWHERE, socket_connect_timeout=0.2), prefix)


@contextmanager
def fast_store(kind: str, prefix: str) -> Iterator[Store]:
    """The stores that also count senders: Redis, or the in-process one."""
    if kind == "memory":
        yield MemoryStore()
        return
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisStore(client, prefix)
    client.close()


@pytest.fixture(params=["redis", "memory"])
def counting_store(request: pytest.FixtureRequest, redis_prefix: str) -> Iterator[Store]:
    with fast_store(request.param, redis_prefix) as store:
        yield store


@pytest.fixture(params=["redis", "memory", "database", "redis down"])
def store(request: pytest.FixtureRequest, redis_prefix: str) -> Iterator[Store]:
    """Every store dedup may run on; "redis down" is Redis refusing, the database answering."""
    if request.param in ("redis", "memory"):
        with fast_store(request.param, redis_prefix) as store:
            yield store
        return
    database = DatabaseStore(request.getfixturevalue("pg_engine"), TZ)
    yield (
        database
        if request.param == "database"
        else FallbackStore(unreachable_redis(redis_prefix), database)
    )


def test_a_message_is_admitted_once_and_its_reply_recalled(store: Store) -> None:
    assert store.admit("m1", 60, "o_a", 60).first
    assert not store.admit("m1", 60, "o_a", 60).first
    assert store.recall("m1") is None  # still being processed
    store.remember("m1", "报备成功 #1", 60)
    assert store.recall("m1") == "报备成功 #1"


def test_counts_messages_per_sender_in_the_window(counting_store: Store) -> None:
    store = counting_store
    counts = [store.admit(f"m{i}", 60, "o_a", 60).count for i in range(3)]
    assert counts == [1, 2, 3]
    assert store.admit("other", 60, "o_b", 60).count == 1
    assert store.admit("off", 60, "o_a", 0).count == 0  # limits off: not counted


def test_released_messages_may_be_processed_again(store: Store) -> None:
    assert store.admit("m9", 60, None, 0).first
    store.release("m9")
    assert store.admit("m9", 60, None, 0).first


def test_concurrent_claims_admit_exactly_one(store: Store) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        results.append(store.admit("same", 60, None, 0).first)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_an_unreachable_redis_raises_store_unavailable() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    with pytest.raises(StoreUnavailable):
        RedisStore(client, "x").admit("m", 60, None, 0)


def test_a_claim_that_lapsed_is_taken_over_once(store: Store) -> None:
    """The worker holding the claim died; after claim_ttl one retry may process it."""
    assert store.admit("m7", 1, None, 0).first
    assert not store.reclaim("m7", 1)  # still held
    time.sleep(1.1)
    assert store.reclaim("m7", 1)
    assert not store.reclaim("m7", 1)  # the taker holds it now


def test_with_redis_refusing_claims_and_replies_are_kept_in_the_database(
    pg_engine: Engine, redis_prefix: str
) -> None:
    live = RedisStore(redis.Redis.from_url(REDIS_URL), redis_prefix)
    up = FallbackStore(live, DatabaseStore(pg_engine, TZ))
    down = FallbackStore(unreachable_redis(redis_prefix), DatabaseStore(pg_engine, TZ))

    assert up.admit("m-up", 60, None, 0).first
    assert down.admit("m-down", 60, None, 0).first
    down.remember("m-down", "帮助", 60)

    assert claims_in_database(pg_engine) == {"m-down"}
    assert down.recall("m-down") == "帮助"
    assert not down.admit("m-down", 60, None, 0).first  # a retry is not processed again


def test_the_database_store_counts_no_one_so_limits_are_off_while_redis_is_down(
    pg_engine: Engine, redis_prefix: str
) -> None:
    down = FallbackStore(unreachable_redis(redis_prefix), DatabaseStore(pg_engine, TZ))
    assert [down.admit(f"m{i}", 60, "o_a", 60).count for i in range(3)] == [0, 0, 0]
    assert down.count("o_a", 60) == 0


def claims_in_database(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT key FROM inbound_messages")))


def test_the_single_process_warning_comes_when_the_app_serves_not_on_cli_commands(
    custom_app: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = custom_app(redis={"url": ""})
    with caplog.at_level(logging.WARNING, logger="bot"):
        assert rig.cli("project", "list").exit_code == 0
        assert "redis.url is empty" not in caplog.text
        rig.app.test_client().get("/healthz")
        rig.app.test_client().get("/healthz")
    assert caplog.text.count("redis.url is empty") == 1
