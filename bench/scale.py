"""Scale benchmark: the filing path, 查询 and the reminder/expiry scans at 1M rows.

    .venv/bin/python -m bench.scale [--rows 1000000] [--database baobei_scale]
    .venv/bin/python -m bench.scale --smoke     # about a minute: 20k rows, few samples

What it answers (docs/scale.md keeps the results and what they mean):
1. Does filing slow down as the tables grow? ``models.filings.file_one``, which the
   webhook calls, is timed for new clients on a database of ``--small-rows`` (1k) rows and
   one of ``--rows`` (1M), interleaved; the target is p50 at 1M <= 1.2 x p50 at 1k.
2. Does 查询 stay fast for an agent with ~1 % of all filings, and for an ordinary one?
3. Can the reminder and expiry job find what is due in well under a second? Its scans
   (``bench.scale_paths``) are timed with ~1 % due and checked against the counts the
   seeder recorded: a scan is only fast if it returns exactly the rows that are due.

It prints the measured tables as Markdown (``--report`` also writes them to a file).
Both databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.exc import OperationalError

from bench import scale_paths as paths
from bench.common import drop_database, machine_facts
from bench.scale_seed import Seeded, end_of_day, seed

SCAN_REPEAT = 5
RATIO_TARGET = 1.2


def label(rows: int) -> str:
    """1000 -> 1k, 1000000 -> 1M: the names the two databases go by in every table."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    return f"{rows // 1000}k" if rows % 1000 == 0 else f"{rows:,}"


def scan_cases(seeded: Seeded) -> list[tuple[str, Select[Any], int]]:
    """(name, select, rows the seeder made due) at the seed's clock."""
    today = seeded.now.date()
    fil, cli = seeded.expected.filings, seeded.expected.clients
    since, until = seeded.last_expiry_run, seeded.now
    expired = sum(
        count
        for (state, day), count in cli.items()
        if state in ("filed", "visited") and since < end_of_day(day) <= until
    )
    tomorrow, week = today + timedelta(days=1), today + timedelta(days=7)
    return [
        ("lapsing_filings(today)", paths.lapsing_filings(today), fil[("filed", today)]),
        ("lapsing_filings(today+1)", paths.lapsing_filings(tomorrow), fil[("filed", tomorrow)]),
        (
            "visit_protections_ending(today+7)",
            paths.visit_protections_ending(week),
            cli[("visited", week)],
        ),
        (
            "visit_protections_ending(today+1)",
            paths.visit_protections_ending(tomorrow),
            cli[("visited", tomorrow)],
        ),
        ("expired_protections(last run, now]", paths.expired_protections(since, until), expired),
    ]


def time_scans(engine: Engine, seeded: Seeded) -> list[str]:
    """Table rows: each scan's first and median time, and whether it returned what is due."""
    rows = []
    for name, stmt, expected in scan_cases(seeded):
        times, count = [], -1
        with engine.connect() as conn:
            for _ in range(SCAN_REPEAT):
                started = time.perf_counter()
                try:
                    count = len(conn.execute(stmt).all())  # the job fetches every row
                except OperationalError:  # statement_timeout: slower than the service allows
                    conn.rollback()
                    break
                times.append((time.perf_counter() - started) * 1000)
                conn.rollback()
        first = f"{times[0]:.1f}" if times else "timeout"
        median = f"{statistics.median(times):.1f}" if times else "timeout"
        exact = "yes" if count == expected else "**NO**"
        rows.append(
            f"| `{name}` | {label(seeded.rows)} | {expected:,} | {count:,} | {exact}"
            f" | {first} | {median} |"
        )
    return rows


def latency_table(timings: dict[str, paths.Latency]) -> list[str]:
    out = [
        "| case | n | p50 | p90 | p99 | mean | client CPU / call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, t in timings.items():
        out.append(
            f"| {name} | {t.n} | {t.p50:.2f} | {t.p90:.2f} | {t.p99:.2f} | {t.mean:.2f}"
            f" | {t.cpu:.2f} |"
        )
    return out


def measure(args: argparse.Namespace, small: Seeded, large: Seeded) -> list[str]:
    """Filing (with the floors), 查询 and the scans; the report's tables."""
    s, big = label(small.rows), label(large.rows)
    engines = {s: paths.engine_for(small), big: paths.engine_for(large)}
    try:
        calls = {f"file_one @{s}": paths.filing_call(engines[s], small, "a")}
        calls[f"file_one @{big}"] = paths.filing_call(engines[big], large, "a")
        calls.update(paths.floor_calls(engines[big]))
        filing = paths.interleaved(calls, args.filings, block=20, warmup=args.warmup)
        print(f"  filing: p50 {filing[f'file_one @{big}'].p50:.2f} ms at {big}", file=sys.stderr)
        queries: dict[str, paths.Call] = {}
        for size, engine in engines.items():
            queries[f"查询 page 1 @{size}"] = paths.query_call(engine, 1)
            queries[f"查询 page 20 @{size}"] = paths.query_call(engine, 20)
            queries[f"查询 <mask> @{size}"] = paths.query_call(engine, 1, by_mask=True)
        ordinary = paths.query_call(engines[big], 1, agent=paths.ORDINARY_AGENT_ID)
        queries[f"查询 page 1, ordinary agent @{big}"] = ordinary
        listing = paths.interleaved(queries, args.queries, block=25, warmup=5)
        scans = time_scans(engines[s], small) + time_scans(engines[big], large)
    finally:
        for engine in engines.values():
            engine.dispose()
    ratio = filing[f"file_one @{big}"].p50 / filing[f"file_one @{s}"].p50
    return [
        f"## Filing (`models.filings.file_one`), ms; p50 ratio {big}/{s}: **{ratio:.2f}**"
        f" (target ≤ {RATIO_TARGET})",
        "",
        *latency_table(filing),
        "",
        "## 查询 (`models.queries.agent_filings`) as the busy agent (~1 % of filings), ms",
        "",
        *latency_table(listing),
        "",
        f"## The reminder job's scans, {SCAN_REPEAT} runs each, ms",
        "",
        "| scan | rows | due | returned | exact | first | median |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: |",
        *scans,
    ]


def seeding_table(seeds: list[Seeded]) -> list[str]:
    out = ["| database | rows | migrate s | COPY + FK check s | VACUUM s | size MiB |"]
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for x in seeds:
        mib = x.size / 2**20
        out.append(
            f"| {x.database} | {x.rows:,} | {x.migrate_s:.1f} | {x.copy_s:.1f}"
            f" | {x.vacuum_s:.1f} | {mib:,.0f} |"
        )
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=1000)
    parser.add_argument("--database", default="baobei_scale")
    parser.add_argument("--filings", type=int, default=2000, help="timed filings per size")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200, help="timed 查询 per case")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per COPY transaction")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--report", type=Path, help="also write the tables to this file")
    parser.add_argument("--smoke", action="store_true", help="20k rows, few samples")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.filings, args.warmup, args.queries = 20_000, 100, 10, 25
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    need = args.rows * 4096 * 2  # ~4 KB a row, twice over
    if (
        shutil.disk_usage(
            "/var/lib/postgresql" if Path("/var/lib/postgresql").exists() else "/"
        ).free
        < need
    ):
        sys.exit(f"less than {need / 2**30:.1f} GiB free for PostgreSQL: use --rows")
    facts, started = machine_facts(), time.perf_counter()
    names = (f"{args.database}_small", args.database)
    try:
        seeds = []
        for name, rows in zip(names, (args.small_rows, args.rows), strict=True):
            print(f"== seeding {rows:,} rows into {name}", file=sys.stderr)
            seeds.append(seed(name, rows, args.batch))
        tables = measure(args, *seeds)
    finally:
        if not args.keep:
            for name in names:
                drop_database(name)
    command = " ".join([".venv/bin/python -m bench.scale", *(argv or sys.argv[1:])])
    wall = timedelta(seconds=round(time.perf_counter() - started))
    report = "\n".join(
        [
            f"# Scale run, {datetime.now():%Y-%m-%d %H:%M}",
            "",
            f"`{command}`, {wall}. " + "; ".join(f"{k} {v}" for k, v in facts.items()) + ".",
            "",
            *seeding_table(seeds),
            "",
            *tables,
            "",
        ]
    )
    print(report)
    if args.report:
        args.report.write_text(report, encoding="utf-8")
    return 0 if "**NO**" not in report else 1


if __name__ == "__main__":
    raise SystemExit(main())
