"""pushes: an index on wechat_msgid, for WeChat's TEMPLATESENDJOBFINISH events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:00:00

Each template push comes back once as an event naming its msgid; without the index each
event would scan the whole outbox inside the webhook's 5 seconds.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pushes_wechat_msgid", "pushes", ["wechat_msgid"])


def downgrade() -> None:
    op.drop_index("ix_pushes_wechat_msgid", table_name="pushes")
