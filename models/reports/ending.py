"""Protections ending soon: each client whose protection ends in the next N days, with
the agent and distributor protecting them, so the channel team can call them in time.

A client's protection is its open protection row that ends last (R4-R7). A client with a
live deal is left out: a deal stops expiry (R9), so that protection does not end. The
phone is the filed mask (R12); the front desk's full number is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, exists, select
from sqlalchemy.orm import aliased

from models.deal_entities import Deal
from models.entities import Agent, Client, Distributor, Protection
from models.policy import end_of_day, local_day
from models.policy import report_wording as words
from models.reports.tables import Report, Sheet


@dataclass(frozen=True)
class Ending:
    filing_id: int | None
    client: str
    phone_mask: str
    agent: str
    company: str
    kind: str  # a ProtectionKind
    ends_at: datetime


def last_day(now: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The end of the N days counted from today: at 11-29 10:00, 7 days -> 12-06 23:59:59
    (today is day 0: a protection ending tonight is listed with 0 days left)."""
    return end_of_day(local_day(now, tz) + timedelta(days=days), tz)


def ending_rows(conn: Connection, project_id: int, now: datetime, until: datetime) -> list[Ending]:
    """Open protections of the project ending in ``[now, until]``, soonest first."""
    later = aliased(Protection)
    rows = conn.execute(
        select(
            Protection.filing_id, Client.name, Client.phone_mask, Agent.name.label("agent"),
            Distributor.name.label("company"), Protection.kind, Protection.ends_at,
        )
        .join(Client, Client.id == Protection.client_id)
        .join(Agent, Agent.id == Protection.agent_id)
        .join(Distributor, Distributor.id == Protection.distributor_id)
        .where(
            Protection.project_id == project_id,
            Protection.ended_reason.is_(None),
            Protection.ends_at >= now,
            Protection.ends_at <= until,
            ~exists().where(
                and_(
                    later.client_id == Protection.client_id,
                    later.ended_reason.is_(None),
                    later.ends_at > Protection.ends_at,
                )
            ),
            ~exists().where(Deal.client_id == Protection.client_id, Deal.voided_at.is_(None)),
        )
        .order_by(Protection.ends_at, Protection.id)
    ).all()  # fmt: skip
    return [Ending(*row) for row in rows]


def ending_report(rows: list[Ending], today: date, tz: ZoneInfo) -> Report:
    table = tuple(
        (
            f"#{row.filing_id}" if row.filing_id else "", row.client, row.phone_mask, row.agent,
            row.company, words.PROTECTION_KINDS.get(row.kind, row.kind),
            row.ends_at.astimezone(tz), (local_day(row.ends_at, tz) - today).days,
        )
        for row in rows
    )  # fmt: skip
    return Report((Sheet("ending", words.ENDING_SHEET, words.ENDING_HEADERS, table),))
