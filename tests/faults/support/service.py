"""The service as it is deployed: gunicorn processes of ``bot:create_app()`` on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from bot.fakeapi import FakeState, FakeWeChatServer
from bot.simulator import WeChatSimulator, http_transport
from tests.conftest import AES_KEY, APP_ID, TOKEN
from tests.faults.support.processes import (
    WaitTimedOut,
    die_with_the_test_run,
    free_loopback_port,
    stop_process,
    tail,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[3]


@contextlib.contextmanager
def slow_fake_wechat() -> Iterator[FakeWeChatServer]:
    """A fake WeChat API of the test's own; each send takes a few ms, as on a network."""
    with FakeWeChatServer(FakeState()) as server:
        server.state.send_delay = 0.004
        yield server


def start_scheduler(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``flask --app bot scheduler <command>`` (run, run-once) as a process of its own."""
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "bot", "scheduler", command],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=die_with_the_test_run,
        )


def service_environment(
    database_url: str, redis_url: str, redis_prefix: str, **extra: str
) -> dict[str, str]:
    """The process environment of one service instance: BAOBEI_* settings only.

    Inherited BAOBEI_* variables are dropped so the test decides every setting. The WeChat
    API points at a loopback port nobody listens on: the webhook pushes nothing, and if it
    ever tried, it would fail fast instead of calling the real api.weixin.qq.com.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOBEI_")}
    env.update(
        {
            "BAOBEI_DATABASE__URL": database_url,
            "BAOBEI_REDIS__URL": redis_url,
            "BAOBEI_REDIS__PREFIX": redis_prefix,
            "BAOBEI_WECHAT__TOKEN": TOKEN,
            "BAOBEI_WECHAT__APP_ID": APP_ID,
            "BAOBEI_WECHAT__ENCODING_AES_KEY": AES_KEY,
            "BAOBEI_WECHAT__API_BASE_URL": f"http://127.0.0.1:{free_loopback_port()}",
            "BAOBEI_APP__RATE_LIMIT_PER_MINUTE": "0",
            "BAOBEI_APP__LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    """One running service instance: a gunicorn master and its sync workers."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/wechat"

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def worker_pids(self) -> list[int]:
        """The master's children, i.e. its workers (``pgrep -P <master>``)."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.master_pid)], capture_output=True, text=True, timeout=10
        )
        return sorted(int(pid) for pid in found.stdout.split())

    def answers_health_check(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def wechat(self, timeout: float = 15.0) -> WeChatSimulator:
        """WeChat's servers posting to this instance: signed, AES-encrypted, over HTTP."""
        return WeChatSimulator(TOKEN, APP_ID, AES_KEY, http_transport(self.webhook_url, timeout))


@contextlib.contextmanager
def gunicorn_service(
    name: str,
    env: dict[str, str],
    log_dir: Path,
    workers: int = 2,
    startup_timeout: float = 30.0,
) -> Iterator[Gunicorn]:
    """``gunicorn --workers N --worker-class sync "bot:create_app()"`` on a free port.

    Ready when GET /healthz answers. The master leads its own process group, so the stop
    can SIGKILL the whole group (workers included) if a graceful stop does not finish.
    """
    port = free_loopback_port()
    log_path = log_dir / f"gunicorn-{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "30",
                "--graceful-timeout",
                "3",
                "--log-level",
                "warning",
                "bot:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_the_test_run,
        )
    service = Gunicorn(name, port, process, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while not service.answers_health_check():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn {name} exited early\n{service.log_tail()}")
            if time.monotonic() > deadline:
                raise WaitTimedOut(f"gunicorn {name} not ready\n{service.log_tail()}")
            time.sleep(0.1)
        wait_until(
            lambda: len(service.worker_pids()) == workers,
            startup_timeout,
            f"{workers} workers of gunicorn {name}\n{service.log_tail()}",
        )
        yield service
    finally:
        # SIGQUIT is gunicorn's quick shutdown: the test is over, nothing is left to drain
        stop_process(process, grace=10, how=signal.SIGQUIT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker the master left behind
