"""invites: expiring and revocable invite codes, unbound agents (issue 19 item 1, R12)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 01:00:00

``invite_codes.expires_at`` (null: never; set from ``accounts.invite_expiry_days`` when
the code is made, so a later config change never rewrites a code already handed out) and
``revoked_at``; ``agents.unbound_at``: an unbound agent keeps its row (its filings name
it) but is no agent any more. Re-chained at the merge: down_revision is this tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("revoked_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_invite_codes_distributor_id"), ["distributor_id"], unique=False
        )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unbound_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("unbound_at")
    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_codes_distributor_id"))
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
