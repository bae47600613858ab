"""Start and stop one gunicorn per target, the same way for all four, on 127.0.0.1.

Only the process this module started is ever signalled (by its pid, then its process
group, which ``start_new_session`` made its own), so nothing else on the machine is touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import procstat

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass(frozen=True)
class WorkerModel:
    """A gunicorn worker setup, written ``sync:4`` or ``gthread:2x4`` (workers x threads)."""

    worker_class: str
    workers: int
    threads: int = 1

    @property
    def name(self) -> str:
        if self.worker_class == "sync":
            return f"sync:{self.workers}"
        return f"{self.worker_class}:{self.workers}x{self.threads}"

    @classmethod
    def parse(cls, text: str) -> WorkerModel:
        kind, _, shape = text.partition(":")
        if kind not in ("sync", "gthread"):
            raise ValueError(f"worker model {text!r}: only sync and gthread (no new dependencies)")
        workers, _, threads = shape.partition("x")
        return cls(kind, int(workers or 2), int(threads or 1))

    def argv(self) -> list[str]:
        args = ["--worker-class", self.worker_class, "--workers", str(self.workers)]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


@dataclass(frozen=True)
class Target:
    """One thing to load: a gunicorn app spec, its extra environment and working dir."""

    key: str  # a b c d
    name: str
    app: str
    env: dict[str, str]
    scratch: bool = False  # run in an empty directory (WeRoBot writes its SQLite file there)


class Server:
    """One gunicorn master and its workers; a context manager that always stops them."""

    def __init__(
        self,
        target: Target,
        model: WorkerModel,
        port: int,
        env: dict[str, str],
        log: Path,
        cwd: Path | None = None,
    ) -> None:
        self.target, self.model, self.port = target, model, port
        self.env, self.log, self.cwd = env, log, cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    def start(self, ready_timeout: float = 30.0) -> None:
        argv = [
            str(GUNICORN),
            self.target.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            *self.model.argv(),
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.env,
            **self.target.env,
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.cwd or ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Every worker forked and the socket answering HTTP (any status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target.name} exited at start; see {self.log}")
            if len(procstat.children(self.pid)) >= self.model.workers and self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.target.name} not ready in {timeout}s; see {self.log}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/")
        except OSError:
            return False

    def workers(self) -> list[int]:
        return procstat.children(self.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session, made at start
            self.proc.wait(timeout=5)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
