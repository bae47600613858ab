"""The facts of one message, as a handler sees them (its services: ``models.services``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Inbound:
    """One message: who sent it, its dedup key (for idempotent writes) and the time."""

    openid: str
    msg_key: str
    now: datetime
