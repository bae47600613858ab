"""Medians with min–max over repetitions, the ratios against the targets, as Markdown.

Repetitions are interleaved (a, b, c, d per repetition), so the ratios are also taken per
repetition (d and b measured minutes apart, under the same conditions) and their median
and range reported, not only the ratio of the medians.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

NAMES = {"a": "(a) echo", "b": "(b) floor", "c": "(c) WeRoBot", "d": "(d) baobei"}
# (numerator, denominator, metric, threshold, at connections or None for all, higher is ok)
# Throughput ratios use correct replies per second: an empty or wrong reply is no service.
TARGETS = (
    ("d", "b", "good", 0.7, 64, True),
    ("d", "b", "p99", 1.3, 64, False),
    ("d", "c", "good", 1.5, None, True),
)


def metric(record: dict[str, Any], name: str) -> float:
    if name == "rps":
        return float(record["rps"])
    if name == "good":
        return float(record.get("good_rps", record["rps"]))
    if name in ("p50", "p90", "p99"):
        return float(record["latency_ms"][name])
    if name == "ceiling":
        return float(record.get("cpu_ceiling_rps", 0.0))
    if name == "busy":
        return 100.0 * float(record["machine_busy"])
    if name == "other":
        return float(record["other_cores"])
    return float(record["cpu_ms_per_request"][name])


def spread(values: Iterable[float], digits: int = 0) -> str:
    """``median (min–max)``, or the single value when there is one."""
    values = sorted(values)
    if not values:
        return "–"
    fmt = f"{{:.{digits}f}}"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(values[0])}–{fmt.format(values[-1])})"


def one_line(record: dict[str, Any]) -> str:
    """Progress output: one line per measured run."""
    v = record["verify"]
    cpu = record["cpu_ms_per_request"]
    flags = []
    if record["exhausted"]:
        flags.append("RAN OUT OF REQUESTS")
    if not record["durable_ok"]:
        flags.append(f"DURABLE MISMATCH {record['durable']}")
    if v["bad"] or v["other_status"] or v["duplicates"]:
        flags.append(f"bad={v['bad']} dup={v['duplicates']} other={v['other_status']}")
    if record["durable"]:
        d = record["durable"]
        flags.append(
            f"rows {d['rows']} = replied {d['answered']}"
            f" + in flight at stop {d['rows_without_reply_in_flight_at_stop']}"
        )
    return (
        f"  {record['phase']} {record['model']} r{record['rep']} {NAMES[record['target']]:12}"
        f" c{record['connections']:<3} {record['rps']:7.0f} req/s"
        f"  p50 {record['latency_ms']['p50']:6.1f} ms  p99 {record['latency_ms']['p99']:7.1f} ms"
        f"  cpu/req srv {cpu['server']:.2f} pg {cpu['postgres']:.2f} redis {cpu['redis']:.2f}"
        f" wrk {cpu['wrk']:.2f} ms  busy {100 * record['machine_busy']:.0f}%"
        f" other {record['other_cores']:.2f} cores"
        f"  ok {record['statuses'].get('200', 0)}"
        f" {' '.join(flags)}"
    )


def _group(records: list[dict[str, Any]], phase: str) -> dict[tuple[str, str, int], list[dict]]:
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in records:
        if r["phase"] == phase:
            groups.setdefault((r["model"], r["target"], r["connections"]), []).append(r)
    return groups


def ratios(records: list[dict[str, Any]], phase: str = "main") -> list[dict[str, Any]]:
    """Per-repetition ratios num/den of a metric at each connection count."""
    groups = _group(records, phase)
    out = []
    conns_all = sorted({c for (_m, _t, c) in groups})
    models = sorted({m for (m, _t, _c) in groups})
    for model in models:
        for num, den in (("d", "b"), ("d", "a"), ("d", "c")):
            for conns in conns_all:
                for name in ("good", "p99", "ceiling"):
                    top = {r["rep"]: metric(r, name) for r in groups.get((model, num, conns), [])}
                    bottom = {
                        r["rep"]: metric(r, name) for r in groups.get((model, den, conns), [])
                    }
                    per_rep = [top[k] / bottom[k] for k in top if k in bottom and bottom[k]]
                    if per_rep:
                        out.append(
                            {
                                "model": model,
                                "num": num,
                                "den": den,
                                "connections": conns,
                                "metric": name,
                                "values": per_rep,
                            }
                        )
    return out


def target_checks(found: list[dict[str, Any]]) -> list[str]:
    lines = []
    for num, den, name, limit, at, higher in TARGETS:
        for r in found:
            if (r["num"], r["den"], r["metric"]) != (num, den, name):
                continue
            if at is not None and r["connections"] != at:
                continue
            med = statistics.median(r["values"])
            ok = med >= limit if higher else med <= limit
            sign = "≥" if higher else "≤"
            what = "correct replies/s" if name == "good" else "p99"
            lines.append(
                f"| {what} {num}/{den} at {r['connections']} conns | {sign} {limit} |"
                f" {spread(r['values'], 2)} | {'met' if ok else 'MISSED'} |"
            )
    return lines


def results_table(records: list[dict[str, Any]], phase: str) -> list[str]:
    """Three tables: rate and latency, CPU per request, and what the checks found."""
    groups = sorted(_group(records, phase).items())
    rate = [
        "| model | target | conns | req/s | correct replies/s | p50 ms | p99 ms |"
        " other load, cores | attempts |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cpu = [
        "| model | target | conns | server | PostgreSQL | Redis | wrk |"
        " CPU ceiling req/s | machine busy % |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checks = [
        "| model | target | conns | non-200 / socket errors | replies checked |"
        " rows = answered + in flight at wrk's stop |",
        "|---|---|---:|---:|---|---|",
    ]
    for (model, target, conns), runs in groups:
        head = f"| {model} | {NAMES[target]} | {conns} |"

        def col(name: str, digits: int = 0, runs: list[dict[str, Any]] = runs) -> str:
            return spread((metric(r, name) for r in runs), digits)

        attempts = sum(int(r.get("attempts", 1)) for r in runs)
        rate.append(
            f"{head} {col('rps')} | {col('good')} | {col('p50', 1)} | {col('p99', 1)} |"
            f" {col('other', 2)} | {attempts} for {len(runs)} |"
        )
        cpu.append(
            f"{head} {col('server', 2)} | {col('postgres', 2)} | {col('redis', 2)} |"
            f" {col('wrk', 2)} | {col('ceiling')} | {col('busy')} |"
        )
        non200 = sum(n for r in runs for code, n in r["statuses"].items() if int(code) != 200)
        sock = sum(v for r in runs for k, v in r["socket_errors"].items() if k != "status")
        bad = sum(r["verify"]["bad"] for r in runs)
        checked = sum(r["verify"]["decrypted"] for r in runs)
        verdict = f"{checked} decrypted, {bad} wrong"
        if any(r["exhausted"] for r in runs):
            verdict += ", RAN DRY"
        stored = [r["durable"] for r in runs if r.get("durable")]
        rows = "–"
        if stored:
            rows = (
                f"{sum(d['rows'] for d in stored)} = {sum(d['answered'] for d in stored)}"
                f" + {sum(d['rows_without_reply_in_flight_at_stop'] for d in stored)}"
                + ("" if all(r["durable_ok"] for r in runs) else " MISMATCH")
            )
        checks.append(f"{head} {non200} / {sock} | {verdict} | {rows} |")
    return [
        "Rate and latency:",
        "",
        *rate,
        "",
        "CPU per request, ms (utime+stime from /proc):",
        "",
        *cpu,
        "",
        "Checks:",
        "",
        *checks,
    ]


def ratio_table(found: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| model | ratio | conns | correct replies/s ratio | p99 ratio | CPU ceiling ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    keyed = {(r["model"], r["num"], r["den"], r["connections"], r["metric"]): r for r in found}
    for (model, num, den, conns, name), r in sorted(keyed.items()):
        if name != "good":
            continue
        p99 = keyed.get((model, num, den, conns, "p99"))
        ceiling = keyed.get((model, num, den, conns, "ceiling"))
        lines.append(
            f"| {model} | {num}/{den} | {conns} | {spread(r['values'], 2)} |"
            f" {spread(p99['values'], 2) if p99 else '–'} |"
            f" {spread(ceiling['values'], 2) if ceiling else '–'} |"
        )
    return lines


def summary(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
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
        " the right thing (the echo, or 报备成功); ratios use it.",
        "",
        "## Main phase",
        "",
        *results_table(records, "main"),
        "",
        "## Ratios (per repetition, median (min–max))",
        "",
        *ratio_table(ratios(records, "main")),
        "",
        "## Against the targets",
        "",
        "| target | want | measured | |",
        "|---|---|---:|---|",
        *target_checks(ratios(records, "main")),
        "",
    ]
    if any(r["phase"] == "compare" for r in records):
        out += [
            "## Worker-model comparison",
            "",
            *results_table(records, "compare"),
            "",
            *ratio_table(ratios(records, "compare")),
            "",
        ]
    return "\n".join(out)
