"""Imports of 100,000 rows (issue 19 item 2): wall time and peak memory, CSV and XLSX.

``.venv/bin/python -m bench.imports [--rows 100000]`` writes the files (来电来访 and 明源
deal records, as CSV and XLSX), creates the database ``baobei_bench_imports`` on the local
PostgreSQL, and runs each import as the operator would, ``flask --app bot import …``,
under ``/usr/bin/time`` (elapsed seconds, maximum resident set). Each file goes into its
own project, so every run creates all its rows; the last run imports the first file again
(every row unchanged). Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

from bench.common import REDIS_URL, ROOT, letters, recreate_database, sa_url

DATABASE = "baobei_bench_imports"
VISITS = ("客户姓名", "手机号", "首次来访时间", "来源")
DEALS = ("记录编号", "买受人", "联系电话", "来源渠道", "认购日期", "网签日期", "成交总价", "房号")


def visit_rows(count: int) -> Iterator[tuple[object, ...]]:
    start = datetime(2026, 1, 1, 9)
    for i in range(count):
        yield f"客户{letters(i)}", f"13{i:09d}", start + timedelta(minutes=i), "自然来访"


def deal_rows(count: int) -> Iterator[tuple[object, ...]]:
    for i in range(count):
        day = date(2026, 1, 1) + timedelta(days=i % 330)
        yield (
            f"MY{i:08d}",
            f"客户{letters(i)}",
            f"13{i:09d}",
            "甲房产",
            day,
            day,
            3_000_000 + i,
            f"{i % 30}-{i % 1000}",
        )


def write_csv(path: Path, header: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    done.check_returncode()
    return done


def measured(env: dict[str, str], timing: Path, *args: str) -> tuple[str, float, int]:
    """(created, seconds, peak RSS in MiB) of one import command."""
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%e %M",
            "-o",
            str(timing),
            str(ROOT / ".venv/bin/flask"),
            "--app",
            "bot",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    seconds, kib = timing.read_text().split()[-2:]
    summary = done.stderr.strip().splitlines()[-1]
    return f"{done.stdout.strip().splitlines()[-1]} ({summary})", float(seconds), int(kib) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    env = {
        **os.environ,
        "BAOBEI_DATABASE__URL": sa_url(DATABASE),
        "BAOBEI_REDIS__URL": REDIS_URL,
        "BAOBEI_APP__LOG_LEVEL": "WARNING",
    }
    recreate_database(DATABASE)
    flask(env, "db", "upgrade")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        files = [
            ("visits", "P1", write_csv(work / "visits.csv", VISITS, visit_rows(rows))),
            ("visits", "P2", write_xlsx(work / "visits.xlsx", VISITS, visit_rows(rows))),
            ("deals", "P3", write_csv(work / "deals.csv", DEALS, deal_rows(rows))),
            ("deals", "P4", write_xlsx(work / "deals.xlsx", DEALS, deal_rows(rows))),
            ("visits", "P1", work / "visits.csv"),  # again: every row unchanged
        ]
        for code in ("P1", "P2", "P3", "P4"):
            flask(env, "project", "add", code, f"项目{code}")
        print(f"| command ({rows:,} rows) | file MB | created (summary) | seconds | peak RSS MiB |")
        print("|---|---:|---|---:|---:|")
        for kind, code, path in files:
            created, seconds, mib = measured(
                env, work / "time.txt", "import", kind, code, str(path)
            )
            size = path.stat().st_size / 1e6
            print(
                f"| `import {kind} {code} {path.name}` | {size:.1f} | {created} | "
                f"{seconds:.1f} | {mib} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
