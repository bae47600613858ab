"""Migration 0004 gives every accepted filing already on file its protection row."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select

from models import migrate
from models.db import table_of
from models.entities import Client, Filing
from models.push_entities import Protection
from tests.moments import at, end_of

pytestmark = pytest.mark.integration


def test_the_migration_backfills_a_filing_protection_per_accepted_filing(database_url: str) -> None:
    migrate.downgrade(database_url, "0003")
    engine = create_engine(database_url)
    filing = {
        "project_id": 1,
        "agent_id": 7,
        "distributor_id": 3,
        "client_name": "张三",
        "phone_mask": "138****5678",
        "remote": False,
        "expected_arrival_at": at(11, 23, 15),
        "filed_at": at(11, 22, 10),
        "reason": "accepted",
        "policy": {},
        "bulk_claim": False,
    }
    try:
        with engine.begin() as conn:
            client_id = conn.execute(
                insert(table_of(Client)).returning(table_of(Client).c.id),
                {
                    "project_id": 1,
                    "name": "张三",
                    "phone_mask": "138****5678",
                    "state": "filed",
                    "version": 1,
                    "created_at": at(11, 22, 10),
                    "updated_at": at(11, 22, 10),
                },
            ).scalar_one()
            conn.execute(
                insert(table_of(Filing)),
                [
                    filing
                    | {
                        "client_id": client_id,
                        "status": "filed",
                        "protection_ends_at": end_of(11, 29),
                    },
                    filing
                    | {
                        "client_id": client_id,
                        "status": "cancelled",
                        "protection_ends_at": end_of(11, 29),
                    },
                    filing
                    | {
                        "client_id": None,
                        "status": "refused",
                        "reason": "notice_too_short",
                        "protection_ends_at": None,
                    },
                ],
            )
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            rows = conn.execute(select(table_of(Protection)).order_by(Protection.id)).all()
    finally:
        engine.dispose()
    assert [(r.filing_id, r.kind, r.ended_reason, r.started_by) for r in rows] == [
        (1, "filing", None, "filing:1"),
        (2, "filing", "cancelled", "filing:2"),
    ]
    assert (rows[0].starts_at, rows[0].ends_at, rows[0].lock_at) == (
        at(11, 22, 10),
        end_of(11, 29),
        at(11, 22, 10),
    )
    assert (rows[0].client_id, rows[0].agent_id, rows[0].distributor_id) == (client_id, 7, 3)
