"""Medians with min–max over repetitions, the ratios against the targets, as Markdown.

Repetitions are interleaved (a, b, c, d per repetition), so ratios are taken per
repetition (d and b measured a minute apart, under the same conditions) and their median
and range reported, not only the ratio of the medians.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Any

NAMES = {"a": "(a) echo", "b": "(b) floor", "c": "(c) WeRoBot", "d": "(d) baobei"}
# (numerator, denominator, metric, threshold, at connections or None for all, higher is ok)
# Throughput ratios use correct replies per second: an empty or wrong reply is no service.
TARGETS = (("d", "b", "good", 0.7, 64, True), ("d", "b", "p99", 1.3, 64, False))
TARGETS += (("d", "c", "good", 1.5, None, True),)
Record = dict[str, Any]
METRICS: dict[str, Callable[[Record], float]] = {
    "rps": lambda r: float(r["rps"]),
    "good": lambda r: float(r["good_rps"]),
    "p50": lambda r: float(r["latency_ms"]["p50"]),
    "p99": lambda r: float(r["latency_ms"]["p99"]),
    "ceiling": lambda r: float(r["cpu_ceiling_rps"]),
    "busy": lambda r: 100.0 * float(r["machine_busy"]),
    "other": lambda r: float(r["other_cores"]),
    **{k: (lambda r, k=k: float(r["cpu_ms_per_request"][k])) for k in ("server", "postgres")},
    **{k: (lambda r, k=k: float(r["cpu_ms_per_request"][k])) for k in ("redis", "wrk")},
}


def spread(values: Iterable[float], digits: int = 0) -> str:
    """``median (min–max)``, or the single value when there is one."""
    values = sorted(values)
    if not values:
        return "–"
    med = f"{statistics.median(values):.{digits}f}"
    return med if len(values) == 1 else f"{med} ({values[0]:.{digits}f}–{values[-1]:.{digits}f})"


def one_line(r: Record) -> str:
    """Progress output: one line per measured run."""
    v, cpu, d = r["verify"], r["cpu_ms_per_request"], r["durable"]
    flags = ["RAN OUT OF REQUESTS"] if r["exhausted"] else []
    if v["bad"] or v["other_status"] or v["duplicates"]:
        flags.append(f"bad={v['bad']} dup={v['duplicates']} other={v['other_status']}")
    if d:
        flags.append(
            f"rows {d['rows']} = replied {d['answered']} + in flight at stop"
            f" {d['rows_without_reply_in_flight_at_stop']}{'' if r['durable_ok'] else ' MISMATCH'}"
        )
    return (
        f"  {r['phase']} {r['model']} r{r['rep']} {NAMES[r['target']]:12} c{r['connections']:<3}"
        f" {r['rps']:7.0f} req/s  p50 {r['latency_ms']['p50']:6.1f} ms"
        f"  p99 {r['latency_ms']['p99']:7.1f} ms  cpu/req srv {cpu['server']:.2f}"
        f" pg {cpu['postgres']:.2f} redis {cpu['redis']:.2f} wrk {cpu['wrk']:.2f} ms"
        f"  busy {100 * r['machine_busy']:.0f}% other {r['other_cores']:.2f} cores"
        f"  ok {r['statuses'].get('200', 0)} {' '.join(flags)}"
    )


def _groups(records: list[Record], phase: str) -> dict[tuple[str, str, int], list[Record]]:
    groups: dict[tuple[str, str, int], list[Record]] = {}
    for r in records:
        if r["phase"] == phase:
            groups.setdefault((r["model"], r["target"], r["connections"]), []).append(r)
    return dict(sorted(groups.items()))


def ratio(
    groups: dict[tuple[str, str, int], list[Record]], key: tuple[str, str, str, int], metric: str
) -> list[float]:
    """Per-repetition ratios ``num/den`` of a metric for (model, num, den, connections)."""
    model, num, den, conns = key
    top = {r["rep"]: METRICS[metric](r) for r in groups.get((model, num, conns), [])}
    bottom = {r["rep"]: METRICS[metric](r) for r in groups.get((model, den, conns), [])}
    return [top[k] / bottom[k] for k in top if bottom.get(k)]


def tables(records: list[Record], phase: str) -> list[str]:
    """One row per (model, target, connections), then the ratios of (d) to the others."""
    groups = _groups(records, phase)
    out = [
        "| model | target | conns | req/s | correct replies/s | p50 ms | p99 ms | CPU ms/req:"
        " server | PostgreSQL | Redis | wrk | CPU ceiling req/s | other load, cores |"
        " checks: non-200, wrong, rows = answered + in flight |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (model, target, conns), runs in groups.items():

        def col(name: str, digits: int = 0, runs: list[Record] = runs) -> str:
            return spread((METRICS[name](r) for r in runs), digits)

        non200 = sum(n for r in runs for code, n in r["statuses"].items() if code != "200")
        bad = sum(r["verify"]["bad"] for r in runs)
        stored = [r["durable"] for r in runs if r["durable"]]
        rows = "–"
        if stored:
            total = {k: sum(d[k] for d in stored) for k in stored[0] if k != "ok"}
            rows = f"{total['rows']} = {total['answered']}"
            rows += f" + {total['rows_without_reply_in_flight_at_stop']}"
            rows += "" if all(r["durable_ok"] for r in runs) else " MISMATCH"
        out.append(
            f"| {model} | {NAMES[target]} | {conns} | {col('rps')} | {col('good')} |"
            f" {col('p50', 1)} | {col('p99', 1)} | {col('server', 2)} | {col('postgres', 2)} |"
            f" {col('redis', 2)} | {col('wrk', 2)} | {col('ceiling')} | {col('other', 2)} |"
            f" {non200}, {bad}, {rows} |"
        )
    out += ["", "| model | ratio | conns | correct replies/s | p99 | CPU ceiling |"]
    out.append("|---|---|---:|---:|---:|---:|")
    for model, _target, conns in groups:
        if _target != "d":
            continue
        for den in "abc":
            key = (model, "d", den, conns)
            if ratio(groups, key, "good"):
                cells = " | ".join(
                    spread(ratio(groups, key, m), 2) for m in ("good", "p99", "ceiling")
                )
                out.append(f"| {model} | d/{den} | {conns} | {cells} |")
    return out


def target_checks(records: list[Record]) -> list[str]:
    groups = _groups(records, "main")
    lines = ["| target | want | measured | |", "|---|---|---:|---|"]
    for model, target, conns in groups:
        for num, den, metric, limit, at, higher in TARGETS:
            values = ratio(groups, (model, num, den, conns), metric)
            if target != num or (at is not None and conns != at) or not values:
                continue
            med = statistics.median(values)
            ok = med >= limit if higher else med <= limit
            what = "correct replies/s" if metric == "good" else "p99"
            lines.append(
                f"| {what} {num}/{den} at {conns} conns | {'≥' if higher else '≤'} {limit} |"
                f" {spread(values, 2)} | {'met' if ok else 'MISSED'} |"
            )
    return lines


def summary(meta: dict[str, Any], records: list[Record]) -> str:
    facts = "; ".join(f"{k} {v}" for k, v in meta["machine"].items())
    out = [
        "# Webhook benchmark",
        "",
        f"Command: `{' '.join(meta['argv'])}` — {meta['elapsed_s'] / 60:.1f} min; main-phase"
        f" worker model **{meta['model']}**.",
        "",
        f"Machine and code: {facts}.",
        "",
        "Medians over repetitions, (min–max) in brackets. CPU is utime+stime from /proc per"
        " completed request: server = gunicorn master + workers; PostgreSQL = the backends"
        " connected to the target's database; Redis = the server on :6379; wrk = the load"
        " generator. 'Other load' = cores busy with anything else during the run (other"
        " sessions share this machine); a run with more than the limit is measured again and"
        " the quietest attempt kept. Correct replies/s counts replies that decrypted and said"
        " the right thing (the echo, or 报备成功); ratios use it, per repetition.",
        "",
        "## Main phase",
        "",
        *tables(records, "main"),
        "",
        "## Against the targets",
        "",
        *target_checks(records),
        "",
    ]
    if any(r["phase"] == "compare" for r in records):
        out += ["## Worker-model comparison", "", *tables(records, "compare"), ""]
    return "\n".join(out)
