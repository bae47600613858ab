"""claims: R10's conflict claims, their final rulings and client links (issue 18 item 2)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 01:00:00

``claims`` (one open per deal and distributor), ``claim_rulings`` (one per deal: final),
``client_links`` (relatives and co-buyers, R10.4). The deal's buyer columns R10.2
compares come from 0011 (deal details). Chained after 0013 (violations, merged first);
re-chained at a merge: down_revision is the tree's head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = models.db.AwareDateTime(timezone=True)
_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "claims",
        sa.Column("id", _ID, nullable=False),
        sa.Column("deal_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("filing_id", _ID, nullable=False),
        sa.Column("agent_id", _ID, nullable=False),
        sa.Column("distributor_id", _ID, nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", _AT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ruling_id", _ID, nullable=True),
        sa.Column("source_msg", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("source_msg", name=op.f("uq_claims_source_msg")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_filing_id"), ["filing_id"], unique=False)
        batch_op.create_index("ix_claims_project_status", ["project_id", "status"], unique=False)
        batch_op.create_index(
            "uq_claims_open_deal_distributor", ["deal_id", "distributor_id"], unique=True,
            postgresql_where=_OPEN, sqlite_where=_OPEN,
        )  # fmt: skip
    op.create_table(
        "claim_rulings",
        sa.Column("id", _ID, nullable=False),
        sa.Column("deal_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("ruled_by", _ID, nullable=False),
        sa.Column("ruled_at", _AT, nullable=False),
        sa.Column("rule", sa.String(length=8), nullable=False),
        sa.Column("previous_distributor_id", _ID, nullable=True),
        sa.Column("computed_distributor_id", _ID, nullable=True),
        sa.Column("winner_distributor_id", _ID, nullable=True),
        sa.Column("override_reason", sa.String(length=200), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_rulings")),
        sa.UniqueConstraint("deal_id", name=op.f("uq_claim_rulings_deal_id")),
    )
    op.create_table(
        "client_links",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("client_a", _ID, nullable=False),
        sa.Column("client_b", _ID, nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("linked_by", _ID, nullable=False),
        sa.Column("linked_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_links")),
        sa.UniqueConstraint("client_a", "client_b", name=op.f("uq_client_links_client_a_client_b")),
    )
    with op.batch_alter_table("client_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_links_client_a"), ["client_a"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_links_client_b"), ["client_b"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("client_links")
    op.drop_table("claim_rulings")
    op.drop_table("claims")
