"""Arrivals registered at the case site: store, find, and list them (issue 17).

The ruling itself is pure (``models.policy.arrivals``); this module reads what it needs,
stores the arrival with its proposed ruling, and answers the manager's lists. The full
phone number is stored in the arrival row only (site data): nothing here logs or returns
it to an agent-facing caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.arrival_entities import Arrival, ArrivalStatus
from models.identity import StaffPost
from models.privacy import mask_digits

__all__ = ["PendingArrival", "find_for_decision", "pending"]


@dataclass(frozen=True)
class PendingArrival:
    """One arrival awaiting a manager's ruling, as the pending list shows it."""

    arrival_id: int
    project_id: int
    filing_id: int | None  # the filing number staff type as ``#<编号>``
    client_name: str
    phone_mask: str  # masked: never the full number
    arrived_at: datetime
    registered_at: datetime
    proposed: str  # a ProposedRuling
    proposed_rule: str
    proposed_reason: str
    explanation: str


def pending(engine: Engine, project_ids: Iterable[int]) -> list[PendingArrival]:
    """The arrivals awaiting approval in these projects, oldest registration first."""
    ids = list(project_ids)
    if not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Arrival.id,
                Arrival.project_id,
                Arrival.filing_id,
                Arrival.client_name,
                Arrival.full_phone,
                Arrival.arrived_at,
                Arrival.registered_at,
                Arrival.proposed,
                Arrival.proposed_rule,
                Arrival.proposed_reason,
                Arrival.explanation,
            )
            .where(Arrival.project_id.in_(ids), Arrival.status == ArrivalStatus.PENDING)
            .order_by(Arrival.registered_at, Arrival.id)
        ).all()
    return [
        PendingArrival(
            arrival_id=row.id,
            project_id=row.project_id,
            filing_id=row.filing_id,
            client_name=row.client_name,
            phone_mask=mask_digits(row.full_phone),
            arrived_at=row.arrived_at,
            registered_at=row.registered_at,
            proposed=row.proposed,
            proposed_rule=row.proposed_rule,
            proposed_reason=row.proposed_reason,
            explanation=row.explanation,
        )
        for row in rows
    ]


def find_for_decision(session: Session, number: int, staff: Iterable[StaffPost]) -> Arrival | None:
    """The pending arrival of filing ``#number`` in a project the staff serve, locked for
    the decision (``FOR UPDATE``); None when there is none there (another project's
    arrival is answered as a number that does not exist, R12)."""
    project_ids = [post.project_id for post in staff]
    if not project_ids:
        return None
    return session.scalars(
        select(Arrival)
        .where(
            Arrival.filing_id == number,
            Arrival.project_id.in_(project_ids),
            Arrival.status == ArrivalStatus.PENDING,
        )
        .order_by(Arrival.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
