"""deal details: the buyer's name, phone and ID number; a manager's commission exclusion

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 01:00:00

Issue 18 item 1 (R9): staff may record the buyer on a deal (R10.2 compares the details
with the filings' masks and names), and a manager may exclude a client's deals from
commission with a reason (甩客, 藏客). All nullable: earlier deals have none. Re-chained
at the merge: down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("buyer_name", sa.String(length=50), nullable=True),
        sa.Column("buyer_phone", sa.String(length=11), nullable=True),
        sa.Column("buyer_id_number", sa.String(length=18), nullable=True),
        sa.Column("excluded_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("excluded_by", _ID, nullable=True),
        sa.Column("exclude_reason", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("deals", schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deals", schema=None) as batch_op:
        for column in reversed(_columns()):
            batch_op.drop_column(column.name)
