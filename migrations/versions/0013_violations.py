"""violations: R11 violations recorded by managers, and photos as their evidence (issue 18)

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29 01:00:00

One row per 违规 a manager records (interception or false filing) with the ruling's
amounts; ``arrival_photos.violation_id`` attaches a manager's photo to the violation as
its evidence. Re-chained at the merge: down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = models.db.AwareDateTime(timezone=True)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "violations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("distributor_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("offence", sa.Integer(), nullable=False),
        sa.Column("filing_id", _ID, nullable=True),
        sa.Column("client_id", _ID, nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", _ID, nullable=False),
        sa.Column("recorded_at", _AT, nullable=False),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("damages_yuan", sa.Integer(), nullable=True),
        sa.Column("refund_due_at", _AT, nullable=True),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("source_msg", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        sa.UniqueConstraint("source_msg", name=op.f("uq_violations_source_msg")),
    )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_violations_distributor_kind", ["distributor_id", "kind"], unique=False
        )
        batch_op.create_index(
            "ix_violations_recorded_by_at", ["recorded_by", "recorded_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_violations_project_id"), ["project_id"])
        batch_op.create_index(batch_op.f("ix_violations_client_id"), ["client_id"])
    with op.batch_alter_table("arrival_photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("violation_id", _ID, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_arrival_photos_violation_id"), ["violation_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("arrival_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrival_photos_violation_id"))
        batch_op.drop_column("violation_id")
    op.drop_table("violations")
