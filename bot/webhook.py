"""GET/POST /wechat: a thin Flask adapter around ``bot.inbound.Gateway``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from bot.inbound import Gateway, HttpReply

blueprint = Blueprint("wechat", __name__)


def _respond(reply: HttpReply) -> Response:
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


def _gateway() -> Gateway:
    return current_app.extensions["baobei"]["gateway"]


@blueprint.get("/wechat")
def verify() -> Response:
    return _respond(_gateway().handle_get(request.args.to_dict()))


@blueprint.post("/wechat")
def receive() -> Response:
    gateway = _gateway()
    length = request.content_length
    if gateway.max_body and length is not None and length > gateway.max_body:
        return _respond(HttpReply(413, b"body too large", "text/plain; charset=utf-8"))
    body = request.get_data(cache=False)
    return _respond(gateway.handle_post(request.args.to_dict(), body))


@blueprint.get("/healthz")
def health() -> Response:
    return Response("ok", content_type="text/plain")
