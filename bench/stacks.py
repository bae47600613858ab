"""Read py-spy's raw (collapsed) stacks and rank where a worker's CPU went.

Each line of ``py-spy record -f raw`` is ``frame;frame;...;leaf COUNT`` with frames like
``decrypt_message (wechatpy/crypto/__init__.py:123)``. Three views answer different
questions: *self* (the leaf: what burns the CPU), *inclusive* (a function and all it calls:
what a code path costs), and *area* (self time summed by library: which layer to blame).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")
# Ordered: the first prefix that a frame's file starts with names its area.
AREAS = (
    ("bot/", "project: bot/"),
    ("handlers/", "project: handlers/"),
    ("models/", "project: models/"),
    ("bench/", "bench apps"),
    ("wechatpy/", "wechatpy"),
    ("cryptography/", "cryptography (AES)"),
    ("xmltodict", "xmltodict"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("psycopg/", "psycopg"),
    ("psycopg_binary/", "psycopg"),
    ("redis/", "redis-py"),
    ("flask/", "Flask/Werkzeug"),
    ("werkzeug/", "Flask/Werkzeug"),
    ("gunicorn/", "gunicorn"),
    ("alembic/", "alembic"),
    ("xml/", "stdlib xml (expat)"),
    ("json/", "stdlib json"),
    ("logging/", "stdlib logging"),
    ("zoneinfo/", "stdlib zoneinfo"),
    ("socket.py", "stdlib socket"),
    ("selectors.py", "stdlib socket"),
    ("threading.py", "stdlib threading"),
)


@dataclass(frozen=True)
class Profile:
    samples: int
    self_time: Counter[str]
    inclusive: Counter[str]
    areas: Counter[str]
    stacks: list[tuple[tuple[str, ...], int]]

    def share(self, count: int) -> float:
        return 100.0 * count / self.samples if self.samples else 0.0


def frame_key(frame: str) -> tuple[str, str]:
    """``(file:function, file)`` for a raw frame; line numbers dropped."""
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip(), ""
    file = match.group("file")
    return f"{file}:{match.group('func')}", file


def area_of(file: str) -> str:
    for prefix, area in AREAS:
        if file.startswith(prefix) or f"/{prefix}" in file:
            return area
    return "other stdlib / interpreter" if file else "native"


def parse(path: Path) -> Profile:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    samples = 0
    kept: list[tuple[tuple[str, ...], int]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        keys = [frame_key(f) for f in stack.split(";") if f]
        if not keys:
            continue
        leaf_key, leaf_file = keys[-1]
        self_time[leaf_key] += count
        areas[area_of(leaf_file)] += count
        for key in {k for k, _ in keys}:
            inclusive[key] += count
        kept.append((tuple(k for k, _ in keys), count))
    return Profile(samples, self_time, inclusive, areas, kept)


def callees(profile: Profile, function: str) -> Counter[str]:
    """Where ``function``'s inclusive time goes: its direct callees (``(self)`` = its own).

    Uses the outermost occurrence of the function in each stack, so recursion is not
    counted twice.
    """
    found: Counter[str] = Counter()
    for frames, count in profile.stacks:
        if function not in frames:
            continue
        at = frames.index(function)
        found[frames[at + 1] if at + 1 < len(frames) else "(self)"] += count
    return found


def project_inclusive(profile: Profile) -> list[tuple[str, int]]:
    """Inclusive time of the project's own functions: the cost of each step of the path."""
    ours = ("bot/", "handlers/", "models/")
    return [(k, v) for k, v in profile.inclusive.most_common() if k.startswith(ours)]


def areas_under(profile: Profile, function: str) -> Counter[str]:
    """Self time of everything ``function`` runs, summed by library (the leaf's area)."""
    found: Counter[str] = Counter()
    for frames, count in profile.stacks:
        if function in frames:
            leaf = frames[-1]
            found[area_of(leaf.rsplit(":", 1)[0] if ":" in leaf else "")] += count
    return found


def render_callees(profile: Profile, functions: list[str], top: int = 8) -> str:
    lines = []
    for function in functions:
        total = profile.inclusive.get(function, 0)
        if not total:
            continue
        lines += [
            "",
            f"`{function}`: {profile.share(total):.1f}% of samples, of which:",
            "",
            "| direct callee | share of all samples |",
            "|---|---:|",
        ]
        for callee, count in callees(profile, function).most_common(top):
            lines.append(f"| `{callee}` | {profile.share(count):.1f}% |")
        by_area = areas_under(profile, function).most_common(6)
        lines += [
            "",
            "By library (self time inside it): "
            + ", ".join(f"{area} {profile.share(count):.1f}%" for area, count in by_area)
            + ".",
        ]
    return "\n".join(lines) + "\n"


def render(profile: Profile, top: int = 25) -> str:
    """Markdown tables: areas, top self functions, project functions inclusive."""
    lines = [f"{profile.samples} samples.", "", "| area (self time) | share |", "|---|---:|"]
    for area, count in profile.areas.most_common():
        lines.append(f"| {area} | {profile.share(count):.1f}% |")
    lines += ["", "| function (self time) | share |", "|---|---:|"]
    for key, count in profile.self_time.most_common(top):
        lines.append(f"| `{key}` | {profile.share(count):.1f}% |")
    lines += ["", "| project function (inclusive) | share |", "|---|---:|"]
    for key, count in project_inclusive(profile)[:top]:
        lines.append(f"| `{key}` | {profile.share(count):.1f}% |")
    return "\n".join(lines) + "\n"
