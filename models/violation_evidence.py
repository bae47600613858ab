"""A manager's photo as the evidence of a violation they just recorded (R11).

Beside ``models.evidence`` (the photos' fetching and linking), which asks here which
violation a photo joins: the latest its sender recorded within the window before the
photo, unless an arrival they registered came later (``models.policy.evidence``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from models.arrival_entities import Arrival
from models.db import make_session_factory
from models.entities import Distributor, Staff
from models.policy.evidence import Recorded, Registered, photo_violation
from models.violation_entities import Violation


@dataclass(frozen=True)
class ViolationLabel:
    """A violation as the manager's reply names it."""

    violation_id: int
    distributor: str
    kind: str  # a ViolationKind


def arrivals_of(openid: str, start: datetime, end: datetime) -> Any:
    """The arrivals a staff member (any of their posts) registered between two instants."""
    return (
        select(Arrival)
        .join(Staff, Staff.id == Arrival.staff_id)
        .where(Staff.openid == openid, Arrival.registered_at.between(start, end))
    )


def _violations_of(openid: str, start: datetime, end: datetime) -> Any:
    """The violations a manager (any of their posts) recorded between two instants (R11)."""
    return (
        select(Violation)
        .join(Staff, Staff.id == Violation.recorded_by)
        .where(Staff.openid == openid, Violation.recorded_at.between(start, end))
    )


def violation_for(session: Any, openid: str, at: datetime, window: timedelta) -> Any:
    """The violation a photo sent at ``at`` is evidence of (``photo_violation``), or None."""
    found = {v.id: v for v in session.scalars(_violations_of(openid, at - window, at))}
    if not found:
        return None
    arrivals = session.scalars(arrivals_of(openid, at - window, at))
    chosen = photo_violation(
        at,
        [Registered(a.id, a.registered_at) for a in arrivals],
        [Recorded(v.id, v.recorded_at) for v in found.values()],
        window,
    )
    return found[chosen.violation_id] if chosen is not None else None


def recent_violation(
    engine: Engine, openid: str, at: datetime, window: timedelta
) -> ViolationLabel | None:
    """The violation a manager's photo sent at ``at`` will join, or None (R11)."""
    with make_session_factory(engine)() as session:
        violation = violation_for(session, openid, at, window)
        if violation is None:
            return None
        name = session.scalar(
            select(Distributor.name).where(Distributor.id == violation.distributor_id)
        )
        return ViolationLabel(violation.id, name or "", violation.kind)
