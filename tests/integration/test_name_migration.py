"""Migration 0005 brings the names stored before into the form names are now compared in."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from models import migrate
from tests.moments import at

pytestmark = pytest.mark.integration

CLIENT = (
    "INSERT INTO clients (id, project_id, name, phone_mask, state, version, created_at,"
    " updated_at) VALUES (:id, 1, :name, :mask, 'filed', 1, :now, :now)"
)


def test_stored_names_are_normalised_but_look_alike_clients_are_left_for_a_manager(
    database_url: str,
) -> None:
    migrate.downgrade(database_url, "0003")
    engine = create_engine(database_url)
    now = at(11, 22, 10, 0)
    try:
        with engine.begin() as conn:
            for row_id, name, mask in [
                (1, "Lily", "138****1111"),
                (2, "赵 六", "138****3333"),
                (3, "赵\u200b六", "138****3333"),
                (4, "王五", "138****4444"),
            ]:
                conn.execute(text(CLIENT), {"id": row_id, "name": name, "mask": mask, "now": now})
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            names = dict(conn.execute(text("SELECT id, name FROM clients")).all())
    finally:
        engine.dispose()
    assert names == {1: "lily", 2: "赵 六", 3: "赵\u200b六", 4: "王五"}
