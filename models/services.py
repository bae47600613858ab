"""What every layer above the models shares: the settings, the time zone and the engine.

It lives at the bottom so that the webhook, the handlers, the scheduler and the CLI can
all be handed one ``Services`` without any of them importing another's package for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from models.db import make_engine
from models.settings import Settings


@dataclass(frozen=True)
class Services:
    """Built once per process (``create_app``); shared by every request and job."""

    settings: Settings
    tz: ZoneInfo
    engine: Engine

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Nothing is connected yet: the engine opens connections on first use."""
        return cls(settings=settings, tz=settings.app.tz, engine=make_engine(settings.database))
