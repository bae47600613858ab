"""Typed ORM class of a deal event recorded by the case site (issue 18 item 1, R9).

Staff record ``认筹|认购|签约 #<编号> [总价] [日期]``: one row per deal event of a client,
attributed (``distributor_id``, null: nobody) by ``models.policy.deals.attribute_deal``
to the distributor protecting the client at its first deal event. ``退定`` (a manager's)
voids a client's live deals with a reason: they no longer count, and the client's expiry
resumes. ``source_msg`` is the message's key: a retried message cannot write twice.
``buyer_*`` are the buyer's details if typed (issue 18: R10.2 compares them); a manager's
``不计佣`` sets ``excluded_*`` and the commission report leaves the deal out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base
from models.entities import Id

__all__ = ["Deal"]


class Deal(Base):
    """One deal event (a ``DealKind``) of one client in one project."""

    __tablename__ = "deals"
    __table_args__ = (
        # the R8 jobs' and the attribution's probe: a client's live deals
        Index(
            "ix_deals_client_live",
            "client_id",
            postgresql_where=text("voided_at IS NULL"),
            sqlite_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    client_id: Mapped[int] = mapped_column(Id)
    filing_id: Mapped[int | None] = mapped_column(Id)  # null: a client with no filing
    project_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(16))  # a DealKind
    amount: Mapped[int | None] = mapped_column(Integer)  # total price in yuan
    event_at: Mapped[datetime] = mapped_column(AwareDateTime)  # typed, else when sent
    recorded_by: Mapped[int] = mapped_column(Id)  # staff id
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime)
    distributor_id: Mapped[int | None] = mapped_column(Id)  # attributed; null: nobody
    voided_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    voided_by: Mapped[int | None] = mapped_column(Id)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    source_msg: Mapped[str] = mapped_column(String(80), unique=True)
    # the buyer as the site recorded them (site data, R10.2 compares them): never echoed
    # nor logged in full, only masked (``mask_phone``, ``mask_id_number``)
    buyer_name: Mapped[str | None] = mapped_column(String(50))
    buyer_phone: Mapped[str | None] = mapped_column(String(11))
    buyer_id_number: Mapped[str | None] = mapped_column(String(18))
    # a manager's exclusion from commission (甩客, 藏客 …): the report leaves it out
    excluded_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    excluded_by: Mapped[int | None] = mapped_column(Id)
    exclude_reason: Mapped[str | None] = mapped_column(String(200))
