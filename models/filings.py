"""Filing a client (R1-R4): read the facts, let the policy decide, write race-free.

The write path is the product's hot path and is built for it:
- one read (agent, distributor, project and the client's record in one joined SELECT);
- the policy decides in Python (``models.policy.decide_filing``), with no I/O;
- one write: on PostgreSQL a single autocommit statement (a CTE that takes the client's
  record over with a compare-and-set on ``version``, inserts the filing and its decision
  log entry); on SQLite the same three statements in one ``BEGIN IMMEDIATE`` transaction.
If the compare-and-set finds the record changed since the read (another distributor won
the race), the facts are read again and the policy decides again: exactly one wins, and
the loser hears why, in the database's terms rather than a lock's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, String, and_, cast, false, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from handlers.commands import ClientEntry
from models import policy as rules
from models.db import AwareDateTime, JSONDoc, table_of
from models.entities import Agent, Client, Decision, Distributor, Filing, Project
from models.errors import NotBound, UnknownProject

AGENTS, DISTRIBUTORS, PROJECTS = table_of(Agent), table_of(Distributor), table_of(Project)
CLIENTS, FILINGS, DECISIONS = table_of(Client), table_of(Filing), table_of(Decision)
MAX_RACE_RETRIES = 5


@dataclass(frozen=True)
class FilingContext:
    """The facts read in one query: who files, for which project, and the client's record."""

    agent_id: int
    distributor_id: int
    distributor_status: str
    project_id: int | None
    project_name: str | None
    policy: rules.Policy
    existing: rules.ClientState | None
    client_version: int | None


@dataclass(frozen=True)
class FilingOutcome:
    entry: ClientEntry
    decision: rules.Decision
    filing_no: int | None
    project_name: str = ""
    recorded_explanation: str | None = None  # a replayed ruling, worded as it was first

    def explanation(self) -> str:
        return self.recorded_explanation or self.decision.explanation()


def read_context(
    conn: Connection, openid: str, project_ref: str, entry: ClientEntry | None, tz: ZoneInfo
) -> FilingContext | None:
    """One round trip; None when the sender is not a bound agent."""
    client_on = (
        and_(
            CLIENTS.c.project_id == PROJECTS.c.id,
            CLIENTS.c.phone_mask == entry.phone_mask,
            CLIENTS.c.name == entry.name,
        )
        if entry
        else false()
    )
    row = conn.execute(
        select(
            AGENTS.c.id,
            AGENTS.c.distributor_id,
            DISTRIBUTORS.c.status,
            PROJECTS.c.id,
            PROJECTS.c.name,
            PROJECTS.c.policy,
            CLIENTS.c.state,
            CLIENTS.c.owner_distributor_id,
            CLIENTS.c.protected_until,
            CLIENTS.c.known_source,
            CLIENTS.c.version,
        )
        .select_from(
            AGENTS.join(DISTRIBUTORS, DISTRIBUTORS.c.id == AGENTS.c.distributor_id)
            .outerjoin(
                PROJECTS,
                or_(PROJECTS.c.code == project_ref.upper(), PROJECTS.c.name == project_ref),
            )
            .outerjoin(CLIENTS, client_on)
        )
        .where(AGENTS.c.openid == openid)
    ).first()
    if row is None:
        return None
    existing = (
        rules.ClientState(
            state=row[6],
            owner_distributor_id=row[7],
            protected_until=row[8].astimezone(tz) if row[8] else None,
            known_source=row[9],
        )
        if row[6] is not None
        else None
    )
    return FilingContext(
        agent_id=row[0],
        distributor_id=row[1],
        distributor_status=row[2],
        project_id=row[3],
        project_name=row[4],
        policy=rules.Policy.from_mapping(row[5]) if row[5] is not None else rules.Policy(),
        existing=existing,
        client_version=row[10],
    )


def count_open_filings(conn: Connection, agent_id: int, now: datetime) -> int:
    """Only read when a cap is configured: filed, not visited, not lapsed."""
    return (
        conn.scalar(
            select(func.count()).where(
                FILINGS.c.agent_id == agent_id,
                FILINGS.c.status == "filed",
                FILINGS.c.protection_ends_at >= now,
            )
        )
        or 0
    )


def _filing_values(
    ctx: FilingContext,
    entry: ClientEntry,
    decision: rules.Decision,
    now: datetime,
    source_msg: str | None,
) -> dict[str, Any]:
    return {
        "project_id": ctx.project_id,
        "agent_id": ctx.agent_id,
        "distributor_id": ctx.distributor_id,
        "client_name": entry.name,
        "phone_mask": entry.phone_mask,
        "remote": entry.remote,
        "expected_arrival_at": entry.arrival,
        "filed_at": now,
        "status": "filed" if decision.ok else "refused",
        "reason": decision.reason.value,
        "protection_ends_at": decision.protected_until if decision.ok else None,
        "policy": ctx.policy.as_dict(),
        "note": entry.note,
        "bulk_claim": entry.bulk_claim,
        "source_msg": source_msg,
    }


def _decision_values(
    ctx: FilingContext, entry: ClientEntry, decision: rules.Decision, now: datetime, actor: str
) -> dict[str, Any]:
    return {
        "at": now,
        "actor": actor,
        "action": "file",
        "project_id": ctx.project_id,
        "rule": decision.rule,
        "outcome": decision.reason.value,
        "explanation": decision.explanation(),
        "facts": {
            "client_name": entry.name,
            "phone_mask": entry.phone_mask,
            "remote": entry.remote,
            "arrival": entry.arrival.isoformat(),
            "distributor_id": ctx.distributor_id,
            "owner_distributor_id": ctx.existing.owner_distributor_id if ctx.existing else None,
        },
        "policy": ctx.policy.as_dict(),
    }


def _client_upsert(
    dialect: str, ctx: FilingContext, entry: ClientEntry, until: datetime, now: datetime
) -> Any:
    """Take the client's record over only if it is still the one the policy judged."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CLIENTS).values(
        project_id=ctx.project_id,
        name=entry.name,
        phone_mask=entry.phone_mask,
        state="filed",
        owner_agent_id=ctx.agent_id,
        owner_distributor_id=ctx.distributor_id,
        protected_until=until,
        version=1,
        created_at=now,
        updated_at=now,
    )
    guard = CLIENTS.c.version == ctx.client_version if ctx.client_version is not None else false()
    return stmt.on_conflict_do_update(
        index_elements=[CLIENTS.c.project_id, CLIENTS.c.phone_mask, CLIENTS.c.name],
        set_={
            "state": "filed",
            "known_source": None,
            "owner_agent_id": stmt.excluded.owner_agent_id,
            "owner_distributor_id": stmt.excluded.owner_distributor_id,
            "protected_until": stmt.excluded.protected_until,
            "version": CLIENTS.c.version + 1,
            "updated_at": stmt.excluded.updated_at,
        },
        where=guard,
    ).returning(CLIENTS.c.id)


def _write_pg(
    conn: Connection, filing: dict[str, Any], log: dict[str, Any], upsert: Any | None
) -> int | None:
    """PostgreSQL: client record, filing and log entry in one statement, atomic on its own.

    Returns None when the compare-and-set on the client's record found it changed.
    """
    ctes, extra_cols, extra_vals = [], [], []
    if upsert is not None:
        taken = upsert.cte("taken")
        ctes.append(taken)
        extra_cols, extra_vals = ["client_id"], [taken.c.id]
    new_filing = (
        FILINGS.insert()
        .from_select(
            [*filing, *extra_cols],
            select(*[_lit(FILINGS, k, v) for k, v in filing.items()], *extra_vals),
        )
        .returning(FILINGS.c.id)
        .cte("new_filing")
    )
    new_log = (
        DECISIONS.insert()
        .from_select(
            [*log, "subject"],
            select(
                *[_lit(DECISIONS, k, v) for k, v in log.items()],
                literal("filing:") + cast(new_filing.c.id, String),
            ),
        )
        .cte("new_log")
    )
    return conn.execute(select(new_filing.c.id).add_cte(*ctes, new_filing, new_log)).scalar()


def _lit(table: Any, key: str, value: Any) -> Any:
    column_type = table.c[key].type
    if isinstance(column_type, AwareDateTime):
        return literal(value, AwareDateTime())
    if key in ("policy", "facts"):
        return literal(value, JSONDoc)
    return literal(value, column_type)


def _write_sqlite(
    conn: Connection, filing: dict[str, Any], log: dict[str, Any], upsert: Any | None
) -> int | None:
    """SQLite: the same writes in the caller's BEGIN IMMEDIATE transaction."""
    client_id = None
    if upsert is not None:
        client_id = conn.execute(upsert).scalar()
        if client_id is None:
            return None
    filing_id: int = conn.execute(
        FILINGS.insert().values(**filing, client_id=client_id).returning(FILINGS.c.id)
    ).scalar_one()
    conn.execute(DECISIONS.insert().values(**log, subject=f"filing:{filing_id}"))
    return filing_id


def find_by_source(conn: Connection, source_msg: str, tz: ZoneInfo) -> FilingOutcome | None:
    """The filing a message already made, with its project and its logged ruling."""
    row = conn.execute(
        select(
            FILINGS.c.id,
            FILINGS.c.reason,
            FILINGS.c.protection_ends_at,
            PROJECTS.c.name,
            DECISIONS.c.explanation,
            FILINGS.c.client_name,
            FILINGS.c.phone_mask,
            FILINGS.c.remote,
            FILINGS.c.expected_arrival_at,
        )
        .join(PROJECTS, PROJECTS.c.id == FILINGS.c.project_id)
        .join(DECISIONS, DECISIONS.c.subject == literal("filing:") + cast(FILINGS.c.id, String))
        .where(FILINGS.c.source_msg == source_msg)
    ).first()
    if row is None:
        return None
    until = row[2].astimezone(tz) if row[2] else None
    entry = ClientEntry(row[5], row[6], row[7], row[8].astimezone(tz))
    decision = rules.Decision(rules.Reason(row[1]), protected_until=until)
    return FilingOutcome(entry, decision, row[0], row[3], row[4])


def _attempt(
    conn: Connection,
    openid: str,
    project_ref: str,
    entry: ClientEntry,
    now: datetime,
    tz: ZoneInfo,
    source_msg: str | None,
) -> FilingOutcome | None:
    """Read, decide, write once; None when another filing changed the record meanwhile."""
    ctx = read_context(conn, openid, project_ref, entry, tz)
    if ctx is None:
        raise NotBound("agent")
    if ctx.project_id is None:
        raise UnknownProject(project_ref)
    open_count = count_open_filings(conn, ctx.agent_id, now) if ctx.policy.max_open_filings else 0
    facts = rules.FilingFacts(
        distributor_id=ctx.distributor_id,
        distributor_status=ctx.distributor_status,
        remote=entry.remote,
        arrival_at=entry.arrival,
        existing=ctx.existing,
        open_filings=open_count,
    )
    decision = rules.decide_filing(facts, now, ctx.policy, tz)
    filing = _filing_values(ctx, entry, decision, now, source_msg)
    log = _decision_values(ctx, entry, decision, now, f"agent:{ctx.agent_id}")
    dialect = conn.dialect.name
    upsert = None
    if decision.ok:
        assert decision.protected_until is not None
        upsert = _client_upsert(dialect, ctx, entry, decision.protected_until, now)
    write = _write_pg if dialect == "postgresql" else _write_sqlite
    filing_no = write(conn, filing, log, upsert)
    if filing_no is None:
        return None
    return FilingOutcome(entry, decision, filing_no, ctx.project_name or project_ref)


def file_one(
    engine: Engine,
    openid: str,
    project_ref: str,
    entry: ClientEntry,
    now: datetime,
    tz: ZoneInfo,
    source_msg: str | None,
) -> FilingOutcome:
    """File one client and return the ruling with its filing number.

    Raises NotBound / UnknownProject. A WeChat retry of a message already filed (the
    unique ``source_msg``) is answered with the first filing's ruling.
    """
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                with conn.begin():  # BEGIN IMMEDIATE: writers are serialised, no race
                    outcome = _attempt(conn, openid, project_ref, entry, now, tz, source_msg)
                    assert outcome is not None
                    return outcome
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for _ in range(MAX_RACE_RETRIES):
                outcome = _attempt(conn, openid, project_ref, entry, now, tz, source_msg)
                if outcome is not None:
                    return outcome
            raise RuntimeError("the client record kept changing under a filing")
    except IntegrityError:
        replay = _replay(engine, source_msg, tz)
        if replay is None:
            raise
        return replay


def _replay(engine: Engine, source_msg: str | None, tz: ZoneInfo) -> FilingOutcome | None:
    """The same message was processed before (Redis lost its claim, or the connection
    dropped after the commit): answer exactly as the first time, from what was kept."""
    if source_msg is None:
        return None
    with engine.connect() as conn:
        return find_by_source(conn, source_msg, tz)
