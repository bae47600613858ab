"""The sales system's deal records (明源), imported and read back for R9's commission.

``import_sales`` writes ``sales_records`` (documented in ``models.imports.entities``) a
batch at a time, keyed by the sales system's record id: a new id is created, a changed
record updated, an identical one left alone, so the same file twice adds nothing. The
commission report reads them with ``records_in_month``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import make_session_factory
from models.imports.common import (
    ImportReport,
    Progress,
    batched,
    log_import,
    project_of,
    unprepared,
)
from models.imports.entities import SalesRecord
from models.policy.import_rows import RowProblem, SaleRow
from models.policy.import_wording import Problem, reason

#: The columns an import compares to tell "unchanged" from "updated".
COMPARED = (
    "buyer_name",
    "phone_mask",
    "full_phone",
    "channel",
    "subscribed_on",
    "signed_on",
    "online_signed_on",
    "total_price_cents",
    "room",
)


@dataclass(frozen=True)
class SaleRecord:
    """A deal record as the commission report reads it. ``full_phone`` is site data:
    compare it, never show it to an agent nor log it (R12)."""

    record_id: str
    buyer_name: str
    phone_mask: str
    full_phone: str
    channel: str
    subscribed_on: date | None
    signed_on: date | None
    online_signed_on: date | None
    total_price: Decimal | None  # yuan
    room: str


def records_in_month(session: Session, project_id: int, month: date) -> list[SaleRecord]:
    """The project's records whose 网签 date falls in ``month`` (any day of it), by 网签
    date then record id: the deals of month M, reported in M+1 (R9)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    found = session.scalars(
        select(SalesRecord)
        .where(
            SalesRecord.project_id == project_id,
            SalesRecord.online_signed_on >= first,
            SalesRecord.online_signed_on < following,
        )
        .order_by(SalesRecord.online_signed_on, SalesRecord.record_id)
    )
    return [_typed(record) for record in found]


def _typed(record: SalesRecord) -> SaleRecord:
    cents = record.total_price_cents
    return SaleRecord(
        record.record_id,
        record.buyer_name,
        record.phone_mask,
        record.full_phone,
        record.channel,
        record.subscribed_on,
        record.signed_on,
        record.online_signed_on,
        None if cents is None else Decimal(cents) / 100,
        record.room,
    )


def _values(row: SaleRow) -> dict[str, Any]:
    price = row.total_price
    return {
        "buyer_name": row.name,
        "phone_mask": row.phone_mask,
        "full_phone": row.full_phone,
        "channel": row.channel,
        "subscribed_on": row.subscribed_on,
        "signed_on": row.signed_on,
        "online_signed_on": row.online_signed_on,
        "total_price_cents": None if price is None else int(price * 100),
        "room": row.room,
    }


def import_sales(
    engine: Engine,
    project_ref: str,
    rows: Iterable[SaleRow | RowProblem],
    now: datetime,
    file_facts: dict[str, Any],
    progress: Progress = lambda _: None,
) -> ImportReport:
    """Create, update or leave each record; a record id twice in the file with different
    contents is a bad row (which of the two is right is for the channel team)."""
    factory = make_session_factory(engine)
    with factory.begin() as session:
        project = project_of(session, project_ref)
    report, seen = ImportReport(), dict[str, tuple[int, int]]()
    for batch in batched(rows):
        good: list[tuple[SaleRow, dict[str, Any]]] = []
        for row in batch:
            if isinstance(row, RowProblem):
                report.problems.append(row)
                continue
            values = _values(row)
            fingerprint = hash(tuple(values.values()))
            first = seen.setdefault(row.record_id, (row.row, fingerprint))
            if first[0] == row.row:
                good.append((row, values))
            elif first[1] == fingerprint:
                report.unchanged += 1
            else:
                why = reason(Problem.DUPLICATE_RECORD, first=first[0])
                report.problems.append(RowProblem(row.row, why, f"{row.name} {row.phone_mask}"))
        report.add(_write_batch(factory, project[0], good, now))
        progress(len(batch))
    with factory.begin() as session:
        log_import(session, now, project, "deals", "R9", file_facts, report)
    return report


def _write_batch(factory: Any, project_id: int, rows: list[Any], now: datetime) -> ImportReport:
    """One transaction; an import of the same file running at once makes the INSERT
    collide, and the batch is judged again on what is now on file."""
    for attempt in (1, 2):
        try:
            with factory.begin() as session:
                return _apply(unprepared(session), project_id, rows, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply(
    session: Session, project_id: int, rows: list[tuple[SaleRow, dict[str, Any]]], now: datetime
) -> ImportReport:
    report = ImportReport()
    if not rows:
        return report
    ids = [row.record_id for row, _ in rows]
    columns = [getattr(SalesRecord, name) for name in COMPARED]
    stored = {
        found.record_id: found
        for found in session.execute(
            select(SalesRecord.id, SalesRecord.record_id, *columns).where(
                SalesRecord.project_id == project_id, SalesRecord.record_id.in_(ids)
            )
        )
    }
    inserts, updates = [], []
    for row, values in rows:
        record = stored.get(row.record_id)
        if record is None:
            inserts.append(
                {
                    "project_id": project_id,
                    "record_id": row.record_id,
                    "imported_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif all(getattr(record, name) == values[name] for name in COMPARED):
            report.unchanged += 1
        else:
            updates.append({"id": record.id, "updated_at": now, **values})
    if inserts:
        session.execute(insert(SalesRecord), inserts)
    if updates:
        session.execute(update(SalesRecord), updates)
    report.created, report.updated = len(inserts), len(updates)
    return report
