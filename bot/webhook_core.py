"""The webhook's protocol, free of Flask: signature, timestamp, decrypt, parse, render.

``bot/webhook.py`` only adapts HTTP to ``WebhookCore.handle_post``, so this is tested with
the same signed and encrypted bytes WeChat sends. Protocol failures answer 4xx and store
nothing; what to reply to a message that was understood is ``bot.answer``'s business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers.expat import ExpatError
from zoneinfo import ZoneInfo

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from handlers import replies
from models import clock
from models.settings import WeChatSettings

logger = logging.getLogger(__name__)

HOSTILE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")
TEXT_PLAIN = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    content_type: str = "application/xml; charset=utf-8"


def rejected(status: int, why: str, **fields: Any) -> HttpReply:
    logger.warning("webhook rejected %s: %s %s", status, why, fields)
    return HttpReply(status, why.encode(), TEXT_PLAIN)


Answer = Callable[[Any, datetime], str | None]  # (parsed message, the moment it is judged at)


def judged_at(sent: int, server_now: datetime, tolerance: int | None) -> datetime:
    """The moment a message is judged at: when it was sent, not when a worker got to it.

    WeChat stamps each message with ``CreateTime`` (its clock, whole seconds), and sends
    the same stamp with every retry, so a retry is judged exactly as the first attempt.
    That clock is trusted within ``tolerance`` seconds of ours (None: always); further
    off, the server's clock judges. In ``server_now``'s zone.
    """
    if tolerance is not None and abs(server_now.timestamp() - sent) > tolerance:
        return server_now
    return datetime.fromtimestamp(sent, server_now.tzinfo)


class WebhookCore:
    """One per app: the protocol settings and what answers a parsed message."""

    def __init__(self, wechat: WeChatSettings, tz: ZoneInfo, answer: Answer) -> None:
        self.token = wechat.token
        self.max_body = wechat.max_body
        self.tolerance = wechat.timestamp_tolerance
        self.plaintext_allowed = wechat.plaintext_allowed
        self.tz = tz
        self.answer = answer
        self.crypto = (
            WeChatCrypto(wechat.token, wechat.encoding_aes_key, wechat.app_id)
            if wechat.encoding_aes_key
            else None
        )

    def too_large(self, size: int | None) -> bool:
        return self.max_body is not None and size is not None and size > self.max_body

    def screen(self, args: dict[str, str], size: int | None) -> HttpReply | None:
        """What can be refused before the body is read: a declared size over the limit, a
        bad URL signature or a stale timestamp (a stranger's body is never read)."""
        if self.too_large(size):
            return rejected(413, "body too large", size=size)
        return self._signed(args)

    def _signed(self, args: dict[str, str]) -> HttpReply | None:
        """The URL signature and a fresh timestamp, or why not (403)."""
        timestamp = args.get("timestamp", "")
        try:
            check_signature(self.token, args.get("signature", ""), timestamp, args.get("nonce", ""))
        except InvalidSignatureException:
            return rejected(403, "bad signature")
        if self.tolerance is None:
            return None
        now = clock.now(self.tz).timestamp()
        if not (timestamp.isdigit() and abs(now - int(timestamp)) <= self.tolerance):
            return rejected(403, "stale timestamp", timestamp=timestamp)
        return None

    def handle_get(self, args: dict[str, str]) -> HttpReply:
        """URL verification: echo ``echostr`` when the signature holds."""
        refusal = self._signed(args)
        if refusal:
            return refusal
        return HttpReply(200, args.get("echostr", "").encode(), TEXT_PLAIN)

    def _open(self, args: dict[str, str], body: bytes) -> tuple[str | None, HttpReply | None]:
        """Decrypt (safe or compatible mode) and screen the XML; (xml, None) or (None, why)."""
        if any(marker in body for marker in HOSTILE_MARKERS):
            return None, rejected(400, "XML with a DTD or entities")
        if args.get("encrypt_type", "raw") != "aes":
            if not self.plaintext_allowed:  # the URL signature does not cover the body
                return None, rejected(403, "plaintext message in safe mode")
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
        if self.too_large(len(body)):
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
        now = self._moment(message)
        if isinstance(now, HttpReply):
            return now
        return self._render(self.answer(message, now), message, args)

    def _moment(self, message: Any) -> datetime | HttpReply:
        """When the message is judged (``judged_at``), or 400 for a CreateTime or MsgId
        that is missing or not a number: WeChat always sends both well formed, and the
        dedup key is built from them."""
        try:
            sent, _ = message.time, message.id
            server_now = clock.now(self.tz)
            if not sent:
                return rejected(400, "message without CreateTime")
            now = judged_at(sent, server_now, self.tolerance)
        except (TypeError, ValueError, OverflowError, OSError):
            return rejected(400, "malformed CreateTime or MsgId")
        if now is server_now:
            logger.warning(
                "CreateTime %s is %ds off the server clock: judged at the server's, openid=%s",
                sent,
                server_now.timestamp() - sent,
                message.source,
            )
        return now

    def _render(self, text: str | None, message: Any, args: dict[str, str]) -> HttpReply:
        if not text:
            return HttpReply(200, b"success", TEXT_PLAIN)
        # a reply may echo user input; "]]>" would end wechatpy's CDATA section early
        safe = replies.fit(text).replace("]]>", "]] >")
        xml = create_reply(safe, message).render()
        if args.get("encrypt_type") == "aes" and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, args.get("nonce", ""), args.get("timestamp"))
        return HttpReply(200, xml.encode("utf-8"))
