"""(a) Bare echo: the least any safe-mode webhook must do, so the ceiling for this stack.

Flask + wechatpy only: check the URL signature, decrypt (which checks the message
signature), parse, and answer an encrypted text reply with the same content. No dedup,
no storage. ``floor.py`` reuses ``make_app`` and adds one durable write per message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bench.apps import credentials

# Called with the parsed message before the reply is built; a failure answers 500.
Keep = Callable[[Any], None]


def make_app(keep: Keep | None = None) -> Flask:
    """The echo endpoint at POST /wechat; ``keep`` (if any) runs before replying."""
    creds = credentials()
    crypto = WeChatCrypto(creds.token, creds.aes_key, creds.app_id)
    app = Flask(__name__)

    @app.get("/healthz")
    def health() -> Response:
        return Response("ok", content_type="text/plain")

    @app.post("/wechat")
    def receive() -> Response:
        args = request.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        try:
            check_signature(creds.token, args.get("signature", ""), timestamp, nonce)
            xml = crypto.decrypt_message(
                request.get_data(), args.get("msg_signature", ""), timestamp, nonce
            )
        except (InvalidSignatureException, InvalidAppIdException):
            return Response("bad signature", status=403)
        message = parse_message(xml)
        if keep is not None:
            keep(message)
        reply = create_reply(message.content, message).render()
        body = crypto.encrypt_message(reply, nonce, timestamp)
        return Response(body, content_type="application/xml; charset=utf-8")

    return app


app = make_app()
