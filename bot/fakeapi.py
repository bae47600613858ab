"""A local fake of the WeChat API, served over real HTTP on 127.0.0.1.

Tests, benchmarks and the simulator talk to it exactly as the service talks to
``api.weixin.qq.com``: same paths, same JSON shapes, same error codes. It keeps what was
sent so a newcomer (or a test) can see every push, and it can be told to fail the next
calls to a path, so retry and token-refresh paths are exercised without mocks.

Like the real API, every token fetch issues a new token and invalidates the previous one:
that is what makes several uncoordinated processes knock each other's token out.

Run alone: ``python -m bot.fakeapi --port 18080`` (the base URL is the last stdout line).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

logger = logging.getLogger(__name__)

TOKEN_TTL_SECONDS = 7200
# Not a real picture: enough bytes for a caller to check type and length.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@dataclass
class _Failure:
    errcode: int | None  # an errcode answer, or None for an HTTP status
    status: int
    remaining: int


def _normalise(path: str) -> str:
    """``/cgi-bin/message/custom/send`` and ``message/custom/send`` name the same path."""
    path = path.strip("/")
    return path.removeprefix("cgi-bin/")


class FakeState:
    """Everything the fake remembers. The server is threaded: hold ``lock`` while reading
    ``sent``, ``menus`` or ``tags`` directly (``sends_to`` and ``stats`` take it themselves).
    """

    def __init__(self, app_id: str | None = None, app_secret: str | None = None) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.sent: list[dict[str, Any]] = []
            self.token_fetches = 0
            self.menus: dict[str, Any] = {"menu": None, "conditional": []}
            self.tags: dict[int, dict[str, Any]] = {}
            self.unfollowed: set[str] = set()
            self._token: str | None = None
            self._failures: dict[str, list[_Failure]] = {}
            self._ids = itertools.count(1000)

    # -- error injection -------------------------------------------------------------
    def fail(self, path: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` answer ``errcode`` and change nothing."""
        self._inject(path, _Failure(errcode, 200, times))

    def fail_http(self, path: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` answer a bare HTTP ``status`` (e.g. 502)."""
        self._inject(path, _Failure(None, status, times))

    def _inject(self, path: str, failure: _Failure) -> None:
        with self.lock:
            self._failures.setdefault(_normalise(path), []).append(failure)

    def take_failure(self, path: str) -> _Failure | None:
        with self.lock:
            queue = self._failures.get(_normalise(path), [])
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    def unfollow(self, openid: str) -> None:
        """Pushes to this user then fail with 43004, as after a real unsubscribe."""
        with self.lock:
            self.unfollowed.add(openid)

    # -- tokens and records ----------------------------------------------------------
    def issue_token(self) -> str:
        with self.lock:
            self.token_fetches += 1
            self._token = secrets.token_urlsafe(24)
            return self._token

    def token_is_current(self, token: str | None) -> bool:
        with self.lock:
            return token is not None and token == self._token

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def record_send(self, kind: str, touser: str, payload: dict[str, Any]) -> None:
        with self.lock:
            entry = {"kind": kind, "touser": touser, "payload": payload, "at": time.time()}
            self.sent.append(entry)

    def sends_to(self, openid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [entry for entry in self.sent if entry["touser"] == openid]

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {"token_fetches": self.token_fetches, "sent_count": len(self.sent)}


def _error(errcode: int, errmsg: str) -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _ok(**extra: Any) -> Response:
    return jsonify({"errcode": 0, "errmsg": "ok", **extra})


def _body() -> dict[str, Any] | None:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else None


def _summary(payload: dict[str, Any]) -> str:
    """What the fake prints for a push: enough for a newcomer to recognise it."""
    if payload.get("msgtype") == "text":
        return str(payload.get("text", {}).get("content", ""))[:120]
    return str(payload.get("template_id") or payload.get("msgtype") or "?")


def _register_api(app: Flask, state: FakeState) -> None:
    @app.before_request
    def _guard() -> Response | tuple[str, int] | None:
        if not request.path.startswith("/cgi-bin/"):
            return None
        path = _normalise(request.path)
        failure = state.take_failure(path)
        if failure is not None:
            if failure.errcode is None:
                return "injected", failure.status
            return _error(failure.errcode, "injected")
        if path != "token" and not state.token_is_current(request.args.get("access_token")):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        return None

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
        payload = _body()
        if payload is None:
            return _error(47001, "data format error")
        touser = str(payload.get("touser") or "")
        if not touser:
            return _error(40003, "invalid openid")
        if touser in state.unfollowed:
            return _error(43004, "require subscribe")
        if kind == "template" and not payload.get("template_id"):
            return _error(40037, "invalid template_id")
        state.record_send(kind, touser, payload)
        logger.info("fake push %s to %s: %s", kind, touser, _summary(payload))
        return _ok(msgid=state.next_id()) if kind == "template" else _ok()

    app.add_url_rule(
        "/cgi-bin/message/custom/send", "custom_send", lambda: _send("custom"), methods=["POST"]
    )
    app.add_url_rule(
        "/cgi-bin/message/template/send",
        "template_send",
        lambda: _send("template"),
        methods=["POST"],
    )

    def _menu(conditional: bool) -> Response:
        menu = _body()
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

    @app.get("/cgi-bin/menu/delete")
    def menu_delete() -> Response:
        with state.lock:
            state.menus = {"menu": None, "conditional": []}
        return _ok()

    @app.post("/cgi-bin/tags/create")
    def tags_create() -> Response:
        name = str(((_body() or {}).get("tag") or {}).get("name") or "")
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

    @app.post("/cgi-bin/tags/members/batchtagging")
    def tags_batchtagging() -> Response:
        data = _body() or {}
        openids = data.get("openid_list") or []
        with state.lock:
            tag = state.tags.get(int(data.get("tagid") or 0))
            if tag is None:
                return _error(45159, "invalid tag id")
            if not openids or len(openids) > 50:
                return _error(40032, "invalid openid list size")
            tag["openids"].update(openids)
        return _ok()

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

    @app.get("/cgi-bin/media/get")
    def media_get() -> Response | tuple[Response, int]:
        if not request.args.get("media_id"):
            return _error(40007, "invalid media_id")
        return Response(FAKE_JPEG, mimetype="image/jpeg")


def _register_control(app: Flask, state: FakeState) -> None:
    """Endpoints for other processes (simulator, benchmarks) to steer and read the fake."""

    @app.post("/_fake/fail")
    def control_fail() -> Response:
        data = _body() or {}
        times = int(data.get("times", 1))
        if data.get("status") is not None:
            state.fail_http(str(data["path"]), int(data["status"]), times)
        else:
            state.fail(str(data["path"]), int(data["errcode"]), times)
        return jsonify({"ok": True})

    @app.get("/_fake/sent")
    def control_sent() -> Response:
        """A JSON list of pushes, oldest first, like ``FakeState.sent``."""
        touser = request.args.get("touser")
        with state.lock:
            sent = state.sends_to(touser) if touser else list(state.sent)
        return jsonify(sent)

    @app.post("/_fake/reset")
    def control_reset() -> Response:
        state.reset()
        return jsonify({"ok": True})

    @app.get("/_fake/stats")
    def control_stats() -> Response:
        return jsonify(state.stats())


def create_fake_app(state: FakeState) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _register_api(app, state)
    _register_control(app, state)
    return app


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to our logger at DEBUG, not to werkzeug's stderr handler."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s", self.requestline, code)


class FakeWeChatServer:
    """The fake app on a real socket in a daemon thread; a context manager for tests."""

    def __init__(
        self, state: FakeState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or FakeState()
        self.host = host
        self.port = port
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        app = create_fake_app(self.state)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        self.url = f"http://{self.host}:{self.port}"
        # A short poll interval so stop() (and so each test's teardown) is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name="fake-wechat-api",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeWeChatServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local fake of the WeChat API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--app-id", default=None, help="reject other appids (default: any)")
    parser.add_argument("--app-secret", default=None, help="reject other secrets (default: any)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    server = FakeWeChatServer(FakeState(args.app_id, args.app_secret), args.host, args.port)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    url = server.start()
    logger.info("fake WeChat API listening on %s", url)
    print(url, flush=True)
    stopping.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
