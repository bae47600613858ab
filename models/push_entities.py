"""Typed ORM classes of the outbox and the protection records (issue 16).

``pushes`` is the outbox: a push is a row written in the deciding transaction (or by an
idempotent scan), unique per (subject, kind, due day), so a job that runs twice, or on two
machines, queues it once; the sender claims due rows and records each attempt in
``push_attempts``. The protection rows (``Protection``) live in ``models.entities`` beside
the client whose owner and end they are, and are re-exported here for the outbox's readers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.db import AwareDateTime, Base, JSONDoc
from models.entities import Id, Protection, current_of
from models.policy.states import PushKind

__all__ = ["Protection", "Push", "PushAttempt", "PushKind", "PushStatus", "current_of"]


class PushStatus(StrEnum):
    """Where a push is in its life: queued, claimed by a sender, and how it ended."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the configured retries
    UNDELIVERABLE = "undeliverable"  # WeChat said it can never arrive (unfollowed, window)
    DROPPED = "dropped"  # a reminder whose protection ended before it went out: never sent
    WITHHELD = "withheld"  # its recipient was unbound / lost their last post (R12): never sent


class Push(Base):
    """One message to one WeChat user, queued until the sender delivers it."""

    __tablename__ = "pushes"
    __table_args__ = (
        UniqueConstraint("subject", "kind", "due_day"),
        Index("ix_pushes_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_pushes_wechat_msgid", "wechat_msgid"),  # TEMPLATESENDJOBFINISH events
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # a PushKind
    subject: Mapped[str] = mapped_column(String(40))  # filing:<id> | protection:<id> | ...
    due_day: Mapped[date] = mapped_column(Date)
    openid: Mapped[str] = mapped_column(String(64))  # the recipient
    text: Mapped[str] = mapped_column(Text)  # the customer-service text, already scrubbed
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # template values, <= 20 chars
    send_after: Mapped[datetime] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PushStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(AwareDateTime)
    last_errcode: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    wechat_msgid: Mapped[int | None] = mapped_column(BigInteger)  # TEMPLATESENDJOBFINISH
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime)


class PushAttempt(Base):
    """One try at sending a push, and what WeChat (or the network) answered."""

    __tablename__ = "push_attempts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("pushes.id"), index=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime)
    errcode: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200))
