"""Once per message: WeChat retries an unanswered message, and a retry gets the first reply.

A message is first claimed for a short time (``app.claim_ttl_seconds``): long enough for
the worker to answer, short enough that a retry can take the message over if that worker
died. Its reply is then kept for ``app.dedup_ttl_seconds``, so every later retry is
answered the same way. Where the claim is kept (Redis, or the database while Redis is
down) is the store's business (``bot.fallback_store``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.store import Admission, Store, StoreUnavailable
from models.settings import AppSettings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05  # how often a retry looks for the first attempt's reply


def dedup_key(message: Any) -> str:
    """WeChat's retries carry the same MsgId; events the same sender, CreateTime, event and
    EventKey (two menu buttons pressed in one second are two clicks). Events that carry
    their own MsgID (TEMPLATESENDJOBFINISH) are known by it. The webhook has checked that
    CreateTime and MsgId are numbers."""
    if getattr(message, "id", None):
        return f"m{message.id}" if message.type != "event" else f"j{message.id}"
    event = getattr(message, "event", "")
    key = getattr(message, "key", None) or ""
    # an EventKey may be a long URL (VIEW): a digest keeps the key inside its column
    digest = hashlib.blake2b(str(key).encode(), digest_size=6).hexdigest() if key else ""
    return f"e{message.source}:{message.time}:{event}:{digest}"


class MessageDedup:
    """Claim, wait for the first reply or take over, remember, release."""

    def __init__(self, store: Store, app: AppSettings) -> None:
        self.store = store
        self.claim_ttl = app.claim_ttl_seconds
        self.dedup_ttl = app.dedup_ttl_seconds
        self.retry_wait = app.retry_wait_seconds

    def claim(self, key: str, sender: str | None, window: int) -> Admission:
        """Claim the message and count its sender (``window`` 0: not counted), one trip."""
        return self.store.admit(key, self.claim_ttl, sender, window)

    def await_first(self, key: str) -> tuple[str | None, bool]:
        """A retry: wait for the first attempt's reply, or take the message over when the
        first attempt's claim lapsed (its worker died). Returns (reply, taken over)."""
        deadline = time.monotonic() + self.retry_wait
        while True:
            found = self._recall(key)
            if found is not None:
                logger.info("retry of msg=%s answered from the first attempt", key)
                return found or None, False
            if self._reclaim(key):
                logger.warning("msg=%s taken over from an attempt that never answered", key)
                return None, True
            if time.monotonic() >= deadline:
                return None, False
            time.sleep(POLL_SECONDS)

    def remember(self, key: str, reply: str) -> None:
        """Keep the reply for the retries; a store that fails only costs a second answer."""
        try:
            self.store.remember(key, reply, self.dedup_ttl)
        except (StoreUnavailable, DBAPIError):
            logger.warning("could not keep the reply of msg=%s for retries", key)

    def release(self, key: str) -> None:
        """Nothing was committed: let a resend be processed."""
        try:
            self.store.release(key)
        except (StoreUnavailable, DBAPIError):
            logger.warning("could not release msg=%s", key)

    def _recall(self, key: str) -> str | None:
        try:
            return self.store.recall(key)
        except StoreUnavailable:
            return None

    def _reclaim(self, key: str) -> bool:
        try:
            return self.store.reclaim(key, self.claim_ttl)
        except StoreUnavailable:
            return False
