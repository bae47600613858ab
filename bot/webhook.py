"""GET/POST /wechat: a thin Flask adapter around ``bot.webhook_core.WebhookCore``."""

from __future__ import annotations

from typing import IO

from flask import Blueprint, Response, current_app, request

from bot.webhook_core import HttpReply, WebhookCore, rejected

blueprint = Blueprint("wechat", __name__)

CHUNK = 16384


def _respond(reply: HttpReply) -> Response:
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


def _core() -> WebhookCore:
    return current_app.extensions["baobei"]["webhook_core"]


def read_at_most(stream: IO[bytes], limit: int | None) -> bytes | None:
    """The body, or None as soon as it is longer than ``limit`` (None: no limit).

    A chunked body announces no length, so reading it whole before the size check would
    read whatever a sender streams (600 MiB before a 413): at most ``limit`` + 1 bytes are
    read. A body shorter than its Content-Length still holds the thread until the server's
    timeout; the reverse proxy in front (README, Deployment) bounds that.
    """
    if limit is None:
        return stream.read()
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(CHUNK, limit + 1 - size))
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    return None


@blueprint.get("/wechat")
def verify() -> Response:
    return _respond(_core().handle_get(request.args.to_dict()))


@blueprint.post("/wechat")
def receive() -> Response:
    core = _core()
    args = request.args.to_dict()
    refusal = core.screen(args, request.content_length)  # before the body is read
    if refusal:
        return _respond(refusal)
    body = read_at_most(request.stream, core.max_body)
    if body is None:
        return _respond(rejected(413, "body too large", size=f"over {core.max_body}"))
    return _respond(core.handle_post(args, body))


@blueprint.get("/healthz")
def health() -> Response:
    return Response("ok", content_type="text/plain")
