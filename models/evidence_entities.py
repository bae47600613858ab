"""Typed ORM class of a staff member's photo, the evidence attached to an arrival (issue 17).

The webhook records the image message (``MediaId``, ``PicUrl``, sender, time) and answers at
once; the scheduler fetches the file through the API, stores it here with its sha256, and
links it to the arrival its sender registered within the window (``models.policy.evidence``).

Why the file is stored in the database, not under a directory: it is the evidence that
settles a dispute, so it must live and be backed up with the arrival and the decision log
that quotes its hash, committed in the same transaction as that hash; and the scheduler that
fetches it may run on any host (a standby takes over), which a local directory would not
follow. A confirmation photo is a few hundred kilobytes, a few per arrival. ``content`` is
deferred, so lists and scans never load it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from models.arrival_entities import Arrival
from models.db import AwareDateTime, Base
from models.entities import Id

__all__ = ["ArrivalPhoto", "PhotoStatus"]


class PhotoStatus(StrEnum):
    """Where a photo is: waiting to be fetched, stored, and how it ended."""

    PENDING = "pending"  # not fetched yet (or a fetch failed and waits for its retry)
    STORED = "stored"  # fetched and hashed; waiting for an arrival within the window
    ATTACHED = "attached"  # linked to ``arrival_id``; the hash is in the decision log
    UNATTACHED = "unattached"  # stored, but no arrival by its sender within the window
    GIVEN_UP = "given_up"  # never fetched: the media expired or WeChat refused it for good


class ArrivalPhoto(Base):
    """One image message from a staff member, and what became of it."""

    __tablename__ = "arrival_photos"
    __table_args__ = (
        # the scheduler's scan: photos still to fetch or to link, by when they are due
        Index("ix_arrival_photos_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    msg_key: Mapped[str] = mapped_column(String(80), unique=True)  # a retry records nothing
    openid: Mapped[str] = mapped_column(String(64))  # the sender (staff of some projects)
    media_id: Mapped[str] = mapped_column(String(128))
    pic_url: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(AwareDateTime)  # the message's own time
    received_at: Mapped[datetime] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(String(16))  # a PhotoStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # fetches tried
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    arrival_id: Mapped[int | None] = mapped_column(Id, index=True)  # once attached
    violation_id: Mapped[int | None] = mapped_column(Id, index=True)  # or to a violation (R11)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime)


# The photo rule's lookup, on the webhook's path: a staff member's arrivals around an
# instant. Declared beside its only reader, on the arrivals table; migration 0008 builds it.
Index("ix_arrivals_staff_registered", Arrival.staff_id, Arrival.registered_at)
