"""Typed ORM class of the sales system's deal records (明源), imported (issue 19, R9).

``sales_records``: one row per record of the sales system, keyed by (project, the sales
system's record id): a re-import updates the row, never adds one. What R9's monthly
commission report compares with the WeChat filing and the desk's registration:

- ``buyer_name`` as filings read names (``models.names.normalise_name``) and
  ``phone_mask``: join to ``clients`` on (project_id, phone_mask, name);
- ``full_phone``: site data, never shown to an agent nor logged (R12);
- ``channel``: the source channel tag the sales system gives the deal (free text);
- ``subscribed_on`` / ``signed_on`` / ``online_signed_on``: 认购 / 签约 / 网签 dates
  (local dates as the sales system writes them); the commission month is the 网签's;
- ``total_price_cents``: the total price in fen (exact; yuan = cents / 100);
- ``room``: the room or unit as the sales system names it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base
from models.entities import Id

__all__ = ["SalesRecord"]


class SalesRecord(Base):
    """One deal record of the sales system, as last imported."""

    __tablename__ = "sales_records"
    __table_args__ = (
        UniqueConstraint("project_id", "record_id"),
        Index("ix_sales_records_project_online_signed", "project_id", "online_signed_on"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id)
    record_id: Mapped[str] = mapped_column(String(64))
    buyer_name: Mapped[str] = mapped_column(String(50))
    phone_mask: Mapped[str] = mapped_column(String(11))
    full_phone: Mapped[str] = mapped_column(String(11))
    channel: Mapped[str] = mapped_column(String(100))
    subscribed_on: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    online_signed_on: Mapped[date | None] = mapped_column(Date)
    total_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    room: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(AwareDateTime)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)
