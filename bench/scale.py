"""Scale benchmark: the filing path, 查询 and the reminder/expiry scans at 1M rows.

Run: ``.venv/bin/python -m bench.scale [--rows 1000000] [--database baobei_scale]``

What it answers (docs/scale.md has the results):
1. Does filing slow down as the tables grow? The same ``models.filings.file_one`` the
   webhook calls is timed for new clients on a database of ``--small-rows`` (1k) rows and
   one of ``--rows`` (1M) rows; the target is p50 at 1M <= 1.2 x p50 at 1k.
2. Can the reminder and expiry job (not built yet) find what is due in under a second?
   The scans it will need are defined below as SQLAlchemy Core selects, timed at 1M rows
   with ~1 % due, and checked against the counts the seeder recorded.
3. Which index makes a slow scan (or 查询) fast: candidates are created in the bench
   database only (the migrations are not touched) and everything is timed again.
4. The plans (EXPLAIN ANALYZE, BUFFERS) of the hot statements, as SQLAlchemy emits them.

Both databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import OperationalError

from bench import scale_paths as paths
from bench import scale_report as report
from bench.scale_probe import captured, explain_all, interleaved
from bench.scale_seed import TZ, Seeded, drop_database, dsn, end_of_day, seed
from models.entities import Agent, Client, Filing

AGENTS_T, CLIENTS, FILINGS = Agent.__table__, Client.__table__, Filing.__table__
SCAN_REPEAT = 5
FLOOR_COMMIT = "floor: 1-row INSERT, autocommit"
FLOOR_ROUND_TRIP = "floor: SELECT 1"
# Created in the bench database only, after the migrated schema has been measured; the
# report shows each one's effect (docs/scale.md). Two for the scans, one for 查询.
CANDIDATE_INDEXES: dict[str, str] = {
    # ix_filings_filed_protection_ends and ix_filings_agent_id_id, recommended by the first
    # run, are in the migrations (0002) now; this one was judged not needed yet.
    "ix_clients_visited_protected_until": (
        "CREATE INDEX IF NOT EXISTS ix_clients_visited_protected_until"
        " ON clients (protected_until) WHERE state = 'visited'"
    ),
}


# ---------------------------------------------------------------- the job's scans


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of a local day: protections end at 23:59:59.999999 of a day."""
    start = datetime.combine(day, clock_time.min, tzinfo=TZ)
    return start, start + timedelta(days=1)


def lapsing_filings(day: date) -> Select[Any]:
    """R4: filings still ``filed`` whose 7-day protection ends on ``day``.

    Run for today, it lists the filings that lapse tonight; run for tomorrow, it is the
    "1 day before" reminder. Joined to the agent for the openid the reminder goes to.
    """
    start, end = day_bounds(day)
    return (
        select(
            FILINGS.c.id,
            FILINGS.c.project_id,
            FILINGS.c.client_name,
            FILINGS.c.phone_mask,
            FILINGS.c.protection_ends_at,
            AGENTS_T.c.openid,
        )
        .join_from(FILINGS, AGENTS_T, AGENTS_T.c.id == FILINGS.c.agent_id)
        .where(
            FILINGS.c.status == "filed",
            FILINGS.c.protection_ends_at >= start,
            FILINGS.c.protection_ends_at < end,
        )
        .order_by(FILINGS.c.id)
    )


def visit_protections_ending(day: date) -> Select[Any]:
    """R8: visited clients whose 45-day protection ends on ``day`` (today + 7, today + 1).

    The client's record is the authority on who protects it until when; the owner agent
    (outer join: a reminder must not vanish with a missing owner) gets the message.
    """
    start, end = day_bounds(day)
    return (
        select(
            CLIENTS.c.id,
            CLIENTS.c.project_id,
            CLIENTS.c.name,
            CLIENTS.c.phone_mask,
            CLIENTS.c.protected_until,
            CLIENTS.c.owner_distributor_id,
            AGENTS_T.c.openid,
        )
        .join_from(CLIENTS, AGENTS_T, AGENTS_T.c.id == CLIENTS.c.owner_agent_id, isouter=True)
        .where(
            CLIENTS.c.state == "visited",
            CLIENTS.c.protected_until >= start,
            CLIENTS.c.protected_until < end,
        )
        .order_by(CLIENTS.c.id)
    )


def expired_protections(since: datetime, until: datetime) -> Select[Any]:
    """Expiry: protections (filed or visited) that ended in (last run, now].

    A filed one has lapsed (the client is free again, R4); a visited one becomes the
    site's public client (R8). Bounded below by the last run so each end is seen once.
    """
    return (
        select(
            CLIENTS.c.id,
            CLIENTS.c.state,
            CLIENTS.c.project_id,
            CLIENTS.c.owner_agent_id,
            CLIENTS.c.owner_distributor_id,
            CLIENTS.c.protected_until,
        )
        .where(
            CLIENTS.c.state.in_(("filed", "visited")),
            CLIENTS.c.protected_until > since,
            CLIENTS.c.protected_until <= until,
        )
        .order_by(CLIENTS.c.id)
    )


def scan_cases(seeded: Seeded) -> list[tuple[str, str, Select[Any], int]]:
    """(name, what it is for, select, rows the seeder made due) at the seed's clock."""
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
        (
            "lapsing_filings(today)",
            "R4 lapse tonight",
            lapsing_filings(today),
            fil[("filed", today)],
        ),
        (
            "lapsing_filings(today+1)",
            "R4 reminder, 1 day before",
            lapsing_filings(tomorrow),
            fil[("filed", tomorrow)],
        ),
        (
            "visit_protections_ending(today+7)",
            "R8 reminder, 7 days before",
            visit_protections_ending(week),
            cli[("visited", week)],
        ),
        (
            "visit_protections_ending(today+1)",
            "R8 reminder, 1 day before",
            visit_protections_ending(tomorrow),
            cli[("visited", tomorrow)],
        ),
        (
            "expired_protections(last run, now]",
            "expiry since the last daily run",
            expired_protections(since, until),
            expired,
        ),
    ]


def time_scan(engine: Engine, stmt: Select[Any]) -> tuple[float, float, int, bool]:
    """(first ms, median ms, rows, timed out): the job fetches every row it acts on."""
    times, count = [], -1
    with engine.connect() as conn:
        for _ in range(SCAN_REPEAT):
            started = time.perf_counter()
            try:
                count = len(conn.execute(stmt).all())
            except OperationalError:  # statement_timeout: slower than the service allows
                conn.rollback()
                return float("nan"), float("nan"), -1, True
            times.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return times[0], statistics.median(times), count, False


def run_scans(engine: Engine, seeded: Seeded, label: str) -> list[report.ScanTiming]:
    """Time every scan and check it returns exactly what the seeder made due."""
    out = []
    for name, purpose, stmt, expected in scan_cases(seeded):
        first, median, count, timed_out = time_scan(engine, stmt)
        out.append(
            report.ScanTiming(name, purpose, label, expected, count, first, median, timed_out)
        )
        status = "timeout" if timed_out else f"{median:.1f} ms, {count} rows"
        print(f"  scan {name} [{label}]: {status} (expected {expected})", file=sys.stderr)
    return out


def scan_plans(engine: Engine, seeded: Seeded, label: str) -> list[report.Plan]:
    plans = []
    for name, purpose, stmt, _ in scan_cases(seeded):
        with captured(engine) as seen:
            with engine.connect() as conn:
                conn.execute(stmt).all()
        for sql_text, plan in explain_all(engine, seen):
            plans.append(report.Plan(f"{name} — {purpose} ({label})", sql_text, plan))
    return plans


# ---------------------------------------------------------------- the run


def build_indexes(database: str, ddls: dict[str, str]) -> list[report.IndexBuild]:
    """Candidate indexes, in the bench database only; ANALYZE so the planner costs them."""
    builds = []
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        for name, ddl in ddls.items():
            started = time.perf_counter()
            conn.execute(ddl)
            build_s = time.perf_counter() - started
            size = conn.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()
            builds.append(report.IndexBuild(name, ddl, build_s, int(size[0]) if size else 0))
        conn.execute("ANALYZE filings")
        conn.execute("ANALYZE clients")
    return builds


def time_filing(
    args: argparse.Namespace, engines: dict[str, Engine], seeds: dict[str, Seeded], tag: str
) -> dict[str, report.Latency]:
    """Filing at both sizes, alternating, with the two floors alongside on the large one."""
    small, large = list(engines)
    calls = {name: paths.filing_call(engines[name], seeds[name], tag) for name in engines}
    calls[FLOOR_COMMIT] = paths.commit_floor_call(engines[large])
    calls[FLOOR_ROUND_TRIP] = paths.round_trip_call(engines[large])
    started = time.perf_counter()
    result = interleaved(calls, args.filings, block=20, warmup=args.warmup)
    print(
        f"  filing [{tag}]: {time.perf_counter() - started:.0f} s, p50 "
        + ", ".join(f"{k} {v.p50:.2f} ms" for k, v in result.items()),
        file=sys.stderr,
    )
    return result


def time_queries(
    args: argparse.Namespace, engines: dict[str, Engine], with_small: bool
) -> dict[str, report.Latency]:
    """Today's 查询 (page 1, page 20, by mask) and the page-first proposal."""
    small, large = list(engines)
    calls: dict[str, paths.Call] = {}
    sizes = (small, large) if with_small else (large,)
    for size in sizes:
        calls[f"查询 page 1 @{size}"] = paths.query_call(engines[size], 1)
        calls[f"查询 page 20 @{size}"] = paths.query_call(engines[size], 20)
        calls[f"查询 <mask> @{size}"] = paths.query_call(engines[size], 1, by_mask=True)
    ordinary = paths.ORDINARY_AGENT_ID
    calls[f"查询 page 1, ordinary agent @{large}"] = paths.query_call(
        engines[large], 1, agent_id=ordinary
    )
    calls[f"proposed page 1 @{large}"] = paths.proposed_query_call(engines[large], 1)
    calls[f"proposed page 20 @{large}"] = paths.proposed_query_call(engines[large], 20)
    return interleaved(calls, args.queries, block=25, warmup=5)


def measure(args: argparse.Namespace, results: report.Results) -> None:
    """Everything after seeding, in an order that keeps the comparisons fair.

    Filing and 查询 are timed on the migrated schema first (that is what 1k vs 1M
    compares); the candidate indexes come after, and the filing is timed again with them
    to show what they cost the write path.
    """
    seeds = {label(results.small.rows): results.small, label(results.large.rows): results.large}
    engines = {name: paths.engine_for(seeded) for name, seeded in seeds.items()}
    small, large = list(engines)
    try:
        paths.make_floor_table(engines[large])
        results.plans += paths.write_path_plans(engines[small], datetime.now(TZ), small)
        results.plans += paths.write_path_plans(engines[large], datetime.now(TZ), large)
        with results.load("filing, migrated schema"):
            results.filing = time_filing(args, engines, seeds, "a")
        with results.load("查询, migrated schema"):
            results.queries = time_queries(args, engines, with_small=True)
        results.heavy_filings = {n: paths.heavy_agent_filings(e) for n, e in engines.items()}
        results.scans_small = run_scans(engines[small], results.small, report.BEFORE)
        results.scans_before = run_scans(engines[large], results.large, report.BEFORE)
        results.plans += paths.query_plans(engines[large], report.BEFORE)
        results.plans += scan_plans(engines[large], results.large, report.BEFORE)
        results.index_builds = build_indexes(results.large.database, CANDIDATE_INDEXES)
        results.scans_after = run_scans(engines[large], results.large, report.AFTER)
        results.plans += paths.query_plans(engines[large], report.AFTER)
        results.plans += scan_plans(engines[large], results.large, report.AFTER)
        with results.load("查询, candidate indexes"):
            results.queries_after = time_queries(args, engines, with_small=False)
        with results.load("filing, candidate indexes"):
            results.filing_after = time_filing(args, engines, seeds, "b")
    finally:
        for engine in engines.values():
            engine.dispose()


def label(rows: int) -> str:
    return report.rows_label(rows)


def machine_facts() -> dict[str, str]:
    with psycopg.connect(dsn("postgres")) as conn:
        version = conn.execute("SELECT version()").fetchone()
        settings = conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
            (
                [
                    "shared_buffers",
                    "work_mem",
                    "synchronous_commit",
                    "effective_cache_size",
                    "random_page_cost",
                    "max_parallel_workers_per_gather",
                ],
            ),
        ).fetchall()
    facts = {
        "nproc": str(os.cpu_count()),
        "CPU": _cpu_model(),
        "RAM": _mem_total(),
        "PostgreSQL": version[0] if version else "?",
        "Python": sys.version.split()[0],
    }
    facts.update({f"pg {name}": value for name, value in settings})
    for path in ("/work", "/tmp"):
        usage = shutil.disk_usage(path)
        facts[f"free on {path} (before)"] = f"{usage.free / 2**30:.0f} GiB"
    return facts


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def _mem_total() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    return "?"


def check_disk(rows: int) -> None:
    """Refuse to start when the data directory's disk cannot hold ~4 KB a row twice over."""
    need = rows * 4096 * 2
    free = shutil.disk_usage(
        "/var/lib/postgresql" if Path("/var/lib/postgresql").exists() else "/"
    ).free
    if free < need:
        sys.exit(f"only {free / 2**30:.1f} GiB free, {need / 2**30:.1f} GiB wanted: use --rows")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=1000)
    parser.add_argument("--database", default="baobei_scale")
    parser.add_argument("--filings", type=int, default=2000, help="timed filings per size")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200, help="timed 查询 per case")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per COPY transaction")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--report", default=f"bench/results/{date.today():%Y-%m-%d}/scale.md",
        help="where the generated report goes (docs/scale.md is the curated summary)",
    )
    parser.add_argument(
        "--save-results",
        default=str(Path(tempfile.gettempdir()) / "baobei_scale_results.pkl"),
        help="also pickle the measurements here, for --from-results (default: %(default)s)",
    )
    parser.add_argument(
        "--from-results", help="only re-render the report from a --save-results file"
    )
    return parser.parse_args(argv)


def write_report(args: argparse.Namespace, results: report.Results) -> None:
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(report.render(results), encoding="utf-8")
    print(report.summary(results))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_results:  # a report template change should not cost a 10-minute run
        results = pickle.loads(Path(args.from_results).read_bytes())
        write_report(args, results)
        return 0 if report.all_counts_match(results) else 1
    check_disk(args.rows)
    facts = machine_facts()
    started = time.perf_counter()
    small_db, large_db = f"{args.database}_small", args.database
    try:
        print(f"== seeding {args.small_rows:,} rows into {small_db}", file=sys.stderr)
        small = seed(small_db, args.small_rows, args.batch)
        print(f"== seeding {args.rows:,} rows into {large_db}", file=sys.stderr)
        large = seed(large_db, args.rows, args.batch)
        print(f"  seeded in {large.total_s:.0f} s", file=sys.stderr)
        results = report.Results(small=small, large=large)
        measure(args, results)
    finally:
        if not args.keep:
            drop_database(small_db)
            drop_database(large_db)
    results.command = " ".join([".venv/bin/python -m bench.scale", *(argv or sys.argv[1:])])
    results.facts = facts
    results.wall_s = time.perf_counter() - started
    if args.save_results:
        Path(args.save_results).write_bytes(pickle.dumps(results))
    write_report(args, results)
    return 0 if report.all_counts_match(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
