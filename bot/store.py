"""Short-lived shared state: retry dedup, remembered replies, rate limits.

A message is first claimed for a short time (PENDING, ``app.claim_ttl_seconds``): long
enough for the worker to answer, short enough that a retry can take the message over if
that worker died. Its reply is then kept for ``app.dedup_ttl_seconds``, so every later
retry is answered the same way.

Redis when ``redis.url`` is set (shared by every web process), else an in-process store
(one web process only; the app logs a warning when it serves). The webhook asks for a
message's claim and the sender's count in one round trip (a pipeline), because this runs
for every message. If Redis stops answering, ``RedisStore`` raises ``StoreUnavailable`` and
``bot.fallback_store.FallbackStore`` turns to the database (``DatabaseStore``) instead:
answering matters more than speed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis
from redis.exceptions import RedisError

from models.settings import RedisSettings


class StoreUnavailable(Exception):
    """Redis did not answer; callers fall back, they never fail the message for it."""


@dataclass(frozen=True)
class Admission:
    first: bool  # this request claimed the message: process it
    count: int  # the sender's messages in the current window (0 when limits are off)


class Store(Protocol):
    def admit(self, msg_key: str, ttl: int, sender_key: str | None, window: int) -> Admission: ...
    def reclaim(self, msg_key: str, ttl: int) -> bool: ...
    def count(self, sender_key: str, window: int) -> int: ...
    def remember(self, msg_key: str, reply: str, ttl: int) -> None: ...
    def recall(self, msg_key: str) -> str | None: ...
    def release(self, msg_key: str) -> None: ...


PENDING = "\x00pending"


class RedisStore:
    """Keys: ``{prefix}:msg:{key}`` holds PENDING, then the reply; ``{prefix}:rate:{who}``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _msg(self, key: str) -> str:
        return f"{self.prefix}:msg:{key}"

    def admit(self, msg_key: str, ttl: int, sender_key: str | None, window: int) -> Admission:
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self._msg(msg_key), PENDING, nx=True, ex=ttl)
            if sender_key and window:
                rate = f"{self.prefix}:rate:{sender_key}:{int(time.time()) // window}"
                pipe.incr(rate)
                pipe.expire(rate, window * 2)
            results = pipe.execute()
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error
        return Admission(bool(results[0]), int(results[1]) if len(results) > 1 else 0)

    def count(self, sender_key: str, window: int) -> int:
        """The sender's messages in the current window, this one included (rate limit)."""
        rate = f"{self.prefix}:rate:{sender_key}:{int(time.time()) // window}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(rate)
            pipe.expire(rate, window * 2)
            return int(pipe.execute()[0])
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error

    def reclaim(self, msg_key: str, ttl: int) -> bool:
        """Take over a message whose claim lapsed: the worker processing it died."""
        try:
            return bool(self.client.set(self._msg(msg_key), PENDING, nx=True, ex=ttl))
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error

    def remember(self, msg_key: str, reply: str, ttl: int) -> None:
        try:
            self.client.set(self._msg(msg_key), reply, ex=ttl)
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error

    def recall(self, msg_key: str) -> str | None:
        try:
            value = self.client.get(self._msg(msg_key))
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error
        if value is None:
            return None
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return None if text == PENDING else text

    def release(self, msg_key: str) -> None:
        try:
            self.client.delete(self._msg(msg_key))
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error


class MemoryStore:
    """The same contract inside one process, for the embedded single-process default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[str, float]] = {}
        self._counts: dict[str, tuple[int, float]] = {}

    def _expire(self, now: float) -> None:
        if len(self._values) > 10000:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}

    def admit(self, msg_key: str, ttl: int, sender_key: str | None, window: int) -> Admission:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            current = self._values.get(msg_key)
            first = current is None or current[1] <= now
            if first:
                self._values[msg_key] = (PENDING, now + ttl)
            count = 0
            if sender_key and window:
                bucket = f"{sender_key}:{int(time.time()) // window}"
                count = self._counts.get(bucket, (0, 0.0))[0] + 1
                self._counts[bucket] = (count, now + window * 2)
            return Admission(first, count)

    def count(self, sender_key: str, window: int) -> int:
        now = time.monotonic()
        with self._lock:
            bucket = f"{sender_key}:{int(time.time()) // window}"
            count = self._counts.get(bucket, (0, 0.0))[0] + 1
            self._counts[bucket] = (count, now + window * 2)
            return count

    def reclaim(self, msg_key: str, ttl: int) -> bool:
        now = time.monotonic()
        with self._lock:
            current = self._values.get(msg_key)
            if current is not None and current[1] > now:
                return False
            self._values[msg_key] = (PENDING, now + ttl)
            return True

    def remember(self, msg_key: str, reply: str, ttl: int) -> None:
        with self._lock:
            self._values[msg_key] = (reply, time.monotonic() + ttl)

    def recall(self, msg_key: str) -> str | None:
        with self._lock:
            value = self._values.get(msg_key)
        if value is None or value[1] <= time.monotonic() or value[0] == PENDING:
            return None
        return value[0]

    def release(self, msg_key: str) -> None:
        with self._lock:
            self._values.pop(msg_key, None)


def make_store(settings: RedisSettings) -> Store:
    """Redis when ``redis.url`` is set, else the in-process store."""
    if not settings.url:
        return MemoryStore()
    client = redis.Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.socket_timeout,
    )
    return RedisStore(client, settings.prefix)
