"""CPU time of process groups from /proc, so "CPU per request" needs no extra dependency.

On a 2-core machine the server, PostgreSQL, Redis and wrk all share the same cores, so
throughput alone cannot say who is limiting whom; the CPU each group burned per request can.
Times are utime+stime in seconds. A worker that exits during a run would take its time
with it, so a group also counts its parent's ``cutime+cstime`` (reaped children).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    cpu: float  # utime + stime, seconds
    children_cpu: float  # cutime + cstime: children already reaped, seconds


def all_stats() -> list[Stat]:
    """Every process's /proc/<pid>/stat that is still there when read."""
    stats = []
    for entry in PROC.iterdir():
        try:
            text = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone meanwhile
        if text:
            # after comm, which is in parentheses and may itself hold either: state, ppid,
            # ... with utime, stime, cutime, cstime at fields 14-17 of the whole line
            fields = text[text.rindex(")") + 2 :].split()
            utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
            cpu, reaped = (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS
            stats.append(Stat(int(entry.name), int(fields[1]), cpu, reaped))
    return stats


def tree_cpu(root: int, stats: Iterable[Stat] | None = None) -> float:
    """CPU seconds of ``root`` and all its descendants (gunicorn master and workers)."""
    stats = list(all_stats() if stats is None else stats)
    by_parent: dict[int, list[Stat]] = {}
    own: Stat | None = None
    for stat in stats:
        by_parent.setdefault(stat.ppid, []).append(stat)
        if stat.pid == root:
            own = stat
    if own is None:
        return 0.0
    total, todo = own.cpu + own.children_cpu, [root]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            total += child.cpu  # its reaped children are in its children_cpu
            total += child.children_cpu
            todo.append(child.pid)
    return total


def children(root: int) -> list[int]:
    return [stat.pid for stat in all_stats() if stat.ppid == root]


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds per group at one instant, and the machine's busy/total seconds.

    ``postgres`` is per backend pid: only the backends serving the target's database are
    counted, because other sessions on a shared machine run their own PostgreSQL load
    (and even their own postmasters, also named ``postgres``).
    """

    server: float
    postgres: dict[int, float]
    redis: float
    busy: float
    total: float


def machine_jiffies() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    first = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first[:8]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    total = sum(values)
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def snapshot(server_pid: int, pg_pids: Iterable[int], redis_pid: int | None) -> Snapshot:
    stats = all_stats()
    by_pid = {s.pid: s for s in stats}
    busy, total = machine_jiffies()
    redis = by_pid.get(redis_pid) if redis_pid else None
    return Snapshot(
        server=tree_cpu(server_pid, stats),
        postgres={pid: by_pid[pid].cpu for pid in pg_pids if pid in by_pid},
        redis=redis.cpu if redis else 0.0,
        busy=busy,
        total=total,
    )


def delta(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """Seconds of CPU each group used between two snapshots; ``machine_busy`` is 0..1.

    A backend first seen after the run started counts from zero. ``busy_s`` is all the
    CPU the machine spent meanwhile, whoever spent it: what is left after the groups (and
    wrk) is someone else's load, worth knowing on a shared machine.
    """
    wall_cpu = after.total - before.total
    postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
    return {
        "server_s": after.server - before.server,
        "postgres_s": postgres,
        "redis_s": after.redis - before.redis,
        "busy_s": after.busy - before.busy,
        "machine_busy": (after.busy - before.busy) / wall_cpu if wall_cpu > 0 else 0.0,
    }


def other_load(seconds: float, own: Iterable[int] = ()) -> float:
    """Cores busy over ``seconds`` with anything but the processes ``own`` (and their trees).

    Used before a measured run to wait for a quiet machine.
    """
    own = list(own)
    stats = all_stats()
    busy0, _ = machine_jiffies()
    mine0 = sum(tree_cpu(pid, stats) for pid in own)
    start = time.monotonic()
    time.sleep(seconds)
    stats = all_stats()
    busy1, _ = machine_jiffies()
    mine1 = sum(tree_cpu(pid, stats) for pid in own)
    return max(0.0, (busy1 - busy0) - (mine1 - mine0)) / (time.monotonic() - start)
