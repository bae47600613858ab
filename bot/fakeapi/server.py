"""The fake app on a real loopback socket, in a thread (tests) or as a process.

Run alone: ``python -m bot.fakeapi --port 18080`` (the base URL is the last stdout line).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.fakeapi.api import register_api
from bot.fakeapi.control import register_control
from bot.fakeapi.state import FakeState

logger = logging.getLogger(__name__)


def create_fake_app(state: FakeState) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    register_api(app, state)
    register_control(app, state)
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
