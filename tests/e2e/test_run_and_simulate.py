"""The newcomer's path: ``./scripts/run.sh`` starts the service, the simulator talks to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_simulate_demo_shows_a_filing_going_in_and_its_reply(cli: Callable[..., Any]) -> None:
    result = cli(
        "simulate", "--demo", "--say", "报备 DEMO 张三 13812345678 本地 明天 15:00", "--say", "查询"
    )
    assert result.exit_code == 0, result.output
    assert "o_demo_agent> 报备 DEMO" in result.output
    assert "报备成功 #" in result.output and "138****5678" in result.output
    assert "绑定成功" in result.output  # the demo users were bound through the webhook


def test_run_script_serves_the_webhook_with_the_scheduler_and_the_fake_api(
    tmp_path: Path,
) -> None:
    port, fake_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "FAKE_PORT": str(fake_port),
        "BAOBEI_DATABASE__URL": f"sqlite:///{tmp_path / 'run.db'}",
    }
    env.pop("BAOBEI_CONFIG", None)
    with (tmp_path / "run.log").open("wb") as log:
        process = subprocess.Popen(
            ["./scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail((tmp_path / "run.log").read_text()[-2000:])
        simulate = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "bot",
                "simulate",
                "--demo",
                "--url",
                f"http://127.0.0.1:{port}/wechat",
                "--fake-url",
                f"http://127.0.0.1:{fake_port}",
                "--say",
                "报备 DEMO 李四 13912345678 异地 后天 10:00",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "报备成功 #" in simulate.stdout, simulate.stdout + simulate.stderr
        assert requests.get(f"http://127.0.0.1:{fake_port}/_fake/stats", timeout=2).ok
        assert b"scheduler leadership taken" in (ROOT / ".run" / "scheduler.log").read_bytes()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
