"""Dedup and rate limits: the same contract in Redis and in process."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from bot.store import MemoryStore, RedisStore, Store, StoreUnavailable
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "memory"])
def store(request: pytest.FixtureRequest, redis_prefix: str) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisStore(client, redis_prefix)
    client.close()


def test_a_message_is_admitted_once_and_its_reply_recalled(store: Store) -> None:
    assert store.admit("m1", 60, "o_a", 60).first
    assert not store.admit("m1", 60, "o_a", 60).first
    assert store.recall("m1") is None  # still being processed
    store.remember("m1", "报备成功 #1", 60)
    assert store.recall("m1") == "报备成功 #1"


def test_counts_messages_per_sender_in_the_window(store: Store) -> None:
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
