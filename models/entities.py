"""Typed ORM classes: the people, projects, clients and filings of the rule book.

Shaped for what comes next (arrivals, rulings, deals, claims, reminders): a client keeps
its full phone once the front desk records it (R3: decisive at arrival), its state moves
``filed -> visited -> known`` (public), and every filing keeps the policy values it was
decided under so a later policy change never rewrites history.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from models.db import AwareDateTime, Base, JSONDoc
from models.policy import DistributorStatus, FilingStatus
from models.policy.states import RAN_OUT, ProtectionEnd
from models.requests import NOTE_MAX_CHARS

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Project(Base):
    """One development with one sales office, and its policy values (domain.md table)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


class Distributor(Base):
    """A distributor company; only an ``active`` one may file (R3)."""

    __tablename__ = "distributors"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DistributorStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)


class InviteCode(Base):
    """A one-time code that binds a WeChat user as an agent or as staff, until it expires
    or is revoked (``models.policy.invites``)."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # agent | staff
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    role: Mapped[str | None] = mapped_column(String(16))  # frontdesk | manager
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    used_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    used_by: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime)  # None: never
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime)


class Agent(Base):
    """A distributor's agent, known by the openid they message from.

    An unbound agent (``unbound_at`` set by the channel team) keeps the row, which its
    filings and protections name, but is no agent: every lookup by openid skips it, until
    the same user binds again with a new code (one identity per openid)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(AwareDateTime)
    unbound_at: Mapped[datetime | None] = mapped_column(AwareDateTime)


class Staff(Base):
    """Case-site staff of one project: ``frontdesk`` registers, ``manager`` approves."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("openid", "project_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(50))
    bound_at: Mapped[datetime] = mapped_column(AwareDateTime)


class Client(Base):
    """A client as one project knows them: the unit of ownership (R3).

    One row per (project, phone mask, name). Who protects the client until when is its
    current protection row (``models.policy.current_protection``), the one source of
    truth; ``state`` stays here because a KNOWN client (and a 公客 after expiry, an
    ARRIVED one awaiting the manager) is a fact of the site, not of any protection.
    ``version`` is the compare-and-set a filing takes the client with, which is what
    makes "two distributors at the same moment: exactly one wins" hold in the database
    rather than in a lock: every writer that opens, ends or extends a protection row of
    the client (or changes ``state``) bumps ``version`` in the same transaction, so a
    filing judged on the rows it read writes only if they are still those rows.
    """

    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("project_id", "phone_mask", "name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # No foreign keys to projects, agents, distributors on the two tables every filing
    # writes: each check would lock the parent row (FOR KEY SHARE), so every filing of a
    # project would queue on that project's row. Parents are never deleted (nothing in
    # the service deletes them), which is what those checks would have guarded.
    project_id: Mapped[int] = mapped_column(Id)
    name: Mapped[str] = mapped_column(String(50))
    phone_mask: Mapped[str] = mapped_column(String(11))
    full_phone: Mapped[str | None] = mapped_column(String(11))  # front desk, at arrival
    state: Mapped[str] = mapped_column(String(8))  # a ClientStatus
    known_source: Mapped[str | None] = mapped_column(String(16))
    # Who protects the client until when is not stored here: ``owner_agent_id``,
    # ``owner_distributor_id`` and ``protected_until`` are read-only attributes read from
    # the client's current protection row (``models.push_entities``, R3).
    if TYPE_CHECKING:
        owner_agent_id: Mapped[int | None]
        owner_distributor_id: Mapped[int | None]
        protected_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime)


class Filing(Base):
    """One 报备, accepted or refused, with the policy values it was decided under.

    ``status``: a ``FilingStatus`` (filed, visited, refused, cancelled). "Lapsed" is not
    stored: a filed client whose ``protection_ends_at`` has passed is lapsed by the clock (R4).
    """

    __tablename__ = "filings"
    __table_args__ = (
        Index("ix_filings_agent_id_id", "agent_id", "id"),  # 查询: an agent's newest first
        Index("ix_filings_project_arrival", "project_id", "expected_arrival_at"),
        # the lapse scan and its reminder (R4): only open filings, by their end
        Index(
            "ix_filings_filed_protection_ends",
            "protection_ends_at",
            postgresql_where=text(f"status = '{FilingStatus.FILED}'"),
            sqlite_where=text(f"status = '{FilingStatus.FILED}'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id)  # no FK: see Client
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    agent_id: Mapped[int] = mapped_column(Id)
    distributor_id: Mapped[int] = mapped_column(Id)
    client_name: Mapped[str] = mapped_column(String(50))
    phone_mask: Mapped[str] = mapped_column(String(11))
    remote: Mapped[bool] = mapped_column(Boolean)
    expected_arrival_at: Mapped[datetime] = mapped_column(AwareDateTime)
    filed_at: Mapped[datetime] = mapped_column(AwareDateTime)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(32))
    protection_ends_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_CHARS))
    bulk_claim: Mapped[bool] = mapped_column(Boolean, default=False)
    source_msg: Mapped[str | None] = mapped_column(String(80), unique=True)


class VisitReport(Base):
    """An agent's 带看 report (R5): when they said the client would come."""

    __tablename__ = "visit_reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    reported_at: Mapped[datetime] = mapped_column(AwareDateTime)
    visit_at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    previous_arrival_at: Mapped[datetime] = mapped_column(AwareDateTime)
    source_msg: Mapped[str | None] = mapped_column(String(80), unique=True)


class DecisionLogEntry(Base):
    """The append-only decision log (R12): who, what, when, which rule, why, which policy.

    Entries are written in the deciding transaction without touching any shared row, so
    filings never queue behind a chain head. The sealer (a scheduler job) later gives each
    settled entry its ``chain_pos`` and ``entry_hash`` = sha256(content + previous hash);
    ``flask --app bot audit verify`` recomputes the chain and names the first broken entry.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        # partial: a filing's insert adds no entry here; only the sealer does
        Index(
            "uq_decisions_chain_pos",
            "chain_pos",
            unique=True,
            postgresql_where=text("chain_pos IS NOT NULL"),
            sqlite_where=text("chain_pos IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime)
    actor: Mapped[str] = mapped_column(String(80))  # agent:<id> | staff:<id> | cli
    action: Mapped[str] = mapped_column(String(32))  # file | cancel | visit_report | ...
    subject: Mapped[str] = mapped_column(String(40), index=True)  # filing:<id> | ...
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    chain_pos: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


class InboundMessage(Base):
    """Dedup of WeChat's retries when Redis is unreachable: the database remembers."""

    __tablename__ = "inbound_messages"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)


class Protection(Base):
    """One protection period of one client for one distributor's agent (R4-R7, R10).

    ``kind``: a ``ProtectionKind``; ``started_by`` names what started it (``filing:12``,
    ``arrival:5``); ``lock_at`` is R10's lock time (the filing time for a filing
    protection). A row stops protecting at ``ends_at`` or when ``ended_reason`` (a
    ``ProtectionEnd``) is set; the scheduler sets ``lapsed``/``expired`` when it tells
    the agent. No foreign keys, as on the filing tables: a filing writes this row in its
    own statement, and each check would lock a parent row on the filing path.
    """

    __tablename__ = "protections"
    __table_args__ = (
        Index(
            "ix_protections_open_ends_at",
            "ends_at",
            postgresql_where=text("ended_reason IS NULL"),
            sqlite_where=text("ended_reason IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(Id)
    client_id: Mapped[int] = mapped_column(Id, index=True)
    filing_id: Mapped[int | None] = mapped_column(Id)
    distributor_id: Mapped[int] = mapped_column(Id)
    agent_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(16))  # a ProtectionKind
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime)
    ends_at: Mapped[datetime] = mapped_column(AwareDateTime)
    started_by: Mapped[str] = mapped_column(String(40))
    lock_at: Mapped[datetime] = mapped_column(AwareDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)


def current_of(client_id: Any, column: str) -> Any:
    """A column of the client's current protection row, as a scalar subquery correlated
    to ``client_id``: ``models.policy.current_protection`` in SQL (the open row that ends
    last, else the lapsed, expired or held row that ends last; ties to the newest). One probe
    of the ``client_id`` index; None when the client has no such row."""
    rows, filings = Protection.__table__, Filing.__table__
    return (
        select(rows.c[column])
        .where(
            rows.c.client_id == client_id,
            or_(
                rows.c.ended_reason.is_(None),
                rows.c.ended_reason.in_(RAN_OUT),
                and_(  # held: its filing's arrival awaits the manager (R5)
                    rows.c.ended_reason == ProtectionEnd.SUPERSEDED.value,
                    select(filings.c.id)
                    .where(
                        filings.c.id == rows.c.filing_id,
                        filings.c.status == FilingStatus.ARRIVED.value,
                    )
                    .exists(),
                ),
            ),
        )
        .order_by(rows.c.ended_reason.is_(None).desc(), rows.c.ends_at.desc(), rows.c.id.desc())
        .limit(1)
        .correlate_except(rows)
        .scalar_subquery()
    )


# The client's owner and end are read from its protection rows, never stored beside them
# (migration 0009 dropped the copies): read-only, loaded with the client.
for _attribute, _column in (
    ("owner_agent_id", "agent_id"),
    ("owner_distributor_id", "distributor_id"),
    ("protected_until", "ends_at"),
):
    setattr(Client, _attribute, column_property(current_of(Client.__table__.c.id, _column)))
