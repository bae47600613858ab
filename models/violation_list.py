"""``违规记录``: the violations a manager's projects recorded, newest first (R11, R12).

Apart from ``models.violations`` (recording and ruling) because it is a read of the case
site's own records: a manager sees their projects' violations only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from models import policy as rules
from models.db import make_session_factory
from models.entities import Distributor
from models.evidence_entities import ArrivalPhoto
from models.identity import Identity
from models.violation_entities import Violation

__all__ = ["ViolationRow", "recent"]


@dataclass(frozen=True)
class ViolationRow:
    """One line of ``违规记录``: the case site's own record, seen by its managers."""

    id: int
    recorded_at: datetime
    distributor: str
    kind: str
    outcome: str
    filing_no: int | None
    description: str
    fine_yuan: int | None
    damages_yuan: int | None
    photos: int


def recent(engine: Any, identity: Identity, limit: int = 20) -> list[ViolationRow]:
    """The latest violations recorded in the projects the sender manages (R12)."""
    projects = [p.project_id for p in identity.posts if p.role == rules.Role.MANAGER]
    photos = (
        select(func.count(ArrivalPhoto.id))
        .where(ArrivalPhoto.violation_id == Violation.id)
        .scalar_subquery()
    )
    query = (
        select(Violation, Distributor.name, photos.label("photos"))
        .join(Distributor, Distributor.id == Violation.distributor_id)
        .where(Violation.project_id.in_(projects))
        .order_by(Violation.recorded_at.desc(), Violation.id.desc())
        .limit(limit)
    )
    with make_session_factory(engine)() as session:
        return [
            ViolationRow(
                v.id,
                v.recorded_at,
                name,
                v.kind,
                v.outcome,
                v.filing_id,
                v.description,
                v.fine_yuan,
                v.damages_yuan,
                int(count),
            )  # fmt: skip
            for v, name, count in session.execute(query)
        ]
