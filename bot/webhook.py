"""GET/POST /wechat: a thin Flask adapter around ``bot.webhook_core.WebhookCore``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from bot.webhook_core import HttpReply, WebhookCore, rejected

blueprint = Blueprint("wechat", __name__)


def _respond(reply: HttpReply) -> Response:
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


def _core() -> WebhookCore:
    return current_app.extensions["baobei"]["webhook_core"]


@blueprint.get("/wechat")
def verify() -> Response:
    return _respond(_core().handle_get(request.args.to_dict()))


@blueprint.post("/wechat")
def receive() -> Response:
    core = _core()
    if core.too_large(request.content_length):  # refused before the body is read
        return _respond(rejected(413, "body too large", size=request.content_length))
    body = request.get_data(cache=False)
    return _respond(core.handle_post(request.args.to_dict(), body))


@blueprint.get("/healthz")
def health() -> Response:
    return Response("ok", content_type="text/plain")
