"""What a 裁定 weighs, read from the tables: the pure ``Case`` of ``models.policy.claims``.

For the deal's attributed distributor and each claimant: every filing of theirs on the
deal's client, on the clients linked to it (关联, R10.4, with the relation) and on the
claimants' own clients (the same person filed under another number), each with its
protection rows and the full phone the desk recorded at its approved arrival. The known
details: the deal's buyer (phone, ID number, name) else the desk's full phone of the
client; a linked client's are the desk's. Full phones stay in these values: nothing here
logs or returns them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.arrival_entities import Arrival, ArrivalStatus
from models.claim_entities import Claim
from models.claims import linked_clients
from models.deal_entities import Deal
from models.entities import Client, Filing, Protection
from models.policy.claims import Case, Known, Record, Row

__all__ = ["read_case"]


def read_case(session: Session, deal: Deal, claims: Sequence[Claim]) -> Case:
    """The case of the deal (its client's first live event) and its open claims."""
    links = linked_clients(session, deal.client_id)
    relation: dict[int, str | None] = {deal.client_id: None, **links}
    for claim in claims:
        filing = session.get(Filing, claim.filing_id)
        if filing is not None and filing.client_id is not None:
            relation.setdefault(filing.client_id, None)  # the same person, another number
    competitors = {c.distributor_id for c in claims}
    if deal.distributor_id is not None:
        competitors.add(deal.distributor_id)
    filings = session.scalars(
        select(Filing)
        .where(Filing.client_id.in_(relation), Filing.distributor_id.in_(competitors))
        .order_by(Filing.id)
    ).all()
    records = tuple(_record(session, f, relation[f.client_id or 0]) for f in filings)
    known = {cid: _known_of(session, cid) for cid in links}
    known[deal.client_id] = _buyer(session, deal)
    return Case(
        deal.event_at, deal.client_id, deal.distributor_id,
        tuple(dict.fromkeys(c.distributor_id for c in claims)), records, known,
    )  # fmt: skip


def _record(session: Session, filing: Filing, relation: str | None) -> Record:
    rows = session.scalars(
        select(Protection).where(Protection.filing_id == filing.id).order_by(Protection.id)
    ).all()
    phone = session.scalar(
        select(Arrival.full_phone)
        .where(Arrival.filing_id == filing.id, Arrival.status == ArrivalStatus.APPROVED)
        .order_by(Arrival.arrived_at)
        .limit(1)
    )
    return Record(
        filing.distributor_id, filing.id, filing.client_id or 0, filing.client_name,
        filing.phone_mask,
        tuple(Row(r.starts_at, r.ends_at, r.ended_reason, r.lock_at, filing.filed_at)
              for r in rows),
        relation, phone,
    )  # fmt: skip


def _known_of(session: Session, client_id: int) -> Known:
    client = session.get(Client, client_id)
    return Known(client.full_phone if client else None)


def _buyer(session: Session, deal: Deal) -> Known:
    """The buyer as the client's live deals record them (the latest typed), else the desk's."""
    events = session.scalars(
        select(Deal)
        .where(Deal.client_id == deal.client_id, Deal.voided_at.is_(None))
        .order_by(Deal.event_at.desc(), Deal.id.desc())
    ).all()
    phone = next((e.buyer_phone for e in events if e.buyer_phone), None)
    id_number = next((e.buyer_id_number for e in events if e.buyer_id_number), None)
    name = next((e.buyer_name for e in events if e.buyer_name), None)
    return Known(phone or _known_of(session, deal.client_id).full_phone, id_number, name)
