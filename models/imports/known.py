"""Known clients in bulk (R3): the sales system's 来电来访 records, the site's own clients,
referrals and partners' clients, each marked ``known`` so later filings are refused.

The same ruling as ``client add-known`` (``models.policy.known_clients.decide_known``),
applied a batch at a time: one probe of the batch's masks, one INSERT of the new clients,
one UPDATE of the changed ones. A client a distributor protects is not overwritten: the
row is reported with the distributor (for the channel team) and the conflict is logged.
Writers bump ``clients.version``, so a filing judged on the old row retries and sees the
client known (the compare-and-set of ``models.entities.Client``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.accounts import log_decision
from models.db import make_session_factory
from models.entities import Client, Distributor
from models.imports.common import (
    ImportReport,
    Progress,
    batched,
    log_import,
    project_of,
    unprepared,
)
from models.policy import KNOWN_SOURCES, ClientStatus
from models.policy.import_rows import KnownRow, RowProblem
from models.policy.import_wording import Problem, reason
from models.policy.known_clients import KnownOutcome, OnFile, decide_known

#: ``import known --source``: the site's lists (来电来访 comes by ``import visits``).
LIST_SOURCES = ("own", "referral", "partner")
VISIT_SOURCE = "import"  # KNOWN_SOURCES: 销售系统内已有来电来访记录
assert set(LIST_SOURCES) | {VISIT_SOURCE} <= set(KNOWN_SOURCES)


def import_known(
    engine: Engine,
    project_ref: str,
    rows: Iterable[KnownRow | RowProblem],
    source: str,
    now: datetime,
    file_facts: dict[str, Any],
    progress: Progress = lambda _: None,
) -> ImportReport:
    """Mark every good row's client known to the site; report the rest. Idempotent."""
    factory = make_session_factory(engine)
    with factory.begin() as session:
        project = project_of(session, project_ref)
    report, seen = ImportReport(), set[tuple[str, str]]()
    for batch in batched(rows):
        good: list[KnownRow] = []
        for row in batch:
            if isinstance(row, RowProblem):
                report.problems.append(row)
            elif (row.phone_mask, row.name) in seen:
                report.unchanged += 1  # the same client twice in one file
            else:
                seen.add((row.phone_mask, row.name))
                good.append(row)
        report.add(_write_batch(factory, project, good, source, now))
        progress(len(batch))
    with factory.begin() as session:
        log_import(session, now, project, f"known:{source}", "R3", file_facts, report)
    return report


def _write_batch(
    factory: Any,
    project: tuple[int, dict[str, Any]],
    rows: list[KnownRow],
    source: str,
    now: datetime,
) -> ImportReport:
    """One transaction; a filing that created one of these clients meanwhile makes the
    INSERT collide, and the batch is simply judged again on what is now on file."""
    for attempt in (1, 2):
        try:
            with factory.begin() as session:
                return _apply(unprepared(session), project, rows, source, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _on_file(session: Session, project_id: int, rows: list[KnownRow]) -> dict[tuple[str, str], Any]:
    masks = sorted({row.phone_mask for row in rows})
    found = session.execute(
        select(
            Client.id,
            Client.name,
            Client.phone_mask,
            Client.state,
            Client.full_phone,
            Client.version,
            Client.protected_until,
            Client.owner_distributor_id,
        )
        .where(Client.project_id == project_id, Client.phone_mask.in_(masks))
        .order_by(Client.id)
        .with_for_update(of=Client.__table__)
    )
    return {(record.phone_mask, record.name): record for record in found}


def _apply(
    session: Session,
    project: tuple[int, dict[str, Any]],
    rows: list[KnownRow],
    source: str,
    now: datetime,
) -> ImportReport:
    project_id = project[0]
    report, on_file = ImportReport(), _on_file(session, project_id, rows) if rows else {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        record: Any = on_file.get((row.phone_mask, row.name))
        facts = OnFile(record.state, record.full_phone, record.protected_until) if record else None
        outcome = decide_known(facts, now)
        if outcome is KnownOutcome.CREATE:
            inserts.append(_new_client(project_id, row, source, now))
        elif outcome is KnownOutcome.UNCHANGED:
            report.unchanged += 1
        elif outcome is KnownOutcome.PROTECTED:
            _protected(session, project, row, record, now, report)
        else:
            change: dict[str, Any] = {"id": record.id, "full_phone": row.full_phone}
            if outcome is KnownOutcome.MARK_KNOWN:
                change.update(state=ClientStatus.KNOWN.value, known_source=source)
            updates.append({**change, "updated_at": now, "version": (record.version or 0) + 1})
    if inserts:
        session.execute(insert(Client), inserts)
    if updates:
        session.execute(update(Client), updates)
    report.created, report.updated = len(inserts), len(updates)
    return report


def _new_client(project_id: int, row: KnownRow, source: str, now: datetime) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "name": row.name,
        "phone_mask": row.phone_mask,
        "full_phone": row.full_phone,
        "state": ClientStatus.KNOWN.value,
        "known_source": source,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _protected(
    session: Session,
    project: tuple[int, dict[str, Any]],
    row: KnownRow,
    record: Any,
    now: datetime,
    report: ImportReport,
) -> None:
    """R3: reported for the channel team with the distributor; kept in the decision log."""
    distributor = session.get(Distributor, record.owner_distributor_id)
    until = f"{record.protected_until.astimezone(now.tzinfo):%Y-%m-%d}"
    why = reason(
        Problem.PROTECTED, distributor=distributor.name if distributor else "?", until=until
    )
    report.problems.append(RowProblem(row.row, why, row.shown))
    report.conflicts += 1
    first_at = f"{row.first_at:%Y-%m-%d %H:%M}" if row.first_at else None
    log_decision(
        session,
        now,
        "cli",
        "import_known",
        f"client:{record.id}",
        "R3",
        "protected_not_overwritten",
        why,
        {"row": row.row, "name": row.name, "phone_mask": row.phone_mask, "first_at": first_at},
        project[0],
        project[1],
    )
