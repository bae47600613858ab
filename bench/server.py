"""The one gunicorn launcher: every target starts and stops the same way, on 127.0.0.1.

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
from dataclasses import dataclass, field
from pathlib import Path

from bench import procstat
from bench.common import ROOT, free_port

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
        return args + (["--threads", str(self.threads)] if self.worker_class == "gthread" else [])


@dataclass(frozen=True)
class Target:
    """One thing to load: a gunicorn app spec and its extra environment."""

    key: str  # a b c d
    name: str
    app: str
    env: dict[str, str] = field(default_factory=dict)
    scratch: bool = False  # run in an empty directory (WeRoBot writes its SQLite file there)


class Server:
    """One gunicorn master and its workers; a context manager that always stops them."""

    def __init__(
        self, target: Target, model: WorkerModel, env: dict[str, str], log: Path, cwd: Path
    ) -> None:
        self.target, self.model, self.port = target, model, free_port()
        self.env, self.log, self.cwd = env, log, cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    def __enter__(self) -> Server:
        argv = [str(GUNICORN), self.target.app, "--bind", f"127.0.0.1:{self.port}"]
        argv += [*self.model.argv(), "--log-level", "warning", "--timeout", "60"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        env.update({**self.env, **self.target.env})
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                argv, cwd=self.cwd, env=env, stdout=log, stderr=log, start_new_session=True
            )
        try:
            self._wait_ready(30.0)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Every worker forked and the socket answering HTTP (any status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target.name} exited at start; see {self.log}")
            if len(self.workers()) >= self.model.workers and self._answers():
                return
            time.sleep(0.1)
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

    def __exit__(self, *_exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session, made at start
            self.proc.wait(timeout=5)
