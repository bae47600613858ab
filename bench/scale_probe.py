"""Timing and plan capture helpers for ``bench/scale.py``: latency samples and EXPLAINs.

Plans are taken of the SQL that SQLAlchemy actually emits: a ``before_cursor_execute``
listener records each statement with the parameters as sent to psycopg, and the same
text is then run under ``EXPLAIN (ANALYZE, BUFFERS, WAL)`` inside a transaction that is rolled
back, so explaining a write leaves no row behind.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event


@dataclass(frozen=True)
class Latency:
    """Milliseconds: the summary a latency table needs."""

    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    max: float
    cpu: float = float("nan")  # this process's CPU time per call: the client-side share

    @classmethod
    def of(cls, samples_ms: list[float], cpu_ms: float = float("nan")) -> Latency:
        cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
        return cls(
            n=len(samples_ms),
            p50=statistics.median(samples_ms),
            p90=cuts[89],
            p99=cuts[98],
            mean=statistics.fmean(samples_ms),
            max=max(samples_ms),
            cpu=cpu_ms,
        )


def sample(call: Callable[[int], object], n: int, warmup: int = 0) -> list[float]:
    """Run ``call(i)`` warmup + n times; return the n timed runs in milliseconds."""
    for i in range(warmup):
        call(-1 - i)
    samples = []
    for i in range(n):
        started = time.perf_counter_ns()
        call(i)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def interleaved(
    calls: dict[str, Callable[[int], object]], n: int, block: int = 100, warmup: int = 0
) -> dict[str, Latency]:
    """Time several calls in alternating blocks (A B C, C B A, ...), n samples each.

    The machine is shared (other benchmarks and test suites run on its two cores), so the
    cases being compared take turns: background load lands on all of them alike instead
    of on whichever happened to run second.
    """
    for call in calls.values():
        sample(call, 0, warmup)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    cpu = dict.fromkeys(calls, 0.0)
    names = list(calls)
    for round_no, start in enumerate(range(0, n, block)):
        for name in names if round_no % 2 == 0 else names[::-1]:
            started = time.process_time()
            samples[name] += sample(calls[name], min(block, n - start))
            cpu[name] += time.process_time() - started
    return {
        name: Latency.of(values, cpu[name] * 1000 / len(values)) for name, values in samples.items()
    }


@dataclass(frozen=True)
class Statement:
    """One statement as the driver received it."""

    sql: str
    params: Any


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    """Record every statement SQLAlchemy sends through ``engine`` inside the block."""
    seen: list[Statement] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append(Statement(statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def literal_sql(conn: Connection, statement: Statement) -> str:
    """The statement with its parameters inlined by psycopg itself, for the report."""
    raw = conn.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return psycopg.ClientCursor(raw).mogrify(statement.sql, statement.params)


def explain(conn: Connection, statement: Statement) -> str:
    """EXPLAIN (ANALYZE, BUFFERS, WAL) of a captured statement, in the caller's transaction."""
    rows = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, WAL) " + statement.sql, statement.params
    ).all()
    return "\n".join(row[0] for row in rows)


def explain_all(engine: Engine, statements: list[Statement]) -> list[tuple[str, str]]:
    """(literal SQL, plan) of each statement, in order, in one rolled-back transaction."""
    out = []
    with engine.connect() as conn:
        with conn.begin() as tx:
            for statement in statements:
                out.append((literal_sql(conn, statement), explain(conn, statement)))
            tx.rollback()
    return out
