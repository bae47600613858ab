"""What the fake WeChat API remembers, and the failures it was told to inject.

Like the real API, every token fetch issues a new token and invalidates the previous one:
that is what makes several uncoordinated processes knock each other's token out.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

CLIENT_MSG_ID_SECONDS = 600  # WeChat drops a repeated client_msg_id within ten minutes


@dataclass
class Failure:
    """The next ``remaining`` calls to a path answer this instead of doing their work."""

    errcode: int | None  # an errcode answer, or None for an HTTP status
    status: int
    remaining: int


def normalise_path(path: str) -> str:
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
            self.tag_batches: list[list[str]] = []  # each batchtagging call's openids
            self.untag_batches: list[list[str]] = []  # each batchuntagging call's openids
            self.unfollowed: set[str] = set()
            self._token: str | None = None
            self._failures: dict[str, list[Failure]] = {}
            self._ids = itertools.count(1000)
            self.send_delay = 0.0  # seconds each send takes, as over a real network
            self.duplicates = 0  # template sends dropped by their client_msg_id
            self._client_msgs: dict[tuple[str, str], tuple[int, float]] = {}
            self.uploads: dict[str, dict[str, Any]] = {}  # media_id -> type, name, data

    # -- error injection -------------------------------------------------------------
    def fail(self, path: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` answer ``errcode`` and change nothing."""
        self._inject(path, Failure(errcode, 200, times))

    def fail_http(self, path: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls to ``path`` answer a bare HTTP ``status`` (e.g. 502)."""
        self._inject(path, Failure(None, status, times))

    def _inject(self, path: str, failure: Failure) -> None:
        with self.lock:
            self._failures.setdefault(normalise_path(path), []).append(failure)

    def take_failure(self, path: str) -> Failure | None:
        with self.lock:
            queue = self._failures.get(normalise_path(path), [])
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

    def record_template(self, touser: str, payload: dict[str, Any]) -> int:
        """Record a template send and return its msgid, once per (openid, client_msg_id)
        within ten minutes, as WeChat does: a repeat answers the first msgid, sends nothing.
        """
        client_msg_id = str(payload.get("client_msg_id") or "")
        key = (touser, client_msg_id)
        with self.lock:
            first = self._client_msgs.get(key) if client_msg_id else None
            if first is not None and time.time() - first[1] < CLIENT_MSG_ID_SECONDS:
                self.duplicates += 1
                return first[0]
            msgid = next(self._ids)
            self.record_send("template", touser, {**payload, "msgid": msgid})
            if client_msg_id:
                self._client_msgs[key] = (msgid, time.time())
            return msgid

    def record_upload(self, media_type: str, filename: str, data: bytes) -> str:
        """Keep an uploaded temporary media file; its new media_id."""
        with self.lock:
            media_id = f"media-{next(self._ids)}"
            self.uploads[media_id] = {"type": media_type, "filename": filename, "data": data}
            return media_id

    def pause_before_send(self) -> None:
        """Take ``send_delay`` seconds, outside the lock, as a real API's latency."""
        if self.send_delay > 0:
            time.sleep(self.send_delay)

    def sends_to(self, openid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [entry for entry in self.sent if entry["touser"] == openid]

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {"token_fetches": self.token_fetches, "sent_count": len(self.sent)}
