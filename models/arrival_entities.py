"""Typed ORM class of an arrival registered at the case site (issue 17, R2/R3/R5 at arrival).

A front desk (or manager) registers that a client came: ``到访 #<编号> <11位手机号>`` for a
filing, or ``到访 <项目> <姓名> <11位手机号>``, which finds the filing by name and mask or
records a walk-in. The policy proposes a ruling (``valid`` or ``natural``) with its rule,
reason and explanation; a manager approves or rejects it. ``full_phone`` is site data: the
number the desk saw, never echoed to agents, never in a push or a log line.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base, JSONDoc
from models.entities import Id

__all__ = ["Arrival", "ArrivalStatus", "ProposedRuling"]


class ArrivalStatus(StrEnum):
    """Where an arrival is: awaiting the manager, ruled, or a natural visit at once."""

    PENDING = "pending"  # holds the client until a manager rules (R5)
    APPROVED = "approved"  # a valid visit: the visit protection starts (R5)
    REJECTED = "rejected"  # the manager refused it: a natural visit
    NATURAL = "natural"  # a walk-in, or an arrival the policy ruled natural at once


class ProposedRuling(StrEnum):
    """What the policy proposes for an arrival: a valid visit of the filing, or natural."""

    VALID = "valid"  # 有效
    NATURAL = "natural"  # 自然到访


class Arrival(Base):
    """One client's arrival at one project's sales office, as the desk registered it."""

    __tablename__ = "arrivals"
    __table_args__ = (
        # the manager's pending list, oldest first (STAFF_PENDING)
        Index("ix_arrivals_project_status_registered", "project_id", "status", "registered_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id)
    filing_id: Mapped[int | None] = mapped_column(Id, index=True)  # null: a walk-in
    client_id: Mapped[int | None] = mapped_column(Id)  # null until known
    staff_id: Mapped[int] = mapped_column(Id)  # who registered it
    arrived_at: Mapped[datetime] = mapped_column(AwareDateTime)  # the time ruled on
    registered_at: Mapped[datetime] = mapped_column(AwareDateTime)  # when the desk sent it
    late_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    full_phone: Mapped[str] = mapped_column(String(11))  # site data: never echoed or logged
    client_name: Mapped[str] = mapped_column(String(50))
    remote: Mapped[bool] = mapped_column(Boolean)  # after the desk's correction (R1)
    remote_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    consultant: Mapped[str | None] = mapped_column(String(50))  # 置业顾问
    reported: Mapped[bool] = mapped_column(Boolean, default=False)  # 带看, or expected that day
    proposed: Mapped[str] = mapped_column(String(16))  # a ProposedRuling
    proposed_rule: Mapped[str] = mapped_column(String(8))
    proposed_reason: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # an ArrivalStatus
    decided_by: Mapped[int | None] = mapped_column(Id)  # staff id
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(Boolean, default=False)  # a manager's R2 exception
    source_msg: Mapped[str | None] = mapped_column(String(80), unique=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
