"""A morning of due reminders: drain N template pushes through the sender to the fake API.

``.venv/bin/python -m bench.pushes [--n 10000] [--rate 200] [--latency 0.0]`` queues N
lapse reminders (template kind) in a fresh PostgreSQL database, serves the fake WeChat API
in its own process (so its CPU is not counted), and drains the outbox once, as the
scheduler's ``send-pushes`` job does. It prints the time to drain, the sender's CPU per
push, and the rate the fake saw (the most sends in any one second against ``--rate``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import requests
from sqlalchemy import create_engine, insert

from bench.common import REDIS_URL, drop_database, free_port, recreate_database, sa_url
from bench.seed import TZ
from models import migrate, outbox
from models.db import table_of
from models.entities import Agent, Distributor
from models.push_entities import PushKind
from models.services import Services
from models.settings import load_settings
from scheduler.outbox import Sender

DATABASE = "baobei_bench_pushes"
TEMPLATE = {"template_id": "TPL_LAPSE", "keywords": {"client": "thing1", "ends_on": "time2"}}


AGENTS = 1000  # the recipients: bound agents, as the sender checks at send time (R12)


def seed_agents(conn: object, now: datetime) -> None:
    """The 1000 bound agents the reminders go to (one distributor)."""
    conn.execute(  # type: ignore[attr-defined]
        insert(table_of(Distributor)).values(
            id=1, name="甲房产", status="active", created_at=now, updated_at=now
        )
    )
    conn.execute(  # type: ignore[attr-defined]
        insert(table_of(Agent)),
        [
            {"openid": f"o_agent_{n}", "name": f"经纪人{n}", "distributor_id": 1, "bound_at": now}
            for n in range(AGENTS)
        ],
    )


def queue(url: str, count: int) -> None:
    now = datetime.now(TZ)
    engine = create_engine(url)
    with engine.begin() as conn:
        seed_agents(conn, now - timedelta(hours=1))
        for number in range(count):
            outbox.enqueue(
                conn,
                kind=PushKind.FILING_LAPSE_REMINDER,
                subject=f"filing:{number}",
                due_day=date.today(),
                openid=f"o_agent_{number % AGENTS}",
                text=f"报备 #{number} 明天到期",
                fields={"client": f"客户{number} 138****5678", "ends_on": "2026-11-29"},
                send_after=now - timedelta(minutes=1),
                now=now,
            )
    engine.dispose()


def busiest_second(times: list[float]) -> int:
    """The most sends the fake recorded within any one second."""
    times.sort()
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="pushes.sends_per_second")
    parser.add_argument("--latency", type=float, default=0.0, help="the fake's seconds per send")
    args = parser.parse_args()
    recreate_database(DATABASE)
    url = sa_url(DATABASE)
    migrate.upgrade(url)
    queue(url, args.n)
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "bot.fakeapi", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = fake.stdout.readline().decode().strip() if fake.stdout else ""
        requests.post(f"{base}/_fake/latency", json={"seconds": args.latency}, timeout=5)
        settings = load_settings(
            {
                "app": {"log_level": "WARNING"},
                "database": {"url": url},
                "redis": {"url": REDIS_URL, "prefix": "bench-pushes"},
                "wechat": {"api_base_url": base},
                "pushes": {
                    "sends_per_second": args.rate,
                    "templates": {"filing_lapse_reminder": TEMPLATE},
                },
            },
            environ={},
        )
        services = Services.build(settings)
        cpu, wall = time.process_time(), time.perf_counter()
        delivered = Sender(services).drain()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sent = requests.get(f"{base}/_fake/sent", timeout=60).json()
        services.engine.dispose()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        drop_database(DATABASE)
    print(f"pushes {args.n}, delivered {delivered}, received by the fake {len(sent)}")
    print(f"drain {wall:.1f} s, {delivered / wall:.0f} pushes/s (configured {args.rate:g}/s)")
    print(f"sender CPU {cpu:.1f} s, {1000 * cpu / max(delivered, 1):.2f} ms per push")
    print(f"busiest second at the fake: {busiest_second([s['at'] for s in sent])} sends")


if __name__ == "__main__":
    main()
