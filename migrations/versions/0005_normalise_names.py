"""names stored as they are compared (issue 15 item 3)

Revision ID: 0005
Revises: 0004

Names are now read one way (``models.names.normalise_name``: NFKC, no spaces or invisible
characters, case folded), and new rows are written that way. This brings the rows written
before into the same form, so that a look-alike filed later meets them. Two clients of one
project and mask whose names become the same (``赵 六`` and ``赵六``: the hole this closes)
are not merged here: which distributor keeps that client is a ruling for a manager, so
both rows stay as they were and the migration names them in its log.

Downgrade keeps the normalised names: the typed forms were not kept, and the normalised
form is a valid name for the older code too.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.names import normalise_name

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

_ROW_NAMES = (("agents", "name"), ("staff", "name"), ("filings", "client_name"))


def _rename(conn: sa.Connection, table: sa.TableClause, column: str, pairs: list[tuple]) -> None:
    for row_id, name in pairs:
        conn.execute(
            table.update().where(table.c.id == row_id).values({column: normalise_name(name)})
        )


def upgrade() -> None:
    """Normalise every stored person's name; leave look-alike clients for a manager."""
    conn = op.get_bind()
    for table_name, column in _ROW_NAMES:
        table = sa.table(table_name, sa.column("id"), sa.column(column))
        rows = conn.execute(sa.select(table.c.id, table.c[column])).all()
        _rename(conn, table, column, [(i, n) for i, n in rows if normalise_name(n) != n])
    clients = sa.table(
        "clients", sa.column("id"), sa.column("project_id"), sa.column("phone_mask"),
        sa.column("name"),
    )  # fmt: skip
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for row in conn.execute(sa.select(clients)).all():
        groups[(row.project_id, row.phone_mask, normalise_name(row.name))].append(
            (row.id, row.name)
        )
    for (project_id, mask, name), rows in groups.items():
        if len(rows) > 1:
            logger.warning(
                "clients %s of project %s (%s) are one client once normalised as %s: "
                "left for a manager's ruling",
                [row_id for row_id, _ in rows], project_id, mask, name,
            )  # fmt: skip
            continue
        _rename(conn, clients, "name", [(i, n) for i, n in rows if normalise_name(n) != n])


def downgrade() -> None:
    """Nothing to undo: the names as first typed were not kept."""
