"""The funnel report: per distributor, filings -> valid arrivals -> deals for a period
(``models.policy.funnel`` says what each step counts)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from models.arrival_entities import Arrival, ArrivalStatus
from models.deal_entities import Deal
from models.entities import Distributor, Filing, Project
from models.policy import FilingStatus
from models.policy import report_wording as words
from models.policy.funnel import Funnel, FunnelRow, ordered, period_bounds, summed
from models.reports.tables import Report, Sheet


def funnel_rows(
    conn: Connection, project_id: int, start: datetime, end: datetime
) -> list[FunnelRow]:
    """Every distributor with anything in ``[start, end)``, most filings first."""
    filings = _per_distributor(
        conn,
        select(Filing.distributor_id, func.count())
        .where(
            Filing.project_id == project_id,
            Filing.status != FilingStatus.REFUSED,
            Filing.filed_at >= start,
            Filing.filed_at < end,
        )
        .group_by(Filing.distributor_id),
    )
    arrivals = _per_distributor(
        conn,
        select(Filing.distributor_id, func.count())
        .select_from(Arrival)
        .join(Filing, Filing.id == Arrival.filing_id)
        .where(
            Arrival.project_id == project_id,
            Arrival.status == ArrivalStatus.APPROVED,
            Arrival.arrived_at >= start,
            Arrival.arrived_at < end,
        )
        .group_by(Filing.distributor_id),
    )
    deals = _deal_clients(conn, project_id, start, end)
    ids = set(filings) | set(arrivals) | set(deals)
    names = dict(
        conn.execute(select(Distributor.id, Distributor.name).where(Distributor.id.in_(ids))).all()
    )
    return ordered(FunnelRow(names[i], filings[i], arrivals[i], deals[i]) for i in ids)


def _per_distributor(conn: Connection, statement) -> Counter[int]:  # type: ignore[no-untyped-def]
    return Counter({int(row[0]): int(row[1]) for row in conn.execute(statement)})


def _deal_clients(
    conn: Connection, project_id: int, start: datetime, end: datetime
) -> Counter[int]:
    """Clients whose first live deal event lies in ``[start, end)``, per attributed
    distributor (a deal attributed to nobody counts for nobody)."""
    first = (
        select(Deal.client_id, Deal.distributor_id, func.min(Deal.event_at).label("first_at"))
        .where(
            Deal.project_id == project_id,
            Deal.voided_at.is_(None),
            Deal.distributor_id.is_not(None),
        )
        .group_by(Deal.client_id, Deal.distributor_id)
        .subquery()
    )
    statement = (
        select(first.c.distributor_id, func.count())
        .where(first.c.first_at >= start, first.c.first_at < end)
        .group_by(first.c.distributor_id)
    )
    return _per_distributor(conn, statement)


def funnel_report(rows: list[FunnelRow]) -> Report:
    """The rows with their rates and a total line."""
    lines = [*rows, summed(rows, words.TOTAL)] if rows else []
    table = tuple(
        (
            row.company, row.filings, row.valid_arrivals, row.deals,
            words.rate(row.valid_arrivals, row.filings), words.rate(row.deals, row.valid_arrivals),
        )
        for row in lines
    )  # fmt: skip
    return Report((Sheet("funnel", words.FUNNEL_SHEET, words.FUNNEL_HEADERS, table),))


def funnel_of(
    conn: Connection, project_id: int, first: date, last: date, tz: ZoneInfo,
    until: datetime | None = None,
) -> Funnel:  # fmt: skip
    """The project's funnel for the days ``first`` to ``last`` (up to ``until``, if given:
    a manager's chart counts what their 统计 counted, up to their click)."""
    code, name = conn.execute(
        select(Project.code, Project.name).where(Project.id == project_id)
    ).one()
    start, end = period_bounds(first, last, tz)
    if until is not None:  # up to and including the click's second, as 统计 counts
        end = min(end, until + timedelta(seconds=1))
    return Funnel(name, code, first, last, tuple(funnel_rows(conn, project_id, start, end)))
