"""The client's owner and end are read from its protection rows (R3), and migration 0009's
downgrade restores the dropped copy from those rows by the same rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import column, create_engine, insert, select, table
from sqlalchemy.orm import Session

from models import migrate
from models.db import AwareDateTime
from models.entities import Client, Filing
from models.push_entities import Protection
from tests.moments import at, end_of

pytestmark = pytest.mark.integration

FILED, VISITED, ARRIVED, CANCELLED, KNOWN = 1, 2, 3, 4, 5


def _client(id_: int, state: str) -> dict[str, Any]:
    return {
        "id": id_, "project_id": 1, "name": f"客户{id_}", "phone_mask": f"138****{id_:04d}",
        "state": state, "version": 1, "created_at": at(11, 1), "updated_at": at(11, 1),
    }  # fmt: skip


def _filing(id_: int, client_id: int, status: str) -> dict[str, Any]:
    return {
        "id": id_, "project_id": 1, "client_id": client_id, "agent_id": 70,
        "distributor_id": 7, "client_name": f"客户{client_id}",
        "phone_mask": f"138****{client_id:04d}", "remote": False,
        "expected_arrival_at": at(11, 23), "filed_at": at(11, 22), "status": status,
        "reason": "accepted", "policy": {}, "bulk_claim": False,
    }  # fmt: skip


def _row(client_id: int, owner: int, kind: str, ends: datetime, ended: str | None,
         filing_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "project_id": 1, "client_id": client_id, "filing_id": filing_id,
        "distributor_id": owner, "agent_id": owner * 10, "kind": kind,
        "starts_at": at(11, 1), "ends_at": ends, "started_by": f"{kind}:{client_id}",
        "lock_at": at(11, 1), "ended_reason": ended, "created_at": at(11, 1),
    }  # fmt: skip


def _seed(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Client.__table__), [
            _client(FILED, "filed"), _client(VISITED, "visited"), _client(ARRIVED, "arrived"),
            _client(CANCELLED, "filed"), _client(KNOWN, "known"),
        ])  # fmt: skip
        conn.execute(insert(Filing.__table__), [
            _filing(1, ARRIVED, "arrived"), _filing(2, CANCELLED, "cancelled"),
        ])  # fmt: skip
        conn.execute(insert(Protection.__table__), [
            _row(FILED, 5, "filing", end_of(11, 20), "lapsed"),  # an earlier owner's, ran out
            _row(FILED, 7, "filing", end_of(11, 29), None),  # the current one
            _row(VISITED, 8, "filing", end_of(11, 29), "superseded"),
            _row(VISITED, 8, "visit", end_of(1, 5, 2027), "expired"),  # R8: 公客, its end stays
            _row(ARRIVED, 9, "filing", end_of(11, 30), "superseded", filing_id=1),  # held (R5)
            _row(CANCELLED, 6, "filing", end_of(11, 29), "cancelled", filing_id=2),
            _row(KNOWN, 4, "filing", end_of(11, 10), None),  # KNOWN: the state rules
        ])  # fmt: skip
    engine.dispose()


EXPECTED = {
    FILED: (70, 7, end_of(11, 29)),
    VISITED: (80, 8, end_of(1, 5, 2027)),
    ARRIVED: (90, 9, end_of(11, 30)),
    CANCELLED: (None, None, None),
}


def test_the_clients_owner_and_end_are_its_current_protection_row(database_url: str) -> None:
    _seed(database_url)
    engine = create_engine(database_url)
    with Session(engine) as session:
        for client_id, expected in EXPECTED.items():
            client = session.get(Client, client_id)
            assert client is not None
            assert (client.owner_agent_id, client.owner_distributor_id) == expected[:2]
            assert client.protected_until == expected[2]
    engine.dispose()


def test_the_downgrade_restores_the_copy_from_the_rows(database_url: str) -> None:
    _seed(database_url)
    migrate.downgrade(database_url, "0008")
    try:
        clients = table(
            "clients", column("id"), column("owner_agent_id"), column("owner_distributor_id"),
            column("protected_until", AwareDateTime()),
        )  # fmt: skip
        engine = create_engine(database_url)
        with engine.connect() as conn:
            restored = {
                row.id: (row.owner_agent_id, row.owner_distributor_id, row.protected_until)
                for row in conn.execute(select(clients))
            }
        engine.dispose()
        assert restored == EXPECTED | {KNOWN: (None, None, None)}
    finally:
        migrate.upgrade(database_url)
