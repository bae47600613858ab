"""The open claims a project's managers see in STAFF_PENDING (R10), oldest first.

Each names the number to rule with (``裁定 #编号``: the deal's filing, else the
claimant's), the deal's client (masked phone only), the claimant's and the attributed
distributors (staff may see company names) and the claim's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from models import policy as rules
from models.claim_entities import Claim, ClaimStatus
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Client, Distributor
from models.identity import Identity

__all__ = ["OpenClaim", "open_claims"]


@dataclass(frozen=True)
class OpenClaim:
    number: int  # 裁定 #number
    client_name: str
    phone_mask: str
    claimant: str
    attributed: str | None
    claimed_at: datetime
    deal_at: datetime
    reason: str


def open_claims(engine: Engine, identity: Identity) -> list[OpenClaim]:
    """The open claims in the projects the sender manages (desk staff see none)."""
    projects = {post.project_id for post in identity.posts if post.role == rules.Role.MANAGER}
    if not projects:
        return []
    owner = aliased(Distributor)
    claimant = aliased(Distributor)
    query = (
        select(Claim, Deal, Client.name, Client.phone_mask, claimant.name, owner.name)
        .join(Deal, Deal.id == Claim.deal_id)
        .join(Client, Client.id == Deal.client_id)
        .join(claimant, claimant.id == Claim.distributor_id)
        .outerjoin(owner, owner.id == Deal.distributor_id)
        .where(Claim.project_id.in_(projects), Claim.status == ClaimStatus.OPEN)
        .order_by(Claim.claimed_at, Claim.id)
    )
    with make_session_factory(engine)() as session:
        rows = session.execute(query).all()
    return [
        OpenClaim(
            row[1].filing_id or row[0].filing_id,
            row[2],
            row[3],
            row[4],
            row[5],
            row[0].claimed_at,
            row[1].event_at,
            row[0].reason,
        )  # fmt: skip
        for row in rows
    ]
