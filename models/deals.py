"""Deals recorded by the case site: record and void them (issue 18 item 1, R9).

The attribution is pure (``models.policy.deals.attribute_deal``); this module reads the
client's protection rows and live deals, stores the deal with its attribution in one
transaction, logs the ruling with its rule and the project's policy values, and queues
the attributed agent's push (``models.deal_pushes``). Recording a deal is never blocked
by anything pending (R10's claims). A live deal stops the client's expiry and its
reminders: the R4/R8 jobs skip a client with one (``models.protections``), so the
client's protection rows stay as they are and the owner the filing path reads is
unchanged; ``退定`` voids the deals and expiry resumes from the protection's end.

A deal names its client by a filing (``#编号``) or, for a client with no filing, by the
full phone and the name: the client of the sender's project with that mask and name,
created as the site's own (``known``, source ``deal``) if the project has none, so a
later filing of them is refused (R3). Either way R9 attributes by the client's rows. The
typed full phone is the desk's record of the client's number: kept on a found client that
has none yet (site data), so a conflict claim's ruling can weigh records against it (R10.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from models import deal_pushes
from models import policy as rules
from models.accounts import log_decision
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Client, Distributor, Filing, Project, Protection
from models.identity import Identity, StaffPost
from models.policy import ProtectionFacts, Role
from models.policy.deals import EarlierDeal, RowAt, attribute_deal
from models.policy.id_numbers import mask_id_number
from models.requests import Buyer, DealRequest

__all__ = ["DealOutcome", "Result", "find", "masked", "record", "void"]

RECORDERS = frozenset({Role.FRONTDESK, Role.MANAGER})
KNOWN_BY_DEAL = "deal"  # ``clients.known_source`` of a client first known by a deal


class Result(Enum):
    RECORDED = "recorded"
    VOIDED = "voided"
    EXCLUDED = "excluded"
    NOT_FOUND = "not_found"  # no such filing, or another project's (R12: alike)
    NOT_YOUR_ROLE = "not_your_role"  # staff of the project, but not in a role that may
    NO_CLIENT = "no_client"  # the filing was never tied to a client
    WHICH_PROJECT = "which_project"  # the full-phone form by staff of several projects
    NOTHING_TO_VOID = "nothing_to_void"
    NOTHING_TO_EXCLUDE = "nothing_to_exclude"


@dataclass(frozen=True)
class DealOutcome:
    result: Result
    filing_no: int | None
    client_name: str = ""
    phone_mask: str = ""
    kind: str | None = None
    amount: int | None = None
    event_at: datetime | None = None
    distributor: str | None = None  # the attributed distributor's name; None: nobody
    rule: str = "R9"
    explanation: str = ""
    count: int = 0  # deals voided or excluded
    buyer: Buyer | None = None  # masked: ``138****5678``, ``110***********1234``


@dataclass(frozen=True)
class Target:
    """Whose deal: the client, the filing named (or the client's newest), the sender."""

    client: Client
    filing: Filing | None
    post: StaffPost
    created: bool = False  # the client was first known to the project by this deal


def record(
    engine: Engine, identity: Identity, request: DealRequest, now: datetime,
    source_msg: str | None, tz: ZoneInfo,
) -> DealOutcome:  # fmt: skip
    """Record one deal event, attributed by R9 at its own time; the buyer's details, if
    typed, are stored as site data and only ever shown masked."""
    with make_session_factory(engine).begin() as session:
        if source_msg and (done := _by_source(session, source_msg)) is not None:
            return _outcome(session, done, "")
        found = _target(session, identity, request, now)
        if isinstance(found, DealOutcome):
            return found
        client, event_at = found.client, request.at or now
        rows = session.scalars(select(Protection).where(Protection.client_id == client.id))
        earlier = session.execute(
            select(Deal.event_at, Deal.distributor_id).where(
                Deal.client_id == client.id, Deal.voided_at.is_(None)
            )
        ).all()
        ruling = attribute_deal(
            event_at,
            [RowAt(_facts(row), row.starts_at) for row in rows],
            [EarlierDeal(e.event_at, e.distributor_id) for e in earlier],
        )
        buyer = request.buyer or Buyer()
        deal = Deal(
            client_id=client.id, filing_id=found.filing.id if found.filing else None,
            project_id=client.project_id, kind=request.kind, amount=request.amount,
            event_at=event_at, recorded_by=found.post.staff_id, recorded_at=now,
            distributor_id=ruling.distributor_id,
            source_msg=source_msg or f"deal:{found.post.staff_id}:{now.isoformat()}",
            buyer_name=buyer.name, buyer_phone=buyer.phone, buyer_id_number=buyer.id_number,
        )  # fmt: skip
        session.add(deal)
        session.flush()
        facts: dict[str, Any] = {
            "filing_id": deal.filing_id, "client_id": client.id, "kind": request.kind,
            "amount": request.amount, "event_at": event_at.isoformat(),
            "recorded_at": now.isoformat(), "distributor_id": ruling.distributor_id,
            "protection_id": ruling.protection_id, "phone_mask": client.phone_mask,
            "client_created": found.created, "buyer": _masked_facts(masked(request.buyer)),
        }  # fmt: skip
        log_decision(
            session, now, f"staff:{found.post.staff_id}", "deal", f"deal:{deal.id}",
            ruling.rule, ruling.reason.value, ruling.explanation, facts, client.project_id,
            policy_values(session, client.project_id),
        )  # fmt: skip
        deal_pushes.tell_deal(session, deal, client, now, tz)
        return _outcome(session, deal, ruling.explanation)


def void(
    engine: Engine, identity: Identity, filing_no: int, reason: str, now: datetime,
    tz: ZoneInfo,
) -> DealOutcome:  # fmt: skip
    """退定: the client's live deals no longer count; the client's expiry resumes (R9)."""
    with make_session_factory(engine).begin() as session:
        found = find(session, identity, filing_no, frozenset({Role.MANAGER}))
        if isinstance(found, DealOutcome):
            return found
        client, post = found.client, found.post
        voided = list(
            session.scalars(
                update(Deal)
                .where(Deal.client_id == client.id, Deal.voided_at.is_(None))
                .values(voided_at=now, voided_by=post.staff_id, void_reason=reason)
                .returning(Deal)
            )
        )
        if not voided:
            return DealOutcome(Result.NOTHING_TO_VOID, filing_no, client.name,
                               client.phone_mask)  # fmt: skip
        log_decision(
            session, now, f"staff:{post.staff_id}", "deal_void", f"client:{client.id}",
            "R9", "voided", "退定：该客户的成交不再计入，保护期到期照常（R9）",
            {"filing_id": filing_no, "deal_ids": [deal.id for deal in voided],
             "reason": reason},
            client.project_id, policy_values(session, client.project_id),
        )  # fmt: skip
        deal_pushes.tell_void(session, voided, client, now, tz)
        return DealOutcome(Result.VOIDED, filing_no, client.name, client.phone_mask,
                           count=len(voided))  # fmt: skip


def find(
    session: Session, identity: Identity, filing_no: int, roles: frozenset[Role]
) -> Target | DealOutcome:
    """The filing's client, in a project where the sender holds one of ``roles`` (R12)."""
    filing = session.get(Filing, filing_no)
    posts = [] if filing is None else [
        post for post in identity.posts if post.project_id == filing.project_id
    ]  # fmt: skip
    if filing is None or not posts:
        return DealOutcome(Result.NOT_FOUND, filing_no)
    post = next((post for post in posts if post.role in roles), None)
    if post is None:
        return DealOutcome(Result.NOT_YOUR_ROLE, filing_no)
    client = session.get(Client, filing.client_id) if filing.client_id else None
    if client is None:
        return DealOutcome(Result.NO_CLIENT, filing_no)
    return Target(client, filing, post)


def _target(
    session: Session, identity: Identity, request: DealRequest, now: datetime
) -> Target | DealOutcome:
    """The client a deal is of: by its filing, or by full phone and name (no filing)."""
    if request.filing_no is not None:
        return find(session, identity, request.filing_no, RECORDERS)
    assert request.client_phone is not None and request.client_name is not None
    posts = [post for post in identity.posts if post.role in RECORDERS]
    if not posts:
        return DealOutcome(Result.NOT_YOUR_ROLE, None)
    if len({post.project_id for post in posts}) > 1:
        return DealOutcome(Result.WHICH_PROJECT, None)
    post, mask = posts[0], rules.mask_phone(request.client_phone)
    client = session.scalar(
        select(Client)
        .where(
            Client.project_id == post.project_id, Client.phone_mask == mask,
            Client.name == request.client_name,
        )
        .with_for_update()
    )  # fmt: skip
    created = client is None
    if client is None:
        client = Client(
            project_id=post.project_id, name=request.client_name, phone_mask=mask,
            full_phone=request.client_phone, state=rules.ClientStatus.KNOWN,
            known_source=KNOWN_BY_DEAL, version=1, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(client)
        session.flush()
    elif client.full_phone is None:  # the desk's record of the phone: R10.2 weighs it
        client.full_phone, client.updated_at = request.client_phone, now
    newest = session.scalar(
        select(Filing).where(Filing.client_id == client.id).order_by(Filing.id.desc()).limit(1)
    )
    return Target(client, newest, post, created)


def policy_values(session: Session, project_id: int) -> dict[str, Any]:
    """The project's policy values, logged with every ruling."""
    project = session.get(Project, project_id)
    assert project is not None
    return rules.Policy.from_stored(project.policy).as_dict()


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


def _facts(row: Protection) -> ProtectionFacts:
    return ProtectionFacts(row.id, row.distributor_id, row.agent_id, row.ends_at,
                           row.ended_reason)  # fmt: skip


def _by_source(session: Session, source_msg: str) -> Deal | None:
    return session.scalar(select(Deal).where(Deal.source_msg == source_msg))


def _outcome(session: Session, deal: Deal, explanation: str) -> DealOutcome:
    """What the recorder hears: the client (masked), the attribution, the buyer masked."""
    client = session.get(Client, deal.client_id)
    assert client is not None
    name = None
    if deal.distributor_id is not None:
        distributor = session.get(Distributor, deal.distributor_id)
        name = distributor.name if distributor is not None else None
    stored = Buyer(deal.buyer_name, deal.buyer_phone, deal.buyer_id_number)
    return DealOutcome(
        Result.RECORDED, deal.filing_id, client.name, client.phone_mask, deal.kind,
        deal.amount, deal.event_at, name, "R9", explanation,
        buyer=masked(stored) if stored != Buyer() else None,
    )  # fmt: skip
