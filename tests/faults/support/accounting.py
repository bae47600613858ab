"""What the database says after a fault: rows read back and held against the replies sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text

from tests.faults.support.load import FilingAttempt


@dataclass(frozen=True)
class FilingRow:
    id: int
    client_name: str
    phone_mask: str
    status: str
    source_msg: str | None


def filing_rows(engine: Engine) -> dict[int, FilingRow]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, client_name, phone_mask, status, source_msg FROM filings")
        ).all()
    return {row[0]: FilingRow(*row) for row in rows}


def filings_without_a_decision(engine: Engine) -> list[int]:
    """Half-written filings: a filing row whose decision log entry is missing (R12)."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT f.id FROM filings f LEFT JOIN decisions d"
                    " ON d.subject = 'filing:' || f.id WHERE d.id IS NULL ORDER BY f.id"
                )
            )
        )


def filings_of_message(engine: Engine, msg_id: int) -> int:
    """Filing rows written for one WeChat MsgId (single-client messages use ``m<MsgId>``)."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(*) FROM filings WHERE source_msg = :key"),
                {"key": f"m{msg_id}"},
            )
            or 0
        )


def database_dedup_claims(engine: Engine) -> set[str]:
    """MsgIds claimed in PostgreSQL: only written while Redis is unreachable."""
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT key FROM inbound_messages")))


@dataclass(frozen=True)
class LoadAccounting:
    """How the replies of a load run compare with the rows it left."""

    sent: int
    acknowledged: int
    lost: int
    other: int
    filed_rows: int


def assert_acknowledged_filings_kept_once(
    engine: Engine, attempts: Sequence[FilingAttempt], context: str = ""
) -> LoadAccounting:
    """Nothing acknowledged is missing, nothing is doubled, nothing appears from nowhere.

    - every ``报备成功 #N`` names a row N, status 'filed', of the very client sent;
    - no two replies name the same N, and no client has two 'filed' rows;
    - filed rows = acknowledged + (some of) the requests whose reply was lost, because a
      worker killed after its commit but before its answer leaves a row nobody heard of.
    """
    rows = filing_rows(engine)
    acknowledged = [a for a in attempts if a.acknowledged]
    lost = [a for a in attempts if a.reply_lost]
    numbers = [a.filing_no for a in acknowledged]
    assert len(set(numbers)) == len(numbers), f"two replies named one filing{context}"
    for attempt in acknowledged:
        row = rows.get(attempt.filing_no or -1)
        assert row is not None, f"acknowledged #{attempt.filing_no} is missing{context}"
        assert row.status == "filed", f"#{row.id} is {row.status}{context}"
        assert (row.client_name, row.phone_mask) == (attempt.client_name, attempt.phone_mask), (
            f"#{row.id} holds {row.client_name} {row.phone_mask}, reply was for "
            f"{attempt.client_name} {attempt.phone_mask}{context}"
        )
    filed = [row for row in rows.values() if row.status == "filed"]
    per_client: dict[tuple[str, str], int] = {}
    for row in filed:
        per_client[(row.client_name, row.phone_mask)] = (
            per_client.get((row.client_name, row.phone_mask), 0) + 1
        )
    doubled = {client: n for client, n in per_client.items() if n > 1}
    assert not doubled, f"clients filed twice: {doubled}{context}"
    sent_clients = {(a.client_name, a.phone_mask) for a in attempts}
    strangers = [row.id for row in filed if (row.client_name, row.phone_mask) not in sent_clients]
    assert not strangers, f"filed rows nobody sent: {strangers}{context}"
    lost_clients = {(a.client_name, a.phone_mask) for a in lost}
    acknowledged_clients = {(a.client_name, a.phone_mask) for a in acknowledged}
    unexplained = [
        row.id
        for row in filed
        if (row.client_name, row.phone_mask) not in acknowledged_clients | lost_clients
    ]
    assert not unexplained, f"filed rows whose reply said otherwise: {unexplained}{context}"
    assert len(acknowledged) <= len(filed) <= len(acknowledged) + len(lost), (
        f"{len(filed)} filed rows for {len(acknowledged)} acknowledged and {len(lost)} lost"
        f"{context}"
    )
    return LoadAccounting(
        sent=len(attempts),
        acknowledged=len(acknowledged),
        lost=len(lost),
        other=len(attempts) - len(acknowledged) - len(lost),
        filed_rows=len(filed),
    )
