"""Open claims (R10): every 撞单 of the project still awaiting a manager's 裁定, oldest
first, with the deal it is about, the distributor the deal is attributed to (R9) and the
claimant; the client by masked phone only (R12)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from models.claim_entities import Claim, ClaimStatus
from models.deal_entities import Deal
from models.entities import Agent, Client, Distributor
from models.policy import report_wording as words
from models.policy.deals import DEAL_WORDS, DealKind
from models.reports.tables import Cell, Report, Sheet


def claims_report(conn: Connection, project_id: int, tz: ZoneInfo) -> Report:
    owner, claimant = aliased(Distributor), aliased(Distributor)
    rows = conn.execute(
        select(
            Deal.filing_id, Claim.filing_id.label("claim_filing"), Client.name,
            Client.phone_mask, Deal.kind, Deal.event_at, owner.name.label("owner"),
            claimant.name.label("claimant"), Agent.name.label("agent"), Claim.claimed_at,
            Claim.reason,
        )
        .select_from(Claim)
        .join(Deal, Deal.id == Claim.deal_id)
        .join(Client, Client.id == Deal.client_id)
        .join(claimant, claimant.id == Claim.distributor_id)
        .join(Agent, Agent.id == Claim.agent_id)
        .outerjoin(owner, owner.id == Deal.distributor_id)
        .where(Claim.project_id == project_id, Claim.status == ClaimStatus.OPEN)
        .order_by(Claim.claimed_at, Claim.id)
    ).all()  # fmt: skip
    table: tuple[tuple[Cell, ...], ...] = tuple(
        (
            f"#{row.filing_id or row.claim_filing}", row.name, row.phone_mask,
            DEAL_WORDS[DealKind(row.kind)], _local(row.event_at, tz), row.owner or words.NOBODY,
            row.claimant, row.agent, _local(row.claimed_at, tz), row.reason,
        )
        for row in rows
    )  # fmt: skip
    return Report((Sheet("claims", words.CLAIMS_SHEET, words.CLAIMS_HEADERS, table),))


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)
