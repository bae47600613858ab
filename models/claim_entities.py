"""Typed ORM classes of R10 (issue 18 item 2): claims, their rulings, and client links.

``claims``: one agent's 撞单 on one deal, open until the deal is ruled; one open claim per
(deal, distributor) (a partial unique index) and one row per message (``source_msg``).
``claim_rulings``: the manager's 裁定 of a deal, final: one per deal (unique ``deal_id``).
``client_links``: staff's 关联 of two clients of a project as relatives or co-buyers
(R10.4), one row per pair (``client_a`` < ``client_b``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base
from models.entities import Id

__all__ = ["Claim", "ClaimRulingRow", "ClaimStatus", "ClientLink"]


class ClaimStatus:
    """Where a claim is: open until the deal's ruling, then upheld or dismissed."""

    OPEN = "open"
    UPHELD = "upheld"  # the ruling credits the claimant's distributor
    DISMISSED = "dismissed"


class Claim(Base):
    """One distributor's 撞单 on one deal (its client's first live deal event)."""

    __tablename__ = "claims"
    __table_args__ = (
        Index(
            "uq_claims_open_deal_distributor",
            "deal_id",
            "distributor_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_claims_project_status", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[int] = mapped_column(Id, index=True)
    project_id: Mapped[int] = mapped_column(Id)
    filing_id: Mapped[int] = mapped_column(Id, index=True)  # the claimant's own filing
    agent_id: Mapped[int] = mapped_column(Id)
    distributor_id: Mapped[int] = mapped_column(Id)
    reason: Mapped[str] = mapped_column(String(200))  # scrubbed of phones
    claimed_at: Mapped[datetime] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(String(16))
    ruling_id: Mapped[int | None] = mapped_column(Id)
    source_msg: Mapped[str] = mapped_column(String(80), unique=True)


class ClaimRulingRow(Base):
    """A manager's final 裁定 of one deal (R10), with the step that decided it."""

    __tablename__ = "claim_rulings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deal_id: Mapped[int] = mapped_column(Id, unique=True)
    project_id: Mapped[int] = mapped_column(Id)
    ruled_by: Mapped[int] = mapped_column(Id)  # staff id
    ruled_at: Mapped[datetime] = mapped_column(AwareDateTime)
    rule: Mapped[str] = mapped_column(String(8))  # R10.1 .. R10.5
    previous_distributor_id: Mapped[int | None] = mapped_column(Id)
    computed_distributor_id: Mapped[int | None] = mapped_column(Id)
    winner_distributor_id: Mapped[int | None] = mapped_column(Id)
    override_reason: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text)


class ClientLink(Base):
    """Two clients of one project linked as relatives or co-buyers (R10.4)."""

    __tablename__ = "client_links"
    __table_args__ = (UniqueConstraint("client_a", "client_b"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id)
    client_a: Mapped[int] = mapped_column(Id, index=True)  # the smaller id
    client_b: Mapped[int] = mapped_column(Id, index=True)
    relation: Mapped[str] = mapped_column(String(8))  # 配偶|父母|子女|兄弟姐妹|共同购买
    linked_by: Mapped[int] = mapped_column(Id)  # staff id
    linked_at: Mapped[datetime] = mapped_column(AwareDateTime)
