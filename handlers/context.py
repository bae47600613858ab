"""What a handler gets: the services it may use and the facts of the message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine


@dataclass(frozen=True)
class Services:
    """Built once by ``create_app`` (or the scheduler); shared by every request."""

    settings: dict[str, Any]
    tz: ZoneInfo
    engine: Engine


@dataclass(frozen=True)
class Inbound:
    """One message: who sent it, its dedup key (for idempotent writes) and the time."""

    openid: str
    msg_key: str
    now: datetime
