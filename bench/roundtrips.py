"""Count what one filing costs PostgreSQL and Redis, statement by statement.

    .venv/bin/python -m bench.roundtrips [--messages 100]

pg_stat_statements is not preloaded on this server (a restart would hit everyone using
it), so PostgreSQL is asked to log instead: ``log_min_duration_statement = 0`` is set on
the benchmark database only (``ALTER DATABASE``; the database is dropped at the next
repetition anyway), which logs every parse/bind/execute with its server-side duration.
Redis commands are counted with MONITOR (redis-py's, same as ``redis-cli monitor`` but
nothing lost to output buffering) filtered to db 14. Messages are sent
one at a time after a warm-up, so every logged line belongs to a known number of filings.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import redis

from bench import seed
from bench.apps import credentials
from bench.loadgen import agent_openid, arrival_text, filing_text
from bench.server import Server, WorkerModel, free_port
from bench.webhook import RESULTS, make_targets
from bot.simulator import WeChatSimulator, http_transport

PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
LINE = re.compile(
    r"postgres@" + seed.BENCH_DB + r" LOG:  duration: (?P<ms>[\d.]+) ms  (?P<phase>[a-z ]+?)"
    r"(?: [^:]*)?: (?P<sql>.*)$"
)


@dataclass(frozen=True)
class Counts:
    messages: int
    pg_phases: Counter[str]  # (phase, statement head) -> executions
    pg_ms: Counter[str]  # (phase, statement head) -> server ms
    redis: Counter[str]  # command -> count
    xacts: float

    def render(self) -> str:
        n = self.messages
        lines = [
            f"{n} filings sent one at a time (after a warm-up); per filing:",
            "",
            "| PostgreSQL phase and statement | per filing | server ms per filing |",
            "|---|---:|---:|",
        ]
        for key, count in sorted(self.pg_phases.items(), key=lambda kv: -self.pg_ms[kv[0]]):
            lines.append(f"| `{key}` | {count / n:.2f} | {self.pg_ms[key] / n:.3f} |")
        executes = sum(v for k, v in self.pg_phases.items() if k.startswith("execute"))
        lines += [
            "",
            f"PostgreSQL statements executed per filing: {executes / n:.2f};"
            f" transactions committed per filing: {self.xacts / n:.2f};"
            f" server time per filing: {sum(self.pg_ms.values()) / n:.3f} ms.",
            "",
            "| Redis command (db 14) | per filing |",
            "|---|---:|",
        ]
        for cmd, count in self.redis.most_common():
            lines.append(f"| {cmd} | {count / n:.2f} |")
        return "\n".join(lines) + "\n"


def _head(sql: str) -> str:
    """The statement's shape: its first words, without values."""
    sql = re.sub(r"\s+", " ", sql).strip()
    return sql[:70] + ("…" if len(sql) > 70 else "")


def _commits() -> int:
    with psycopg.connect(seed.ADMIN_DSN) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (seed.BENCH_DB,)
        ).fetchone()
        return int(row[0]) if row else 0


class RedisMonitor:
    """Collect every command Redis runs on db 14 until ``stop``."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(seed.REDIS_URL)
        self.commands: Counter[str] = Counter()
        self._stop = threading.Event()
        self._monitor = self.client.monitor()
        self._monitor.__enter__()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            event = self._monitor.next_command()
            if int(event.get("db", -1)) == 14 and not self._stop.is_set():
                self.commands[str(event["command"]).split()[0].upper()] += 1

    def stop(self) -> Counter[str]:
        time.sleep(0.3)
        self._stop.set()
        self.client.ping()  # wakes the monitor's read so the thread can end
        self._thread.join(timeout=5)
        self.client.close()
        return self.commands


def _log_statements(on: bool) -> None:
    """Log every statement on the benchmark database (new sessions only), or stop."""
    setting = "SET log_min_duration_statement = 0" if on else "RESET log_min_duration_statement"
    with psycopg.connect(seed.ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {seed.BENCH_DB} {setting}")


def count(messages: int, warmup: int = 20) -> Counts:
    seed.reset_all()
    _log_statements(True)
    try:
        return _count(messages, warmup)
    finally:
        _log_statements(False)  # the shared server's log is not ours to fill


def _count(messages: int, warmup: int) -> Counts:
    creds = credentials()
    out = RESULTS / date.today().isoformat() / "raw"
    server = Server(
        make_targets("d")[0],
        WorkerModel.parse("sync:1"),
        free_port(),
        creds.as_env(),
        out / "roundtrips.server.log",
    )
    xacts = _commits()
    with server:
        sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, http_transport(server.url))
        arrival = arrival_text()
        index = 10**7  # far from any benchmark run's indices
        for _ in range(warmup):  # connects the pool, lets psycopg prepare its statements
            sim.say(agent_openid(index % 1000), filing_text(index, arrival))
            index += 1
        offset = PG_LOG.stat().st_size
        monitor = RedisMonitor()
        for _ in range(messages):
            reply = sim.say(agent_openid(index % 1000), filing_text(index, arrival))
            assert reply.text and "报备成功" in reply.text, reply.text
            index += 1
        redis_cmds = monitor.stop()
    time.sleep(1.0)  # backends flush their statistics when they exit
    # Commits are counted over warm-up and measured messages alike (no mid-run flush).
    xacts = (_commits() - xacts) * messages / (messages + warmup)
    with PG_LOG.open("rb") as handle:
        handle.seek(offset)
        log = handle.read().decode("utf-8", "replace")
    phases: Counter[str] = Counter()
    ms: Counter[str] = Counter()
    for line in log.splitlines():
        match = LINE.search(line)
        if match:
            key = f"{match.group('phase')}: {_head(match.group('sql'))}"
            phases[key] += 1
            ms[key] += float(match.group("ms"))
    return Counts(messages, phases, ms, redis_cmds, xacts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.roundtrips", description=__doc__.split("\n")[0]
    )
    p.add_argument("--messages", type=int, default=100)
    a = p.parse_args(argv)
    text = count(a.messages).render()
    out = RESULTS / date.today().isoformat()
    out.mkdir(parents=True, exist_ok=True)
    (out / "roundtrips.md").write_text("# Round trips per filing\n\n" + text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
