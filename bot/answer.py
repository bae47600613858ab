"""What to reply to one parsed message, and that it is processed once.

Filings deduplicate in the database (see ``router.SELF_DEDUPLICATING``): they take no
claim in the store, so a filing costs no Redis round trip but the rate counter's (and
none when the limit is off). Every other message is claimed first, and its reply kept for
WeChat's retries. A message that was understood always gets a reply, even when a handler
fails: the failure is logged here, in one place, and the user hears ``SYSTEM_BUSY``.
Every handler's reply passes the phone scrubber here, before it is sent or kept (R12).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.dedup import MessageDedup, dedup_key
from bot.rate_limit import RateLimit
from handlers import evidence, replies, router
from handlers.context import Inbound
from models import push_delivery
from models.privacy import scrub
from models.services import Services

logger = logging.getLogger(__name__)

T = TypeVar("T")
TEXTUAL_TYPES = {"text", "event", "image"}  # what a sender types, clicks or sends counts


class Answerer:
    """One per app: the handlers' services, the message dedup and the rate limit."""

    def __init__(self, services: Services, dedup: MessageDedup, limit: RateLimit) -> None:
        self.services = services
        self.dedup = dedup
        self.limit = limit

    def answer(self, message: Any, now: datetime) -> str | None:
        """Process a message once, judged at ``now`` (when it was sent: the webhook's
        ``judged_at``); a retry is answered as the first attempt was."""
        key = dedup_key(message)
        parsed = router.interpret(message.content or "", now) if message.type == "text" else None
        inbound = Inbound(message.source, key, now)
        if isinstance(parsed, router.SELF_DEDUPLICATING):
            if not self.limit.allows(message.source):
                return replies.RATE_LIMITED
            return self._run(message, parsed, inbound) or replies.SYSTEM_BUSY
        sender = message.source if message.type in TEXTUAL_TYPES else None
        admission = self.dedup.claim(key, sender, self.limit.window)
        if not admission.first:
            reply, taken_over = self.dedup.await_first(key)
            if not taken_over:
                return reply
        if self.limit.exceeded(admission.count):
            reply = replies.RATE_LIMITED
        else:
            reply = self._run(message, parsed, inbound)
            if reply is None:
                self.dedup.release(key)  # nothing was committed: a resend is processed
                return replies.SYSTEM_BUSY
        self.dedup.remember(key, reply or "")
        return reply

    def _run(self, message: Any, parsed: Any, inbound: Inbound) -> str | None:
        """Route and handle; None only when a handler failed (logged here, the one place).

        The reply is scrubbed of phones: it may echo what was typed, and it is kept for
        WeChat's retries in Redis or the database as well as sent."""
        try:
            reply = once_more_if_reconnected(
                lambda: route(message, parsed, self.services, inbound), inbound.msg_key
            )
            return scrub(reply or "")
        except Exception:  # the user hears back (SYSTEM_BUSY), the error is logged
            logger.exception(
                "handler failed msg=%s openid=%s type=%s",
                inbound.msg_key,
                message.source,
                message.type,
            )
            return None


def once_more_if_reconnected(call: Callable[[], T], msg_key: str) -> T:
    """A database that restarted leaves dead pooled connections: SQLAlchemy drops the pool
    on the first failure, and the message is tried once more on a fresh one (the writes
    are idempotent per message, so a second try cannot file twice)."""
    try:
        return call()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        logger.warning("database connection lost, retrying msg=%s once", msg_key)
        return call()


def route(message: Any, parsed: Any, services: Services, inbound: Inbound) -> str | None:
    """The handler's reply to a text or a click; None for events that need no answer."""
    if message.type == "text":
        return router.handle_parsed(parsed, services, inbound)
    if message.type == "image":  # staff's evidence photos; anyone else: UNSUPPORTED
        return evidence.receive_photo(message, services, inbound)
    if message.type != "event":
        return replies.UNSUPPORTED
    event = (message.event or "").lower()
    if event == "click":
        return router.handle_click(message.key or "", services, inbound)
    if event in ("subscribe", "subscribe_scan", "scan"):
        return replies.WELCOME
    if event == "templatesendjobfinish":  # WeChat's word on a template push: kept, not answered
        push_delivery.confirm_delivery(services.engine, int(message.id), message.status or "")
    return None  # unsubscribe, VIEW, LOCATION, TEMPLATESENDJOBFINISH: nothing to say
