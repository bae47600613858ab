"""The channel funnel per distributor (issue 19): filings -> valid arrivals -> deals.

What each step counts, for a period of whole days in the project's time zone:

- filings: accepted filings (refused ones never protected anyone) filed in the period;
- valid arrivals: arrivals a manager approved (R5) whose arrival time lies in the period;
- deals: clients attributed to the distributor (R9) whose first live deal event (认筹,
  认购 or 签约, not voided by 退定) lies in the period: a client counts once.

Example: filed Monday, arrived and approved Tuesday, 认筹 Friday -> 1, 1, 1 that week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.dates import local_day, start_of_day, week_start


@dataclass(frozen=True)
class FunnelRow:
    """One distributor's funnel; ``company`` is its full name (the operator's report)."""

    company: str
    filings: int = 0
    valid_arrivals: int = 0
    deals: int = 0


@dataclass(frozen=True)
class Funnel:
    """What one chart shows: a project's funnel rows for the days ``first`` to ``last``;
    the title names the project (its code when drawn without a Chinese font)."""

    project: str
    code: str
    first: date
    last: date
    rows: tuple[FunnelRow, ...]


def period_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of the days ``first`` to ``last``, both included: 11-23 to 11-29
    -> 11-23 00:00 up to 11-30 00:00. A period that ends before it starts is refused."""
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    return start_of_day(first, tz), start_of_day(last + timedelta(days=1), tz)


def this_week(now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """Monday of ``now``'s week up to today (the staff statistics' "this week")."""
    today = local_day(now, tz)
    return week_start(today), today


def ordered(rows: Iterable[FunnelRow]) -> list[FunnelRow]:
    """Most filings first, then most valid arrivals, most deals, then by name."""
    return sorted(rows, key=lambda r: (-r.filings, -r.valid_arrivals, -r.deals, r.company))


def summed(rows: Sequence[FunnelRow], company: str) -> FunnelRow:
    """One row adding ``rows`` up, named ``company`` (a total, or "the rest")."""
    return FunnelRow(
        company,
        sum(r.filings for r in rows),
        sum(r.valid_arrivals for r in rows),
        sum(r.deals for r in rows),
    )


def top_with_rest(rows: Sequence[FunnelRow], limit: int, rest_name: str) -> list[FunnelRow]:
    """At most ``limit`` rows for a chart: the first ``limit - 1`` and one summing the rest
    when there are more (13 distributors, limit 12 -> 11 bars and "the other 2")."""
    if len(rows) <= limit:
        return list(rows)
    keep = max(limit - 1, 0)
    return [*rows[:keep], summed(rows[keep:], rest_name)]
