"""The baselines the webhook is compared with, all speaking WeChat's safe (AES) mode.

gunicorn serves each as ``bench.apps:<name>()``:
- ``echo()``: Flask + wechatpy only: check the URL signature, decrypt (which checks the
  message signature), parse, answer an encrypted echo. The ceiling for this stack.
- ``floor()``: the echo plus one row per message committed to PostgreSQL before the reply
  (psycopg 3, no ORM, one autocommit INSERT on a connection per worker thread; MsgId is the
  primary key). The least a webhook that must not lose a message can do.
- ``werobot()``: WeRoBot's README echo robot, untuned: default session storage (a SQLite
  file in the working directory, one write per message), served as ``robot.wsgi``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bench.common import Credentials

FLOOR_DSN_ENV = "BENCH_FLOOR_DSN"
FLOOR_INSERT = "INSERT INTO inbound (msg_id, openid, content) VALUES (%s, %s, %s)"


def echo(keep: Callable[[Any], None] | None = None) -> Flask:
    """The echo endpoint at POST /wechat; ``keep`` (if any) runs before replying."""
    creds = Credentials()
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


def floor() -> Flask:
    """The echo with a durable write first; a replayed MsgId fails loudly (500)."""
    local = threading.local()

    def keep(message: Any) -> None:
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(os.environ[FLOOR_DSN_ENV], autocommit=True)
        try:
            conn.execute(FLOOR_INSERT, (int(message.id), message.source, message.content))
        except psycopg.OperationalError:
            conn.close()  # the next message reconnects; this one answers 500 (WeChat retries)
            raise

    return echo(keep)


def werobot() -> Any:
    """WeRoBot as its users run it; imported here, so the other targets never need it."""
    import werobot as wr  # bench/requirements.txt

    creds = Credentials()
    robot = wr.WeRoBot()
    robot.config.update(TOKEN=creds.token, APP_ID=creds.app_id, ENCODING_AES_KEY=creds.aes_key)

    @robot.text
    def reply(message: Any) -> str:
        return str(message.content)

    return robot.wsgi
