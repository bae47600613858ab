"""Typed ORM class of a violation a manager recorded against a distributor (issue 18, R11).

``违规 <分销商全称> 截客 <说明>`` or ``违规 <分销商全称> 违约报备 #<编号> <说明>``: one row per
violation, with the ruling's amounts as the project's policy had them (a later change of
the policy never rewrites a record), the false filing's filing and client (the commission
report reads ``withheld`` per client), and whether the record blacklisted the distributor.
Its evidence photos point here (``arrival_photos.violation_id``). ``source_msg`` is the
message's key: a retried message cannot write twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base
from models.entities import Id

__all__ = ["Violation"]


class Violation(Base):
    """One violation (a ``ViolationKind``) of one distributor, recorded in one project."""

    __tablename__ = "violations"
    __table_args__ = (
        # R11's count of a distributor's earlier interceptions, over every project
        Index("ix_violations_distributor_kind", "distributor_id", "kind"),
        # the evidence rule's probe: what a manager recorded around a photo
        Index("ix_violations_recorded_by_at", "recorded_by", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id, index=True)
    distributor_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(16))  # a ViolationKind
    outcome: Mapped[str] = mapped_column(String(16))  # a ViolationOutcome
    offence: Mapped[int] = mapped_column(Integer)  # the distributor's nth of this kind
    filing_id: Mapped[int | None] = mapped_column(Id)  # a false filing's filing
    client_id: Mapped[int | None] = mapped_column(Id, index=True)  # ... and its client
    description: Mapped[str] = mapped_column(String(200))  # typed, phones masked
    recorded_by: Mapped[int] = mapped_column(Id)  # the manager's staff id
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime)  # the message's time
    fine_yuan: Mapped[int | None] = mapped_column(Integer)
    damages_yuan: Mapped[int | None] = mapped_column(Integer)
    refund_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)  # the client's commission
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)  # this record did it
    source_msg: Mapped[str] = mapped_column(String(80), unique=True)
