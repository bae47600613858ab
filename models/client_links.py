"""关联 / 取消关联: staff link two filings' clients as relatives or co-buyers (R10.4).

A link is between two clients of the same project (each named by one of its filings),
stored once per pair with who and when; linking a linked pair again changes nothing and
says so. A wrong link is removed by a manager of the project (``取消关联``); both are
logged. Rulings (``裁定``) weigh the records on linked clients by R10.4 and show the
relation. Links are direct: a relative of a relative is not linked by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import policy as rules
from models.accounts import log_decision
from models.claim_entities import ClientLink
from models.db import make_session_factory
from models.entities import Filing
from models.identity import Identity, StaffPost

__all__ = ["LinkOutcome", "Result", "link", "unlink"]


class Result(Enum):
    LINKED = "linked"
    ALREADY = "already"
    UNLINKED = "unlinked"
    NOT_LINKED = "not_linked"
    NOT_FOUND = "not_found"  # a number of no filing of the sender's project (R12)
    NOT_MANAGER = "not_manager"
    SAME_CLIENT = "same_client"
    NO_CLIENT = "no_client"


@dataclass(frozen=True)
class LinkOutcome:
    result: Result
    numbers: tuple[int, int]
    names: tuple[str, str] = ("", "")
    relation: str = ""


def link(
    engine: Engine, identity: Identity, first: int, second: int, relation: str, now: datetime
) -> LinkOutcome:
    """Link the two filings' clients (desk or manager of their project)."""
    with make_session_factory(engine).begin() as session:
        found = _pair(session, identity, first, second, manager_only=False)
        if isinstance(found, LinkOutcome):
            return found
        (a, b), post = found
        names = (a.client_name, b.client_name)
        low, high, existing = _link_of(session, a, b)
        if existing is not None:
            return LinkOutcome(Result.ALREADY, (first, second), names, existing.relation)
        session.add(ClientLink(
            project_id=a.project_id, client_a=low, client_b=high, relation=relation,
            linked_by=post.staff_id, linked_at=now,
        ))  # fmt: skip
        log_decision(
            session, now, f"staff:{post.staff_id}", "link", f"client:{low}", "R10.4", "linked",
            f"关联：#{a.id} 与 #{b.id} 的客户为{relation}（R10.4）",
            {"filings": [a.id, b.id], "clients": [low, high], "relation": relation},
            a.project_id,
        )  # fmt: skip
        return LinkOutcome(Result.LINKED, (first, second), names, relation)


def unlink(
    engine: Engine, identity: Identity, first: int, second: int, now: datetime
) -> LinkOutcome:
    """Remove a wrong link (managers of the project)."""
    with make_session_factory(engine).begin() as session:
        found = _pair(session, identity, first, second, manager_only=True)
        if isinstance(found, LinkOutcome):
            return found
        (a, b), post = found
        names = (a.client_name, b.client_name)
        low, high, existing = _link_of(session, a, b)
        if existing is None:
            return LinkOutcome(Result.NOT_LINKED, (first, second), names)
        session.delete(existing)
        log_decision(
            session, now, f"staff:{post.staff_id}", "unlink", f"client:{low}", "R10.4",
            "unlinked", f"取消关联：#{a.id} 与 #{b.id}（原为{existing.relation}）",
            {"filings": [a.id, b.id], "clients": [low, high], "relation": existing.relation},
            a.project_id,
        )  # fmt: skip
        return LinkOutcome(Result.UNLINKED, (first, second), names, existing.relation)


def _pair(
    session: Session, identity: Identity, first: int, second: int, manager_only: bool
) -> tuple[tuple[Filing, Filing], StaffPost] | LinkOutcome:
    """Both filings, of one project the sender serves (in a role that may), with clients."""
    numbers = (first, second)
    a, b = session.get(Filing, first), session.get(Filing, second)
    if a is None or b is None or a.project_id != b.project_id:
        return LinkOutcome(Result.NOT_FOUND, numbers)
    post = identity.post_in(a.project_id)
    if post is None:
        return LinkOutcome(Result.NOT_FOUND, numbers)
    if manager_only and post.role != rules.Role.MANAGER:
        return LinkOutcome(Result.NOT_MANAGER, numbers)
    if a.client_id is None or b.client_id is None:
        return LinkOutcome(Result.NO_CLIENT, numbers)
    if a.client_id == b.client_id:
        return LinkOutcome(Result.SAME_CLIENT, numbers, (a.client_name, b.client_name))
    return (a, b), post


def _link_of(session: Session, a: Filing, b: Filing) -> tuple[int, int, ClientLink | None]:
    """The two clients in the order a link stores them (lower id first), and their link."""
    low, high = sorted((a.client_id or 0, b.client_id or 0))
    existing = session.scalar(
        select(ClientLink).where(ClientLink.client_a == low, ClientLink.client_b == high)
    )
    return low, high, existing
