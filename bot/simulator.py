"""Play WeChat's part towards our webhook: build, sign and encrypt inbound XML, read replies.

Tests, the ``simulate`` CLI and benchmarks use it to talk to ``/wechat`` exactly as WeChat's
servers do, so nothing about signing or safe-mode encryption is faked on the way in. The
transport is a plain function, ``post(query_string, body) -> (status, body)``: a Flask test
client in tests, HTTP (``http_transport``) against a running service.
"""

from __future__ import annotations

import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage
from wechatpy.utils import WeChatSigner

Post = Callable[[str, bytes], tuple[int, bytes]]

OFFICIAL_ACCOUNT_ID = "gh_5f3c2a7d9e10"  # ToUserName: the account's original id


@dataclass(frozen=True)
class Reply:
    """What the webhook answered, decrypted and parsed when there was a message."""

    status: int
    raw: bytes
    message: BaseMessage | None

    @property
    def text(self) -> str | None:
        return getattr(self.message, "content", None) if self.message is not None else None


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA; WeChat splits it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_element(key, item) for key, item in value.items())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        inner = str(value)
    else:
        inner = _cdata(str(value))
    return f"<{name}>{inner}</{name}>"


class WeChatSimulator:
    """One official account as WeChat sees it: token, appid and (safe mode) AES key."""

    def __init__(
        self,
        token: str,
        app_id: str,
        encoding_aes_key: str | None,
        post: Post,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.app_id = app_id
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None
        self._post = post
        self._clock = clock
        # Unique MsgIds across simulator instances too, like WeChat's 64-bit ids.
        self._msg_ids = itertools.count(random.randrange(10**18, 9 * 10**18, 10**6))

    # -- building messages ------------------------------------------------------------
    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def message_xml(
        self, openid: str, msg_type: str, fields: dict[str, Any], create_time: int | None = None
    ) -> str:
        """Any inbound message: the common header, then ``fields`` in the given order."""
        header = {
            "ToUserName": OFFICIAL_ACCOUNT_ID,
            "FromUserName": openid,
            "CreateTime": int(self._clock()) if create_time is None else int(create_time),
            "MsgType": msg_type,
        }
        return "<xml>" + "".join(_element(k, v) for k, v in {**header, **fields}.items()) + "</xml>"

    def text_xml(
        self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None
    ) -> str:
        fields = {"Content": content, "MsgId": self.next_msg_id() if msg_id is None else msg_id}
        return self.message_xml(openid, "text", fields, create_time)

    def image_xml(
        self,
        openid: str,
        media_id: str | None = None,
        pic_url: str = "http://mmbiz.qpic.cn/fake.jpg",
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        fields = {
            "PicUrl": pic_url,
            "MediaId": media_id or secrets.token_urlsafe(24),
            "MsgId": self.next_msg_id() if msg_id is None else msg_id,
        }
        return self.message_xml(openid, "image", fields, create_time)

    def event_xml(
        self,
        openid: str,
        event: str,
        key: str | None = None,
        create_time: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """CLICK/VIEW/subscribe/unsubscribe/SCAN/LOCATION/TEMPLATESENDJOBFINISH and others.

        Events carry no MsgId (WeChat dedups them by sender + CreateTime); the fields an
        event always has get plausible defaults, which ``extra`` overrides.
        """
        fields: dict[str, Any] = {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        if event == "LOCATION":
            fields.update(Latitude=31.230416, Longitude=121.473701, Precision=30.0)
        elif event == "TEMPLATESENDJOBFINISH":
            fields.update(MsgID=self.next_msg_id(), Status="success")
        fields.update(extra or {})
        return self.message_xml(openid, "event", fields, create_time)

    # -- signing and transport ----------------------------------------------------------
    def _signature(self, *parts: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, *parts)
        return signer.signature

    def sign_and_wrap(
        self, xml: str, timestamp: str | int | None = None, nonce: str | None = None
    ) -> tuple[str, bytes]:
        """The query string and body WeChat would POST for ``xml`` (encrypted in safe mode)."""
        timestamp = str(int(self._clock()) if timestamp is None else timestamp)
        nonce = nonce or str(random.randrange(10**8, 10**10))
        openid = xmltodict.parse(xml)["xml"]["FromUserName"]
        query = {
            "signature": self._signature(timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if self.crypto is None:
            return urlencode(query), xml.encode("utf-8")
        encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        body = (
            f"<xml><ToUserName>{_cdata(OFFICIAL_ACCOUNT_ID)}</ToUserName>"
            f"<Encrypt>{_cdata(encrypted['Encrypt'])}</Encrypt></xml>"
        )
        query.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
        return urlencode(query), body.encode("utf-8")

    def verify_url(
        self, echostr: str | None = None, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[str, str]:
        """The GET handshake: the query WeChat sends, and the echostr it expects back.

        Official accounts sign and echo the handshake in plain form even in safe mode.
        """
        echostr = echostr or str(random.randrange(10**17, 10**19))
        timestamp = timestamp or str(int(self._clock()))
        nonce = nonce or str(random.randrange(10**8, 10**10))
        query = {
            "signature": self._signature(timestamp, nonce),
            "echostr": echostr,
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return urlencode(query), echostr

    def send(self, xml: str, timestamp: str | int | None = None, nonce: str | None = None) -> Reply:
        query, body = self.sign_and_wrap(xml, timestamp=timestamp, nonce=nonce)
        status, raw = self._post(query, body)
        return Reply(status=status, raw=raw, message=self.read_reply(status, raw))

    def read_reply(self, status: int, raw: bytes) -> BaseMessage | None:
        """Parse a reply as WeChat would; a reply that fails its signature raises.

        An empty body or "success" means "no reply" to WeChat, so ``None``.
        """
        text = raw.decode("utf-8").strip()
        if status != 200 or text in ("", "success"):
            return None
        if self.crypto is not None:
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(
                text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return parse_message(text)

    # -- conveniences ---------------------------------------------------------------------
    def say(self, openid: str, text: str) -> Reply:
        return self.send(self.text_xml(openid, text))

    def click(self, openid: str, key: str) -> Reply:
        return self.send(self.event_xml(openid, "CLICK", key))


def http_transport(url: str, timeout: float = 10.0) -> Post:
    """POST to a running webhook, e.g. ``http://127.0.0.1:5000/wechat``."""
    session = requests.Session()

    def post(query: str, body: bytes) -> tuple[int, bytes]:
        response = session.post(
            f"{url}?{query}",
            data=body,
            timeout=timeout,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        return response.status_code, response.content

    return post


def flask_transport(client: Any, path: str = "/wechat") -> Post:
    """POST through a Flask test client, for tests that need no socket."""

    def post(query: str, body: bytes) -> tuple[int, bytes]:
        response = client.post(f"{path}?{query}", data=body, content_type="text/xml")
        return response.status_code, response.get_data()

    return post
