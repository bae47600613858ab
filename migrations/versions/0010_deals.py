"""deals: deal events recorded by the case site and attributed (issue 18 item 1, R9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 00:00:00

One row per 认筹/认购/签约 a staff member records; ``distributor_id`` is the R9
attribution (null: nobody); 退定 sets ``voided_*``. Re-chained at the merge:
down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deals",
        sa.Column("id", _ID, nullable=False),
        sa.Column("client_id", _ID, nullable=False),
        sa.Column("filing_id", _ID, nullable=True),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("event_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("distributor_id", _ID, nullable=True),
        sa.Column("voided_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("voided_by", _ID, nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("source_msg", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("source_msg", name=op.f("uq_deals_source_msg")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deals_client_live",
            ["client_id"],
            unique=False,
            postgresql_where=sa.text("voided_at IS NULL"),
            sqlite_where=sa.text("voided_at IS NULL"),
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deals_client_live",
            postgresql_where=sa.text("voided_at IS NULL"),
            sqlite_where=sa.text("voided_at IS NULL"),
        )
    op.drop_table("deals")
