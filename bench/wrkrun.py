"""Run wrk with ``bench/wrk.lua`` and read back what it measured.

wrk's own text output (with ``--latency``) is kept for people; the numbers the report uses
come from the JSON that the script's ``done()`` writes, so nothing is scraped from text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk.lua")


class WrkError(RuntimeError):
    """wrk is missing or did not finish; the message says how to get it or what it printed."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    latency_us: dict[str, float]
    errors: dict[str, int]
    statuses: dict[int, int]
    exhausted: bool
    loaded: int
    wrk_cpu_s: float
    text: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def socket_errors(self) -> int:
        return sum(v for k, v in self.errors.items() if k != "status")


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise WrkError("wrk not found: apt-get install -y wrk")
    return found


def run_wrk(
    url: str,
    requests_prefix: Path,
    threads: int,
    connections: int,
    seconds: float,
    result_path: Path,
    capture_prefix: Path | None = None,
    timeout_s: float = 10.0,
) -> WrkResult:
    """One wrk run; the socket timeout is long so slow replies are measured, not dropped."""
    env = {
        **os.environ,
        "BENCH_REQUESTS": str(requests_prefix),
        "BENCH_CAPTURE": str(capture_prefix) if capture_prefix else "",
        "BENCH_RESULT": str(result_path),
    }
    argv = [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={round(timeout_s)}s",
        "--latency",
        "-s",
        str(SCRIPT),
        url,
    ]
    result_path.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    text = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not result_path.exists():
        raise WrkError(
            f"wrk exited {proc.returncode} after {time.monotonic() - started:.1f}s:\n{text}"
        )
    return parse_result(json.loads(result_path.read_text()), usage.ru_utime + usage.ru_stime, text)


def parse_result(data: dict[str, Any], wrk_cpu_s: float, text: str) -> WrkResult:
    statuses: dict[int, int] = {}
    for thread in data["threads"]:
        for code, count in thread["statuses"].items():
            statuses[int(code)] = statuses.get(int(code), 0) + int(count)
    return WrkResult(
        requests=int(data["requests"]),
        seconds=float(data["duration_us"]) / 1e6,
        latency_us={k: float(v) for k, v in data["latency_us"].items()},
        errors={k: int(v) for k, v in data["errors"].items()},
        statuses=statuses,
        exhausted=any(t["exhausted"] for t in data["threads"]),
        loaded=sum(int(t["loaded"]) for t in data["threads"]),
        wrk_cpu_s=wrk_cpu_s,
        text=text,
    )
