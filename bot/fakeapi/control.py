"""The fake's own ``/_fake/`` endpoints: other processes (the simulator, a script) steer
it and read what it received, as tests do through ``FakeState`` in-process.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from bot.fakeapi.api import json_body
from bot.fakeapi.state import FakeState


def register_control(app: Flask, state: FakeState) -> None:
    """Endpoints for other processes (simulator, benchmarks) to steer and read the fake."""

    @app.post("/_fake/fail")
    def control_fail() -> Response:
        data = json_body() or {}
        times = int(data.get("times", 1))
        if data.get("status") is not None:
            state.fail_http(str(data["path"]), int(data["status"]), times)
        else:
            state.fail(str(data["path"]), int(data["errcode"]), times)
        return jsonify({"ok": True})

    @app.post("/_fake/latency")
    def control_latency() -> Response:
        """Every send from now on takes ``seconds`` (benchmarks, kill tests)."""
        state.send_delay = float((json_body() or {}).get("seconds", 0))
        return jsonify({"ok": True})

    @app.get("/_fake/duplicates")
    def control_duplicates() -> Response:
        """How many template sends were dropped as repeats of a client_msg_id."""
        with state.lock:
            return jsonify({"duplicates": state.duplicates})

    @app.post("/_fake/unfollow")
    def control_unfollow() -> Response:
        state.unfollow(str((json_body() or {}).get("openid") or ""))
        return jsonify({"ok": True})

    @app.get("/_fake/sent")
    def control_sent() -> Response:
        """A JSON list of pushes, oldest first, like ``FakeState.sent``."""
        touser = request.args.get("touser")
        with state.lock:
            sent = state.sends_to(touser) if touser else list(state.sent)
        return jsonify(sent)

    @app.get("/_fake/media/<media_id>")
    def control_media(media_id: str) -> Response | tuple[str, int]:
        """An uploaded file as it was uploaded (the chart a manager was sent), to look at."""
        with state.lock:
            upload = state.uploads.get(media_id)
        if upload is None:
            return "no such media", 404
        return Response(upload["data"], mimetype="image/png" if upload["type"] == "image" else None)

    @app.post("/_fake/reset")
    def control_reset() -> Response:
        state.reset()
        return jsonify({"ok": True})

    @app.get("/_fake/stats")
    def control_stats() -> Response:
        return jsonify(state.stats())
