"""The webhook's core, free of Flask: verify, decrypt, parse, dedup, dispatch, reply.

``bot/webhook.py`` only adapts HTTP to ``Gateway.handle_post``, so this is tested with the
same signed and encrypted bytes WeChat sends. Protocol failures answer 4xx and store
nothing; a message that was understood always gets a reply, even when a handler fails.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

from sqlalchemy.exc import DBAPIError
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bot.store import Store, StoreUnavailable
from handlers import replies, router
from handlers.context import Inbound, Services
from models import clock
from models import inbound as db_dedup

logger = logging.getLogger(__name__)

HOSTILE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")
RATE_WINDOW_SECONDS = 60  # app.rate_limit_per_minute counts per sender in this window
TEXTUAL_TYPES = {"text", "event"}


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    content_type: str = "application/xml; charset=utf-8"


def rejected(status: int, why: str, **fields: Any) -> HttpReply:
    logger.warning("webhook rejected %s: %s %s", status, why, fields)
    return HttpReply(status, why.encode(), "text/plain; charset=utf-8")


class Gateway:
    """One per app: the protocol settings, the store and the handlers' services."""

    def __init__(self, services: Services, store: Store) -> None:
        self.services = services
        self.store = store
        wechat = services.settings["wechat"]
        self.token: str = wechat["token"]
        self.max_body: int = wechat["max_body_bytes"]
        self.tolerance: int = wechat["timestamp_tolerance_seconds"]
        self.crypto = (
            WeChatCrypto(wechat["token"], wechat["encoding_aes_key"], wechat["app_id"])
            if wechat["encoding_aes_key"]
            else None
        )
        app = services.settings["app"]
        self.dedup_ttl: int = app["dedup_ttl_seconds"]
        self.claim_ttl: int = app["claim_ttl_seconds"]
        self.rate_limit: int = app["rate_limit_per_minute"]
        self.retry_wait: float = app["retry_wait_seconds"]

    # ------------------------------------------------------------------ protocol

    def _signed(self, args: dict[str, str]) -> HttpReply | None:
        """The URL signature and a fresh timestamp, or why not (403)."""
        timestamp = args.get("timestamp", "")
        try:
            check_signature(self.token, args.get("signature", ""), timestamp, args.get("nonce", ""))
        except InvalidSignatureException:
            return rejected(403, "bad signature")
        now = clock.now(self.services.tz).timestamp()
        fresh = timestamp.isdigit() and abs(now - int(timestamp)) <= self.tolerance
        if self.tolerance and not fresh:
            return rejected(403, "stale timestamp", timestamp=timestamp)
        return None

    def handle_get(self, args: dict[str, str]) -> HttpReply:
        """URL verification: echo ``echostr`` when the signature holds."""
        refusal = self._signed(args)
        if refusal:
            return refusal
        return HttpReply(200, args.get("echostr", "").encode(), "text/plain; charset=utf-8")

    def _open(self, args: dict[str, str], body: bytes) -> tuple[str | None, HttpReply | None]:
        """Decrypt (safe or compatible mode) and screen the XML; (xml, None) or (None, why)."""
        if any(marker in body for marker in HOSTILE_MARKERS):
            return None, rejected(400, "XML with a DTD or entities")
        if args.get("encrypt_type", "raw") != "aes":
            return body.decode("utf-8", "replace"), None
        if self.crypto is None:
            return None, rejected(400, "encrypted message but no EncodingAESKey configured")
        try:
            xml = self.crypto.decrypt_message(
                body,
                args.get("msg_signature", ""),
                args.get("timestamp", ""),
                args.get("nonce", ""),
            )
        except (InvalidSignatureException, InvalidAppIdException):
            return None, rejected(403, "bad message signature or app id")
        except (ExpatError, KeyError, TypeError, ValueError):
            return None, rejected(400, "malformed encrypted envelope")
        if any(marker in xml.encode() for marker in HOSTILE_MARKERS):
            return None, rejected(400, "XML with a DTD or entities")
        return xml, None

    def handle_post(self, args: dict[str, str], body: bytes) -> HttpReply:
        if self.max_body and len(body) > self.max_body:
            return rejected(413, "body too large", size=len(body))
        refusal = self._signed(args)
        if refusal:
            return refusal
        if not body.strip():
            return rejected(400, "empty body")
        xml, refusal = self._open(args, body)
        if refusal:
            return refusal
        try:
            message = parse_message(xml)
        except (ExpatError, KeyError, TypeError, ValueError, AttributeError):
            return rejected(400, "malformed XML")
        if message is None or not getattr(message, "source", None):
            return rejected(400, "message without sender")
        text = self.answer(message)
        return self._render(text, message, args)

    def _render(self, text: str | None, message: Any, args: dict[str, str]) -> HttpReply:
        if not text:
            return HttpReply(200, b"success", "text/plain; charset=utf-8")
        # a reply may echo user input; "]]>" would end wechatpy's CDATA section early
        safe = replies.fit(text).replace("]]>", "]] >")
        xml = create_reply(safe, message).render()
        if args.get("encrypt_type") == "aes" and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, args.get("nonce", ""), args.get("timestamp"))
        return HttpReply(200, xml.encode("utf-8"))

    # ------------------------------------------------------------------ once per message

    @staticmethod
    def dedup_key(message: Any) -> str:
        """WeChat's retries carry the same MsgId; events the same sender and CreateTime."""
        if message.type != "event" and getattr(message, "id", None):
            return f"m{message.id}"
        event = getattr(message, "event", "")
        return f"e{message.source}:{int(message.create_time.timestamp())}:{event}"

    def answer(self, message: Any) -> str | None:
        """Process a message once; a retry is answered as the first attempt was.

        Filings deduplicate in the database (see ``router.SELF_DEDUPLICATING``); every
        other message is claimed in the store first, and its reply kept for retries.
        """
        key = self.dedup_key(message)
        sender = message.source if message.type in TEXTUAL_TYPES else None
        now = clock.now(self.services.tz)
        parsed = router.interpret(message.content or "", now) if message.type == "text" else None
        if isinstance(parsed, router.SELF_DEDUPLICATING):
            return self._answer_self_deduplicating(
                message, parsed, Inbound(message.source, key, now)
            )
        try:
            window = RATE_WINDOW_SECONDS if self.rate_limit else 0
            admission = self.store.admit(key, self.claim_ttl, sender, window)
            first, count, durable = admission.first, admission.count, False
        except StoreUnavailable:
            logger.warning("store unavailable, dedup falls back to the database msg=%s", key)
            first = db_dedup.claim(self.services.engine, key, now)
            count, durable = 0, True
        reply: str | None = None
        if not first:
            reply, first = self._await_first(key, durable)
            if not first:
                return reply
        if self.rate_limit and count > self.rate_limit:
            reply = replies.RATE_LIMITED
        else:
            reply = self._run(message, parsed, Inbound(message.source, key, now))
            if reply is None:
                self._release(key, durable)  # nothing was committed: a resend is processed
                return replies.SYSTEM_BUSY
        self._remember(key, reply or "", durable)
        return reply

    def _answer_self_deduplicating(self, message: Any, parsed: Any, inbound: Inbound) -> str:
        if self.rate_limit:
            try:
                if self.store.count(inbound.openid, RATE_WINDOW_SECONDS) > self.rate_limit:
                    return replies.RATE_LIMITED
            except StoreUnavailable:
                logger.warning("store unavailable, rate limit skipped msg=%s", inbound.msg_key)
        return self._run(message, parsed, inbound) or replies.SYSTEM_BUSY

    def _run(self, message: Any, parsed: Any, inbound: Inbound) -> str | None:
        """Route and handle; None only when a handler failed (logged here, the one place)."""
        try:
            return self._route_reconnecting(message, parsed, inbound) or ""
        except Exception:  # the user hears back (SYSTEM_BUSY), the error is logged
            logger.exception(
                "handler failed msg=%s openid=%s type=%s",
                inbound.msg_key,
                message.source,
                message.type,
            )
            return None

    def _await_first(self, key: str, durable: bool) -> tuple[str | None, bool]:
        """A retry: wait for the first attempt's reply, or take the message over when the
        first attempt's claim lapsed (its worker died). Returns (reply, taken over)."""
        deadline = time.monotonic() + self.retry_wait
        while True:
            found = self._recall(key, durable)
            if found is not None:
                logger.info("retry of msg=%s answered from the first attempt", key)
                return found or None, False
            if self._reclaim(key, durable):
                logger.warning("msg=%s taken over from an attempt that never answered", key)
                return None, True
            if time.monotonic() >= deadline:
                return None, False
            time.sleep(0.05)

    def _recall(self, key: str, durable: bool) -> str | None:
        if not durable:
            try:
                return self.store.recall(key)
            except StoreUnavailable:
                pass
        return db_dedup.recall(self.services.engine, key)

    def _reclaim(self, key: str, durable: bool) -> bool:
        now = clock.now(self.services.tz)
        if not durable:
            try:
                return self.store.reclaim(key, self.claim_ttl)
            except StoreUnavailable:
                return False
        return db_dedup.reclaim(self.services.engine, key, now, self.claim_ttl)

    def _remember(self, key: str, reply: str, durable: bool) -> None:
        try:
            if durable:
                db_dedup.remember(self.services.engine, key, reply)
            else:
                self.store.remember(key, reply, self.dedup_ttl)
        except StoreUnavailable:
            logger.warning("could not keep the reply of msg=%s for retries", key)

    def _release(self, key: str, durable: bool) -> None:
        try:
            if durable:
                db_dedup.release(self.services.engine, key)
            else:
                self.store.release(key)
        except (StoreUnavailable, DBAPIError):
            logger.warning("could not release msg=%s", key)

    def _route_reconnecting(self, message: Any, parsed: Any, inbound: Inbound) -> str | None:
        """A database that restarted leaves dead pooled connections: SQLAlchemy drops the
        pool on the first failure, and the message is tried once more on a fresh one (the
        writes are idempotent per message, so a second try cannot file twice)."""
        try:
            return self.route(message, parsed, inbound)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.warning("database connection lost, retrying msg=%s once", inbound.msg_key)
            return self.route(message, parsed, inbound)

    def route(self, message: Any, parsed: Any, inbound: Inbound) -> str | None:
        if message.type == "text":
            return router.handle_parsed(parsed, self.services, inbound)
        if message.type != "event":
            return replies.UNSUPPORTED
        event = (message.event or "").lower()
        if event == "click":
            return router.handle_click(message.key or "", self.services, inbound)
        if event in ("subscribe", "subscribe_scan", "scan"):
            return replies.WELCOME
        return None  # unsubscribe, VIEW, LOCATION, TEMPLATESENDJOBFINISH: nothing to say
