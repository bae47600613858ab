"""The WeChat API paths the service calls, with the real paths, JSON shapes and errcodes.

Every ``/cgi-bin/`` call first meets the injected failures, then the token check (a token
that is not the latest fails with 40001, as on the real API after another process fetched
a new one).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, jsonify, request

from bot.fakeapi.state import FakeState, normalise_path
from models.template_rules import data_problems

logger = logging.getLogger(__name__)

TOKEN_TTL_SECONDS = 7200
MEDIA_TYPES = ("image", "voice", "video", "thumb")
IMAGE_MAX_BYTES = 10 * 1024 * 1024  # WeChat's limit for a temporary image
# Not a real picture: enough bytes for a caller to check type and length.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _error(errcode: int, errmsg: str) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _ok(**extra: Any) -> Response:
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def json_body() -> dict[str, Any] | None:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


def _summary(payload: dict[str, Any]) -> str:
    """What the fake prints for a push: enough for a newcomer to recognise it."""
    if payload.get("msgtype") == "text":
        return str(payload.get("text", {}).get("content", ""))[:120]
    if payload.get("msgtype") == "image":
        return f"[image {payload.get('image', {}).get('media_id', '?')}]"
    return str(payload.get("template_id") or payload.get("msgtype") or "?")


def register_api(app: Flask, state: FakeState) -> None:
    """Serve the ``/cgi-bin/`` paths the service calls, over ``state``."""
    _register_guard(app, state)
    _register_token_and_sends(app, state)
    _register_menus(app, state)
    _register_tags(app, state)
    _register_users_and_media(app, state)


def _register_guard(app: Flask, state: FakeState) -> None:
    """Injected failures first, then the token: what every API call meets."""

    @app.before_request
    def _guard() -> Response | tuple[str, int] | None:
        if not request.path.startswith("/cgi-bin/"):
            return None
        path = normalise_path(request.path)
        failure = state.take_failure(path)
        if failure is not None:
            if failure.errcode is None:
                return "injected", failure.status
            return _error(failure.errcode, "injected")
        if path != "token" and not state.token_is_current(request.args.get("access_token")):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        return None


def _register_token_and_sends(app: Flask, state: FakeState) -> None:
    """A new token per fetch; pushes are recorded for tests and the simulator to read."""

    @app.get("/cgi-bin/token")
    def token() -> Response:
        if request.args.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if state.app_id and request.args.get("appid") != state.app_id:
            return _error(40013, "invalid appid")
        if state.app_secret and request.args.get("secret") != state.app_secret:
            return _error(40125, "invalid appsecret")
        return jsonify({"access_token": state.issue_token(), "expires_in": TOKEN_TTL_SECONDS})

    def _send(kind: str) -> Response:
        payload = json_body()
        if payload is None:
            return _error(47001, "data format error")
        touser = str(payload.get("touser") or "")
        if not touser:
            return _error(40003, "invalid openid")
        if touser in state.unfollowed:
            return _error(43004, "require subscribe")
        if kind == "template":
            return _send_template(touser, payload)
        if payload.get("msgtype") == "image" and not _known_image(payload):
            return _error(40007, "invalid media_id")
        state.pause_before_send()
        state.record_send(kind, touser, payload)
        logger.info("fake push %s to %s: %s", kind, touser, _summary(payload))
        return _ok()

    def _known_image(payload: dict[str, Any]) -> bool:
        media_id = str((payload.get("image") or {}).get("media_id") or "")
        with state.lock:
            return state.uploads.get(media_id, {}).get("type") == "image"

    def _send_template(touser: str, payload: dict[str, Any]) -> Response:
        """WeChat's template rules (47003), then one message per client_msg_id."""
        if not payload.get("template_id"):
            return _error(40037, "invalid template_id")
        data = payload.get("data")
        problems = data_problems(data if isinstance(data, dict) else {})
        if problems:
            return _error(47003, f"argument invalid! {problems[0]}")
        state.pause_before_send()
        msgid = state.record_template(touser, payload)
        logger.info("fake push template to %s: %s", touser, _summary(payload))
        return _ok(msgid=msgid)

    app.add_url_rule(
        "/cgi-bin/message/custom/send", "custom_send", lambda: _send("custom"), methods=["POST"]
    )
    app.add_url_rule(
        "/cgi-bin/message/template/send",
        "template_send",
        lambda: _send("template"),
        methods=["POST"],
    )


def _register_menus(app: Flask, state: FakeState) -> None:
    """One default menu and any number of conditional ones (by tag)."""

    def _menu(conditional: bool) -> Response:
        menu = json_body()
        if not menu or not menu.get("button") or (conditional and not menu.get("matchrule")):
            return _error(40016, "invalid button size")
        with state.lock:
            if not conditional:
                state.menus["menu"] = menu
                return _ok()
            menuid = str(state.next_id())
            state.menus["conditional"].append({**menu, "menuid": menuid})
        return jsonify({"menuid": menuid})

    app.add_url_rule("/cgi-bin/menu/create", "menu_create", lambda: _menu(False), methods=["POST"])
    app.add_url_rule(
        "/cgi-bin/menu/addconditional", "menu_addconditional", lambda: _menu(True), methods=["POST"]
    )

    @app.get("/cgi-bin/menu/get")
    def menu_get() -> Response:
        with state.lock:
            if state.menus["menu"] is None:
                return _error(46003, "menu no exist")
            return jsonify(
                {"menu": state.menus["menu"], "conditionalmenu": list(state.menus["conditional"])}
            )

    @app.post("/cgi-bin/menu/delconditional")
    def menu_delconditional() -> Response:
        menuid = str((json_body() or {}).get("menuid") or "")
        with state.lock:
            kept = [m for m in state.menus["conditional"] if m["menuid"] != menuid]
            if len(kept) == len(state.menus["conditional"]):
                return _error(65303, "there is no selfmenu, please create selfmenu first")
            state.menus["conditional"] = kept
        return _ok()

    @app.get("/cgi-bin/menu/delete")
    def menu_delete() -> Response:
        with state.lock:
            state.menus = {"menu": None, "conditional": []}
        return _ok()


def _register_tags(app: Flask, state: FakeState) -> None:
    """User tags, which conditional menus match on."""

    @app.post("/cgi-bin/tags/create")
    def tags_create() -> Response:
        name = str(((json_body() or {}).get("tag") or {}).get("name") or "")
        with state.lock:
            if not name:
                return _error(45158, "tag name too long")
            if any(tag["name"] == name for tag in state.tags.values()):
                return _error(45157, "invalid tag name")
            tag_id = state.next_id()
            state.tags[tag_id] = {"id": tag_id, "name": name, "openids": set()}
        return jsonify({"tag": {"id": tag_id, "name": name}})

    @app.get("/cgi-bin/tags/get")
    def tags_get() -> Response:
        with state.lock:
            tags = [
                {"id": t["id"], "name": t["name"], "count": len(t["openids"])}
                for t in state.tags.values()
            ]
        return jsonify({"tags": tags})

    def change_members(tagging: bool) -> Response:
        """Batch (un)tagging: the same checks and limits as WeChat's, then the change."""
        data = json_body() or {}
        openids = data.get("openid_list") or []
        with state.lock:
            tag = state.tags.get(int(data.get("tagid") or 0))
            if tag is None:
                return _error(45159, "invalid tag id")
            if not openids or len(openids) > 50:
                return _error(40032, "invalid openid list size")
            if tagging:
                tag["openids"].update(openids)
                state.tag_batches.append(list(openids))
            else:
                tag["openids"].difference_update(openids)
                state.untag_batches.append(list(openids))
        return _ok()

    @app.post("/cgi-bin/tags/members/batchtagging")
    def tags_batchtagging() -> Response:
        return change_members(tagging=True)

    @app.post("/cgi-bin/tags/members/batchuntagging")
    def tags_batchuntagging() -> Response:
        return change_members(tagging=False)


def _register_users_and_media(app: Flask, state: FakeState) -> None:
    """A user's follow state and tags; a media upload and download."""

    @app.get("/cgi-bin/user/info")
    def user_info() -> Response:
        openid = request.args.get("openid", "")
        if not openid:
            return _error(40003, "invalid openid")
        with state.lock:
            if openid in state.unfollowed:
                return jsonify({"subscribe": 0, "openid": openid})
            tag_ids = [t["id"] for t in state.tags.values() if openid in t["openids"]]
        return jsonify(
            {
                "subscribe": 1,
                "openid": openid,
                "language": "zh_CN",
                "subscribe_time": 1700000000,
                "remark": "",
                "groupid": 0,
                "tagid_list": tag_ids,
                "subscribe_scene": "ADD_SCENE_SEARCH",
            }
        )

    @app.post("/cgi-bin/media/upload")
    def media_upload() -> Response:
        """Temporary media, as WeChat takes it: a multipart ``media`` file of a known type;
        an image at most 10 MB (40009 otherwise)."""
        media_type = request.args.get("type", "")
        upload = request.files.get("media")
        if media_type not in MEDIA_TYPES:
            return _error(40004, "invalid media type")
        if upload is None:
            return _error(41005, "media data missing")
        data = upload.read()
        if not data or (media_type == "image" and len(data) > IMAGE_MAX_BYTES):
            return _error(40009, "invalid image size")
        media_id = state.record_upload(media_type, upload.filename or "", data)
        logger.info("fake upload %s %s: %d bytes", media_type, media_id, len(data))
        return jsonify({"type": media_type, "media_id": media_id, "created_at": int(time.time())})

    @app.get("/cgi-bin/media/get")
    def media_get() -> Response | tuple[Response, int]:
        if not request.args.get("media_id"):
            return _error(40007, "invalid media_id")
        return Response(FAKE_JPEG, mimetype="image/jpeg")
