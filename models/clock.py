"""The one clock of the service.

Every domain time comes from here, in Python, never from the database's ``now()``: tests
travel in time with time-machine, and a ruling is reproducible from what it recorded.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def now(tz: ZoneInfo) -> datetime:
    """The current instant, aware, in the project's time zone."""
    return datetime.now(tz)
