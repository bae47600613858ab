"""Redis for fault tests: a key prefix of the test's own on the shared server, or a private
redis-server the test may kill.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.conftest import REDIS_URL
from tests.faults.support.processes import (
    die_with_the_test_run,
    free_loopback_port,
    stop_process,
    tail,
    wait_until,
)

REDIS_SERVER = "/usr/bin/redis-server"


@contextlib.contextmanager
def unique_redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A key prefix on the shared Redis that only this test uses; its keys go after."""
    prefix = f"faults{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, so that killing it harms nobody else."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL, like a crashed host: no shutdown, no goodbye to its clients."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextlib.contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    """Start redis-server on a free loopback port (no persistence); stop it after."""
    port = free_loopback_port()
    log_path = workdir / f"redis-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_the_test_run,
        )
    server = PrivateRedis(port, process, log_path)
    try:
        wait_until(server.answers, 15, f"redis-server on port {port}\n{tail(log_path)}")
        yield server
    finally:
        stop_process(process, grace=5)
