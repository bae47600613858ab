"""CPU per filing inside one process: the quick loop for work on the filing's write path.

``.venv/bin/python -m bench.filing_cpu [--n 2000]`` seeds the benchmark database as the
webhook benchmark does, pre-builds N signed, encrypted filings, then posts them one by one
through the Flask app (no HTTP server, no load generator) and reports the CPU time and
wall time per filing, split into the webhook as a whole and the filing transaction alone.
It is not a replacement for ``bench/run.sh``: no concurrency, no gunicorn; it answers "did
this change make a filing cheaper?" in seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from datetime import datetime

from bench.loadgen import agent_openid, arrival_text, filing_text
from bench.seed import BENCH_URL, REDIS_URL, TZ, flush_redis, seed_filing_db
from bot import create_app
from bot.simulator import WeChatSimulator, flask_transport

TOKEN, APP_ID = "bench-token", "wxbench0000000001"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    args = parser.parse_args()
    seed_filing_db()
    flush_redis()
    app = create_app({
        "app": {"rate_limit_per_minute": 0, "log_level": "WARNING"},
        "database": {"url": BENCH_URL},
        "redis": {"url": REDIS_URL, "prefix": "cpu"},
        "wechat": {"token": TOKEN, "app_id": APP_ID, "encoding_aes_key": AES_KEY,
                   "timestamp_tolerance_seconds": 0},
    })
    client = app.test_client()
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(client))
    arrival = arrival_text(datetime.now(TZ))
    requests = [sim.sign_and_wrap(sim.text_xml(agent_openid(i % 1000), filing_text(i, arrival)))
                for i in range(args.n)]
    for query, body in requests[:50]:  # warm up: pools, prepared statements, caches
        client.post(f"/wechat?{query}", data=body)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for query, body in requests[50:]:
        response = client.post(f"/wechat?{query}", data=body)
        assert response.status_code == 200
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    count = len(requests) - 50
    print(f"{count} filings: {cpu / count * 1000:.3f} ms CPU, {wall / count * 1000:.3f} ms wall "
          "per filing (webhook in-process, one thread)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
