"""When Redis is down: the database as a store, and the store that turns to it.

``FallbackStore(primary, fallback)`` asks the primary (Redis) and, only when that raises
``StoreUnavailable``, the fallback (``DatabaseStore``). Each call decides on its own, so
the dedup above needs no flag saying where a message's claim lives: the database holds rows
only for messages claimed while Redis was down, so asking it about any other message finds
nothing, which is the answer a Redis that cannot be reached would have given too.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.store import Admission, Store, StoreUnavailable
from models import clock, message_log

logger = logging.getLogger(__name__)


class DatabaseStore:
    """``models.message_log`` as a ``Store``: a primary-key insert claims a message.

    It counts nothing (rate limits are off while Redis is down: answering matters more),
    and keeps replies until the scheduler's ``purge-dedup`` job, not for a ``ttl``.
    """

    def __init__(self, engine: Engine, tz: ZoneInfo) -> None:
        self.engine = engine
        self.tz = tz

    def admit(self, msg_key: str, ttl: int, sender_key: str | None, window: int) -> Admission:
        return Admission(message_log.claim(self.engine, msg_key, clock.now(self.tz)), 0)

    def reclaim(self, msg_key: str, ttl: int) -> bool:
        return message_log.reclaim(self.engine, msg_key, clock.now(self.tz), ttl)

    def count(self, sender_key: str, window: int) -> int:
        return 0

    def remember(self, msg_key: str, reply: str, ttl: int) -> None:
        message_log.remember(self.engine, msg_key, reply)

    def recall(self, msg_key: str) -> str | None:
        return message_log.recall(self.engine, msg_key)

    def release(self, msg_key: str) -> None:
        message_log.release(self.engine, msg_key)


class FallbackStore:
    """The primary store while it answers; the fallback for each call it does not."""

    def __init__(self, primary: Store, fallback: Store) -> None:
        self.primary = primary
        self.fallback = fallback

    def admit(self, msg_key: str, ttl: int, sender_key: str | None, window: int) -> Admission:
        try:
            return self.primary.admit(msg_key, ttl, sender_key, window)
        except StoreUnavailable:
            logger.warning("store unavailable, dedup falls back to the database msg=%s", msg_key)
            return self.fallback.admit(msg_key, ttl, sender_key, window)

    def reclaim(self, msg_key: str, ttl: int) -> bool:
        try:
            return self.primary.reclaim(msg_key, ttl)
        except StoreUnavailable:
            return self.fallback.reclaim(msg_key, ttl)

    def count(self, sender_key: str, window: int) -> int:
        try:
            return self.primary.count(sender_key, window)
        except StoreUnavailable:
            logger.warning("store unavailable, rate limit skipped for %s", sender_key)
            return self.fallback.count(sender_key, window)

    def remember(self, msg_key: str, reply: str, ttl: int) -> None:
        try:
            self.primary.remember(msg_key, reply, ttl)
        except StoreUnavailable:
            self.fallback.remember(msg_key, reply, ttl)

    def recall(self, msg_key: str) -> str | None:
        try:
            return self.primary.recall(msg_key)
        except StoreUnavailable:
            return self.fallback.recall(msg_key)

    def release(self, msg_key: str) -> None:
        try:
            self.primary.release(msg_key)
        except StoreUnavailable:
            self.fallback.release(msg_key)
