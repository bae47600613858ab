"""CPU per filing inside one process: the quick loop for work on the filing's write path.

``.venv/bin/python -m bench.filing_cpu [--n 2000] [--profile]`` seeds the benchmark
database as the webhook benchmark does, pre-builds N signed, encrypted filings, then posts
them one by one through the Flask app (no HTTP server, no load generator) and reports the
CPU and wall time per filing. It is not a replacement for ``bench/run.sh``: no concurrency,
no gunicorn; it answers "did this change make a filing cheaper?" in seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from bench.common import REDIS_URL, Credentials
from bench.loadgen import arrival_text, filing_text, sender
from bench.seed import BENCH_URL, count_filed, reset_all
from bot import create_app
from bot.simulator import WeChatSimulator, flask_transport

WARMUP = 50  # pools, prepared statements, caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="filings timed (after 50 warm-up)")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    args = parser.parse_args()
    reset_all()
    creds = Credentials()
    app = create_app(
        {
            "app": {"rate_limit_per_minute": 0, "log_level": "WARNING"},
            "database": {"url": BENCH_URL},
            "redis": {"url": REDIS_URL, "prefix": "cpu"},
            "wechat": {**creds.settings(), "timestamp_tolerance_seconds": 0},
        }
    )
    client = app.test_client()
    sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, flask_transport(client))
    arrival = arrival_text()
    requests = [
        sim.sign_and_wrap(sim.text_xml(sender(i), filing_text(i, arrival)))
        for i in range(args.n + WARMUP)
    ]
    for query, body in requests[:WARMUP]:
        client.post(f"/wechat?{query}", data=body)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for query, body in requests[WARMUP:]:
        response = client.post(f"/wechat?{query}", data=body)
        assert response.status_code == 200
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    filed = count_filed()  # checked after the clock stops: every message became a filing
    assert filed == len(requests), f"{filed} filings of {len(requests)} messages"
    print(
        f"{args.n} filings: {cpu / args.n * 1000:.3f} ms CPU, {wall / args.n * 1000:.3f} ms wall"
        " per filing (webhook in-process, one thread)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
