"""imports: the sales system's deal records (issue 19 item 2, R9)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 01:00:00

One row per deal record of the sales system (明源), keyed by (project, record id): a
re-import updates it. Known clients (来电来访, own, partners) need no table: they are
clients in state ``known``. Re-chained at the merge: down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "sales_records",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_name", sa.String(length=50), nullable=False),
        sa.Column("phone_mask", sa.String(length=11), nullable=False),
        sa.Column("full_phone", sa.String(length=11), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("subscribed_on", sa.Date(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("online_signed_on", sa.Date(), nullable=True),
        sa.Column("total_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("imported_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_records")),
        sa.UniqueConstraint(
            "project_id", "record_id", name=op.f("uq_sales_records_project_id_record_id")
        ),
    )
    op.create_index(
        "ix_sales_records_project_online_signed",
        "sales_records",
        ["project_id", "online_signed_on"],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_sales_records_project_online_signed", table_name="sales_records")
    op.drop_table("sales_records")
