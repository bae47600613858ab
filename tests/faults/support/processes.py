"""Child processes of a fault test: bounded waits, free ports, and stops that always reap."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class WaitTimedOut(AssertionError):
    """A bounded wait ran out; the message says what was awaited (and shows a log tail)."""


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds, never hang."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise WaitTimedOut(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_loopback_port() -> int:
    """A TCP port nobody listens on right now: bind port 0 and let the kernel choose."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_the_test_run() -> None:
    """preexec_fn: the child gets SIGKILL if pytest itself dies (prctl PR_SET_PDEATHSIG).

    ``finally`` blocks cover failing tests; this covers a killed test run, so a server
    started here can never outlive the run that started it.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1


def stop_process(
    process: subprocess.Popen[bytes], grace: float = 10.0, how: int = signal.SIGTERM
) -> None:
    """Send ``how`` (SIGTERM), then SIGKILL after ``grace`` seconds; always reaps it."""
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for assertion messages: a failure should explain itself."""
    try:
        content = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return f"--- last {lines} lines of {path.name} ---\n" + "\n".join(content[-lines:])
