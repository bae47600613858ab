"""Deals recorded by the case site: record and void them (issue 18 item 1, R9).

The attribution is pure (``models.policy.deals.attribute_deal``); this module reads the
client's protection rows and live deals, stores the deal with its attribution in one
transaction and logs the ruling with its rule and the project's policy values. Recording
a deal is never blocked by anything pending (R10's claims come later). A live deal stops
the client's expiry and its reminders: the R4/R8 jobs skip a client with one
(``models.protections``), so the client's protection rows stay as they are and the owner
the filing path reads is unchanged; ``退定`` voids the deals and expiry resumes from the
protection's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from models import policy as rules
from models.accounts import log_decision
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Distributor, Filing, Project, Protection
from models.identity import Identity, StaffPost
from models.policy import ProtectionFacts, Role
from models.policy.deals import EarlierDeal, RowAt, attribute_deal
from models.policy.id_numbers import mask_id_number
from models.requests import Buyer

__all__ = ["DealOutcome", "Result", "record", "void"]

RECORDERS = frozenset({Role.FRONTDESK, Role.MANAGER})


class Result(Enum):
    RECORDED = "recorded"
    VOIDED = "voided"
    NOT_FOUND = "not_found"  # no such filing, or another project's (R12: alike)
    NOT_YOUR_ROLE = "not_your_role"  # staff of the project, but not in a role that may
    NO_CLIENT = "no_client"  # the filing was never tied to a client
    NOTHING_TO_VOID = "nothing_to_void"


@dataclass(frozen=True)
class DealOutcome:
    result: Result
    filing_no: int
    client_name: str = ""
    phone_mask: str = ""
    kind: str | None = None
    amount: int | None = None
    event_at: datetime | None = None
    distributor: str | None = None  # the attributed distributor's name; None: nobody
    rule: str = "R9"
    explanation: str = ""
    voided: int = 0
    buyer: Buyer | None = None  # masked: ``138****5678``, ``110***********1234``


def record(
    engine: Engine,
    identity: Identity,
    filing_no: int,
    kind: str,
    amount: int | None,
    at: datetime | None,
    now: datetime,
    source_msg: str | None,
    buyer: Buyer | None = None,
) -> DealOutcome:
    """Record one deal event of the filing's client, attributed by R9 at its own time;
    the buyer's details, if typed, are stored as site data and only ever shown masked."""
    with make_session_factory(engine).begin() as session:
        if source_msg and (done := _by_source(session, source_msg)) is not None:
            filing = session.get(Filing, done.filing_id) if done.filing_id else None
            return _outcome(session, done, filing, "")
        found = _find(session, identity, filing_no, RECORDERS)
        if isinstance(found, DealOutcome):
            return found
        filing, post = found
        assert filing.client_id is not None
        event_at = at or now
        rows = session.scalars(
            select(Protection).where(Protection.client_id == filing.client_id)
        ).all()
        earlier = session.execute(
            select(Deal.event_at, Deal.distributor_id).where(
                Deal.client_id == filing.client_id, Deal.voided_at.is_(None)
            )
        ).all()
        ruling = attribute_deal(
            event_at,
            [RowAt(_facts(row), row.starts_at) for row in rows],
            [EarlierDeal(e.event_at, e.distributor_id) for e in earlier],
        )
        deal = Deal(
            client_id=filing.client_id, filing_id=filing.id, project_id=filing.project_id,
            kind=kind, amount=amount, event_at=event_at, recorded_by=post.staff_id,
            recorded_at=now, distributor_id=ruling.distributor_id,
            source_msg=source_msg or f"deal:{post.staff_id}:{now.isoformat()}",
            buyer_name=buyer.name if buyer else None, buyer_phone=buyer.phone if buyer else None,
            buyer_id_number=buyer.id_number if buyer else None,
        )  # fmt: skip
        session.add(deal)
        session.flush()
        project = session.get(Project, filing.project_id)
        assert project is not None
        policy = rules.Policy.from_stored(project.policy)
        facts: dict[str, Any] = {
            "filing_id": filing.id, "client_id": filing.client_id, "kind": kind,
            "amount": amount, "event_at": event_at.isoformat(), "recorded_at": now.isoformat(),
            "distributor_id": ruling.distributor_id, "protection_id": ruling.protection_id,
            "phone_mask": filing.phone_mask, "buyer": _masked_facts(masked(buyer)),
        }  # fmt: skip
        log_decision(
            session, now, f"staff:{post.staff_id}", "deal", f"deal:{deal.id}", ruling.rule,
            ruling.reason.value, ruling.explanation, facts, filing.project_id, policy.as_dict(),
        )  # fmt: skip
        return _outcome(session, deal, filing, ruling.explanation)


def void(
    engine: Engine, identity: Identity, filing_no: int, reason: str, now: datetime
) -> DealOutcome:
    """退定: the client's live deals no longer count; the client's expiry resumes (R9)."""
    with make_session_factory(engine).begin() as session:
        found = _find(session, identity, filing_no, frozenset({Role.MANAGER}))
        if isinstance(found, DealOutcome):
            return found
        filing, post = found
        voided = session.execute(
            update(Deal)
            .where(Deal.client_id == filing.client_id, Deal.voided_at.is_(None))
            .values(voided_at=now, voided_by=post.staff_id, void_reason=reason)
            .returning(Deal.id)
        ).all()
        if not voided:
            return DealOutcome(Result.NOTHING_TO_VOID, filing.id, filing.client_name,
                               filing.phone_mask)  # fmt: skip
        log_decision(
            session, now, f"staff:{post.staff_id}", "deal_void", f"client:{filing.client_id}",
            "R9", "voided", "退定：该客户的成交不再计入，保护期到期照常（R9）",
            {"filing_id": filing.id, "deal_ids": [row.id for row in voided], "reason": reason},
            filing.project_id,
        )  # fmt: skip
        return DealOutcome(Result.VOIDED, filing.id, filing.client_name, filing.phone_mask,
                           voided=len(voided))  # fmt: skip


def _find(
    session: Session, identity: Identity, filing_no: int, roles: frozenset[Role]
) -> tuple[Filing, StaffPost] | DealOutcome:
    """The filing, in a project where the sender holds one of ``roles`` (R12)."""
    filing = session.get(Filing, filing_no)
    posts = [] if filing is None else [
        post for post in identity.posts if post.project_id == filing.project_id
    ]  # fmt: skip
    if filing is None or not posts:
        return DealOutcome(Result.NOT_FOUND, filing_no)
    post = next((post for post in posts if post.role in roles), None)
    if post is None:
        return DealOutcome(Result.NOT_YOUR_ROLE, filing_no)
    if filing.client_id is None:
        return DealOutcome(Result.NO_CLIENT, filing_no)
    return filing, post


def _facts(row: Protection) -> ProtectionFacts:
    return ProtectionFacts(row.id, row.distributor_id, row.agent_id, row.ends_at,
                           row.ended_reason)  # fmt: skip


def _by_source(session: Session, source_msg: str) -> Deal | None:
    return session.scalar(select(Deal).where(Deal.source_msg == source_msg))


def masked(buyer: Buyer | None) -> Buyer | None:
    """The buyer as anyone may read it: the name, the phone and ID number masked."""
    if buyer is None:
        return None
    return Buyer(
        buyer.name,
        rules.mask_phone(buyer.phone) if buyer.phone else None,
        mask_id_number(buyer.id_number) if buyer.id_number else None,
    )


def _masked_facts(buyer: Buyer | None) -> dict[str, str | None] | None:
    if buyer is None:
        return None
    return {"name": buyer.name, "phone_mask": buyer.phone, "id_mask": buyer.id_number}


def _stored_buyer(deal: Deal) -> Buyer | None:
    if deal.buyer_name is None and deal.buyer_phone is None and deal.buyer_id_number is None:
        return None
    return Buyer(deal.buyer_name, deal.buyer_phone, deal.buyer_id_number)


def _outcome(session: Session, deal: Deal, filing: Filing | None, explanation: str) -> DealOutcome:
    name = None
    if deal.distributor_id is not None:
        distributor = session.get(Distributor, deal.distributor_id)
        name = distributor.name if distributor is not None else None
    return DealOutcome(
        Result.RECORDED, deal.filing_id or 0,
        filing.client_name if filing else "", filing.phone_mask if filing else "",
        deal.kind, deal.amount, deal.event_at, name, "R9", explanation,
        buyer=masked(_stored_buyer(deal)),
    )  # fmt: skip
