"""protection rows, the one source of truth: drop the client's copied owner and end (issue 17)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:40:00.000000

``clients.owner_agent_id``, ``owner_distributor_id`` and ``protected_until`` were a copy of
the client's current protection row (``models.policy.current_protection``), written beside
it by every writer. The rows are read instead; ``clients.state`` stays (a KNOWN client has
no protection, an ARRIVED one awaits the manager) and ``clients.version`` stays the
filing's compare-and-set. Every client's owner and end since 0004 are in its rows (0004
backfilled them), so the upgrade only drops; the downgrade restores the copy from the
rows by the same rule. Re-chained at the merge: down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.policy.current_protection in SQL (as models.push_entities.current_of): the open
# row that ends last, else the lapsed, expired or held row that ends last.
CURRENT = """(SELECT p.{column} FROM protections p
  WHERE p.client_id = clients.id
    AND (p.ended_reason IS NULL OR p.ended_reason IN ('lapsed', 'expired')
         OR (p.ended_reason = 'superseded' AND EXISTS (
             SELECT 1 FROM filings f WHERE f.id = p.filing_id AND f.status = 'arrived')))
  ORDER BY (p.ended_reason IS NULL) DESC, p.ends_at DESC, p.id DESC LIMIT 1)"""

RESTORE = f"""UPDATE clients SET
  owner_agent_id = {CURRENT.format(column="agent_id")},
  owner_distributor_id = {CURRENT.format(column="distributor_id")},
  protected_until = {CURRENT.format(column="ends_at")}
WHERE state <> 'known'"""


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_protected_until"))
        batch_op.drop_column("protected_until")
        batch_op.drop_column("owner_distributor_id")
        batch_op.drop_column("owner_agent_id")


def downgrade() -> None:
    """Downgrade schema: the copy again, restored from the rows."""
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "owner_agent_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "owner_distributor_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("protected_until", models.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_clients_protected_until"), ["protected_until"], unique=False
        )
    op.execute(RESTORE)
