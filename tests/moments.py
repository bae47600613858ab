"""Instants as the rule book writes them, in the project's time zone (no I/O: unit-safe)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """A wall-clock minute in Asia/Shanghai: ``at(11, 22, 14, 10)`` is 11-22 14:10."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def end_of(month: int, day: int, year: int = 2026) -> datetime:
    """The rule book's "until MM-DD 23:59:59": the last instant of that local day."""
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=TZ)
