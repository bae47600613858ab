"""The facts of one message, as a handler sees them (its services: ``models.services``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.identity import Identity


@dataclass(frozen=True)
class Inbound:
    """One message: who sent it, its dedup key (for idempotent writes) and the time.

    ``identity`` is filled by the router for commands whose roles it had to check (staff
    commands); agent commands identify their agent in their own read and leave it None.
    """

    openid: str
    msg_key: str
    now: datetime
    identity: Identity | None = None
