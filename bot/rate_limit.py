"""``app.rate_limit_per_minute``: how many messages one sender may send in a minute.

A claimed message is counted in the same round trip as its claim (``Store.admit`` with
``window``), because that runs for every message; a filing takes no claim and is counted
on its own (``allows``), and only when a limit is set.
"""

from __future__ import annotations

import logging

from bot.store import Store, StoreUnavailable

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60  # the limit counts per sender in windows of this length


class RateLimit:
    def __init__(self, store: Store, per_minute: int | None) -> None:
        self.store = store
        self.per_minute = per_minute  # None: no limit

    @property
    def window(self) -> int:
        """What a claim passes to ``Store.admit``: 0 counts nothing (no limit)."""
        return WINDOW_SECONDS if self.per_minute else 0

    def exceeded(self, count: int) -> bool:
        """Whether a sender who has sent ``count`` messages in this window is over."""
        return self.per_minute is not None and count > self.per_minute

    def allows(self, sender: str) -> bool:
        """Count one message that takes no claim; a store that is down limits nobody."""
        if self.per_minute is None:
            return True
        try:
            return not self.exceeded(self.store.count(sender, WINDOW_SECONDS))
        except StoreUnavailable:
            logger.warning("store unavailable, rate limit skipped for %s", sender)
            return True
