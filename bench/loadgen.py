"""Requests made ahead of time, then replayed once each by wrk (``bench/wrk.lua``).

Signing and encrypting costs ~80 us a message in Python, about what the server spends on
decrypting, so doing it inside the load generator would steal the server's cores. Instead
each run gets files made just before it (timestamps are current; the server's tolerance
covers the run): one file per wrk thread, one request a line, each used once.

Line format: ``<path?query>\\t<body>``, with ``\\``, tab and newline in the body escaped
as ``\\\\``, ``\\t`` and ``\\n`` (``bench/wrk.lua`` undoes it once, at load time).

Every target gets the same messages: new-client filings (``报备 P1 客户… 13x****dddd 本地
<two days ahead>``), each from one of 1,000 bound agents, each client name unique, so the
echo baselines decrypt and answer messages of exactly the size the filing path does.
wrk's numbers come back as the JSON the script's ``done()`` writes: nothing is scraped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import TZ, Credentials, agent_openid, letters
from bot.simulator import WeChatSimulator

AGENTS = 1000
CHUNK = 2000
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


def phone_mask(index: int) -> str:
    """``1<3-9><d>****<dddd>``, varied by index; the name alone keeps clients unique."""
    return f"1{3 + index % 7}{index // 7 % 10}****{index // 70 % 10000:04d}"


def filing_text(index: int, arrival: str) -> str:
    return f"报备 P1 客户{letters(index)} {phone_mask(index)} 本地 {arrival}"


def arrival_text() -> str:
    """Two days ahead, to the minute: always far enough for the local notice rule."""
    return (datetime.now(TZ) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")


def sender(index: int) -> str:
    return agent_openid(index % AGENTS)


def offline_simulator(creds: Credentials) -> WeChatSimulator:
    """Signs, encrypts and reads replies; never sends anything itself."""
    return WeChatSimulator(creds.token, creds.app_id, creds.aes_key, post=lambda _q, _b: (0, b""))


def _lines(batch: tuple[Credentials, int, int, int, str]) -> list[str]:
    """Runs in a pool process: sign and encrypt messages ``first .. first+count-1``."""
    creds, first, count, msg_base, arrival = batch
    sim = offline_simulator(creds)
    lines = []
    for index in range(first, first + count):
        xml = sim.text_xml(sender(index), filing_text(index, arrival), msg_id=msg_base + index)
        query, body = sim.sign_and_wrap(xml)
        escaped = body.decode().replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        lines.append(f"/wechat?{query}\t{escaped}\n")
    return lines


def generate(
    prefix: Path, threads: int, creds: Credentials, first: int, count: int, msg_base: int
) -> list[Path]:
    """Write ``count`` requests round-robin into ``<prefix>.0 .. <prefix>.<threads-1>``.

    MsgId is ``msg_base + index``. Uses every core (the server is idle meanwhile).
    """
    files = [prefix.with_name(f"{prefix.name}.{t}") for t in range(threads)]
    handles = [file.open("w", encoding="utf-8") for file in files]
    arrival = arrival_text()
    batches = [
        (creds, start, min(CHUNK, first + count - start), msg_base, arrival)
        for start in range(first, first + count, CHUNK)
    ]
    try:
        with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
            position = 0
            for lines in pool.map(_lines, batches):
                for line in lines:
                    handles[position % threads].write(line)
                    position += 1
    finally:
        for handle in handles:
            handle.close()
    return files


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    latency_us: dict[str, float]
    errors: dict[str, int]
    statuses: dict[int, int]
    exhausted: bool  # a thread ran out of requests: the rate says nothing, run again
    wrk_cpu_s: float
    text: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str, requests: Path, threads: int, conns: int, seconds: float, out: Path, capture: Path
) -> WrkResult:
    """One wrk run; the socket timeout is long so slow replies are measured, not dropped."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk not found: apt-get install -y wrk (bench/run.sh does)")
    env = {
        **os.environ,
        "BENCH_REQUESTS": str(requests),
        "BENCH_CAPTURE": str(capture),
        "BENCH_RESULT": str(out),
    }
    argv = [wrk, f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout=10s"]
    argv += ["--latency", "-s", str(WRK_SCRIPT), url]
    out.unlink(missing_ok=True)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    text = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)  # wrk's own CPU: it shares the cores too
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk exited {proc.returncode}:\n{text}")
    data: dict[str, Any] = json.loads(out.read_text())
    statuses: dict[int, int] = {}
    for thread in data["threads"]:
        for code, n in thread["statuses"].items():
            statuses[int(code)] = statuses.get(int(code), 0) + int(n)
    return WrkResult(
        requests=int(data["requests"]),
        seconds=float(data["duration_us"]) / 1e6,
        latency_us={k: float(v) for k, v in data["latency_us"].items()},
        errors={k: int(v) for k, v in data["errors"].items()},
        statuses=statuses,
        exhausted=any(t["exhausted"] for t in data["threads"]),
        wrk_cpu_s=usage.ru_utime + usage.ru_stime,
        text=text,
    )
