"""Telling the attributed agent of a deal and of its 退定 (issue 18 item 1, R9).

The agent told is the one whose protection row of the client gave the deal its
attribution: the latest row of the attributed distributor that had started by the deal's
time, while that agent is still bound to that distributor (one who moved on is not told
of the old company's clients). Pushes go in the caller's transaction, through the outbox,
at once; they name the client by name and mask only and no company but the agent's own
(R3), which the wording leaves unnamed (贵司).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import outbox
from models import policy as rules
from models.deal_entities import Deal
from models.entities import Agent, Client, Project, Protection
from models.policy import push_wording as words
from models.policy.deals import DEAL_WORDS, DealKind

__all__ = ["tell_deal", "tell_void"]


def tell_deal(session: Session, deal: Deal, client: Client, now: datetime, tz: ZoneInfo) -> bool:
    """Queue the deal for its attributed agent; False: nobody to tell."""
    found = _agent(session, deal)
    if found is None:
        return False
    openid, filing_id = found
    text, fields = words.deal_message(_facts(session, deal, client, filing_id, tz))
    return outbox.push_now(
        session, kind=rules.PushKind.DEAL, subject=f"deal:{deal.id}",
        openid=openid, text=text, fields=fields, now=now, tz=tz,
    )  # fmt: skip


def tell_void(
    session: Session, voided: list[Deal], client: Client, now: datetime, tz: ZoneInfo
) -> int:
    """Queue one 退定 push per attributed company of the voided deals; how many queued."""
    told = 0
    first_by_company: dict[int, Deal] = {}
    for deal in sorted(voided, key=lambda d: d.event_at):
        if deal.distributor_id is not None:
            first_by_company.setdefault(deal.distributor_id, deal)
    for deal in first_by_company.values():
        found = _agent(session, deal)
        if found is None:
            continue
        openid, filing_id = found
        text, fields = words.deal_void_message(_facts(session, deal, client, filing_id, tz))
        told += outbox.push_now(
            session, kind=rules.PushKind.DEAL_VOIDED, subject=f"deal_void:{deal.id}",
            openid=openid, text=text, fields=fields, now=now, tz=tz,
        )  # fmt: skip
    return told


def _agent(session: Session, deal: Deal) -> tuple[str, int | None] | None:
    """The openid of the agent who protected the client for the deal's company, and the
    filing of that protection; None when nobody is attributed or the agent moved on."""
    if deal.distributor_id is None:
        return None
    row = session.execute(
        select(Protection.agent_id, Protection.filing_id)
        .where(
            Protection.client_id == deal.client_id,
            Protection.distributor_id == deal.distributor_id,
            Protection.starts_at <= deal.event_at,
        )
        .order_by(Protection.starts_at.desc(), Protection.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    openid = session.scalar(
        select(Agent.openid).where(
            Agent.id == row.agent_id,
            Agent.distributor_id == deal.distributor_id,
            Agent.unbound_at.is_(None),  # an unbound agent is told nothing more (R12)
        )
    )
    return None if openid is None else (openid, row.filing_id)


def _facts(
    session: Session, deal: Deal, client: Client, filing_id: int | None, tz: ZoneInfo
) -> words.DealPushFacts:
    project = session.get(Project, deal.project_id)
    assert project is not None
    return words.DealPushFacts(
        project.name, client.name, client.phone_mask, filing_id,
        DEAL_WORDS[DealKind(deal.kind)], deal.event_at.astimezone(tz),
    )  # fmt: skip
