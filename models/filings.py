"""Filing a client (R1-R4): read the facts, let the policy decide, write race-free.

The write path is the product's hot path and is built for it:
- one read (agent, distributor, project and the client's record in one joined SELECT);
- the policy decides in Python (``models.policy.decide_filing``), with no I/O;
- one write: on PostgreSQL a single autocommit statement (a CTE that takes the client's
  record over with a compare-and-set on ``version``, inserts the filing and its decision
  log entry); on SQLite the same three statements in one ``BEGIN IMMEDIATE`` transaction.
If the compare-and-set finds the record changed since the read (another distributor won
the race), the facts are read again and the policy decides again: exactly one wins, and
the loser hears why, in the database's terms rather than a lock's. The statements are
built once (``models.filing_sql``); a filing only fills in their parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from models import filing_sql as sql
from models import policy as rules
from models.errors import NotBound, UnknownProject
from models.privacy import scrub
from models.requests import ClientEntry

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
    policy_values: dict[str, Any]  # what a ruling records: the values it was made under
    existing: rules.ClientState | None
    client_version: int | None
    cancelled_until: datetime | None  # R4: a cancelled filing's end, this distributor's


@dataclass(frozen=True)
class FilingOutcome:
    entry: ClientEntry
    ruling: rules.Ruling
    filing_no: int | None
    project_name: str = ""
    recorded_explanation: str | None = None  # a replayed ruling, worded as it was first

    def explanation(self) -> str:
        return self.recorded_explanation or self.ruling.explanation()


@lru_cache(maxsize=256)
def _policy(values: tuple[tuple[str, Any], ...]) -> tuple[rules.Policy, dict[str, Any]]:
    """Projects' policies change rarely: parse each distinct one once per process."""
    policy = rules.Policy.from_stored(dict(values))
    return policy, policy.as_dict()


def read_context(
    conn: Connection, openid: str, project_ref: str, entry: ClientEntry, tz: ZoneInfo
) -> FilingContext | None:
    """One round trip; None when the sender is not a bound agent."""
    row = conn.execute(
        sql.READ_CONTEXT,
        {
            "openid": openid,
            "code": project_ref.upper(),
            "project_ref": project_ref,
            "phone_mask": entry.phone_mask,
            "client_name": entry.name,
        },
    ).first()
    if row is None:
        return None
    existing = None
    if row.client_state is not None:
        existing = rules.ClientState(
            state=row.client_state,
            owner_distributor_id=row.owner_distributor_id,
            protected_until=row.protected_until.astimezone(tz) if row.protected_until else None,
            known_source=row.known_source,
        )
    cancelled_until = row.cancelled_until.astimezone(tz) if row.cancelled_until else None
    policy, policy_values = _policy(tuple(sorted((row.policy or {}).items())))
    return FilingContext(
        agent_id=row.agent_id,
        distributor_id=row.distributor_id,
        distributor_status=row.distributor_status,
        project_id=row.project_id,
        project_name=row.project_name,
        policy=policy,
        policy_values=policy_values,
        existing=existing,
        client_version=row.client_version,
        cancelled_until=cancelled_until,
    )


def _write_params(
    ctx: FilingContext,
    entry: ClientEntry,
    ruling: rules.Ruling,
    now: datetime,
    source_msg: str | None,
) -> dict[str, Any]:
    """Every value the writes need, for the filing row and its decision log entry."""
    owner = ctx.existing.owner_distributor_id if ctx.existing else None
    return {
        "project_id": ctx.project_id,
        "agent_id": ctx.agent_id,
        "distributor_id": ctx.distributor_id,
        "client_name": entry.name,
        "phone_mask": entry.phone_mask,
        "remote": entry.remote,
        "arrival": entry.arrival,
        "now": now,
        "status": rules.FilingStatus.FILED if ruling.ok else rules.FilingStatus.REFUSED,
        "reason": ruling.reason.value,
        "until": ruling.protected_until if ruling.ok else None,
        "policy": ctx.policy_values,
        "note": entry.note,
        "bulk_claim": entry.bulk_claim,
        "source_msg": source_msg,
        "expected_version": ctx.client_version,
        "actor": f"agent:{ctx.agent_id}",
        "rule": ruling.rule,
        "explanation": scrub(ruling.explanation()),
        "facts": {
            "remote": entry.remote,
            "arrival": entry.arrival.isoformat(),
            "owner_distributor_id": owner,
            "cancelled_until": ctx.cancelled_until.isoformat() if ctx.cancelled_until else None,
        },
    }


def _write_pg(conn: Connection, params: dict[str, Any], take_client: bool) -> int | None:
    """One autocommit statement; None when the compare-and-set found the record changed."""
    statement = sql.PG_FILE_ACCEPTED if take_client else sql.PG_FILE_REFUSED
    return conn.execute(statement, params).scalar()


def _write_sqlite(conn: Connection, params: dict[str, Any], take_client: bool) -> int | None:
    """The same writes in the caller's BEGIN IMMEDIATE transaction."""
    client_id = None
    if take_client:
        client_id = conn.execute(sql.SQLITE_TAKE_CLIENT, params).scalar()
        if client_id is None:
            return None
    filing_id: int = conn.execute(
        sql.SQLITE_INSERT_FILING, {**params, "client_id": client_id}
    ).scalar_one()
    subject = f"filing:{filing_id}"
    if take_client:  # accepted: the filing's protection row (R4), in the same transaction
        conn.execute(
            sql.SQLITE_INSERT_PROTECTION,
            {**params, "client_id": client_id, "filing_id": filing_id, "subject": subject},
        )
    conn.execute(sql.SQLITE_INSERT_DECISION, {**params, "subject": subject})
    return filing_id


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
    open_count = 0
    if ctx.policy.max_open_filings:
        counted = {"agent_id": ctx.agent_id, "distributor_id": ctx.distributor_id, "now": now}
        open_count = conn.scalar(sql.COUNT_OPEN, counted) or 0
    facts = rules.FilingFacts(
        distributor_id=ctx.distributor_id,
        distributor_status=ctx.distributor_status,
        remote=entry.remote,
        arrival_at=entry.arrival,
        existing=ctx.existing,
        open_filings=open_count,
        cancelled_until=ctx.cancelled_until,
    )
    ruling = rules.decide_filing(facts, now, ctx.policy, tz)
    params = _write_params(ctx, entry, ruling, now, source_msg)
    write = _write_pg if conn.dialect.name == "postgresql" else _write_sqlite
    filing_no = write(conn, params, ruling.ok)
    if filing_no is None:
        return None
    return FilingOutcome(entry, ruling, filing_no, ctx.project_name or project_ref)


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


def find_by_source(conn: Connection, source_msg: str, tz: ZoneInfo) -> FilingOutcome | None:
    """The filing a message already made, with its project and its logged ruling."""
    row = conn.execute(sql.FIND_BY_SOURCE, {"source_msg": source_msg}).first()
    if row is None:
        return None
    until = row.protection_ends_at.astimezone(tz) if row.protection_ends_at else None
    arrival = row.expected_arrival_at.astimezone(tz)
    entry = ClientEntry(row.client_name, row.phone_mask, row.remote, arrival)
    reason = rules.Reason(row.reason)
    resumed = reason is rules.Reason.ACCEPTED and row.rule == "R4"  # see decide_filing
    ruling = rules.Ruling(reason, protected_until=until, rule_code=row.rule, resumed=resumed)
    return FilingOutcome(entry, ruling, row.id, row.project_name, row.explanation)


def _replay(engine: Engine, source_msg: str | None, tz: ZoneInfo) -> FilingOutcome | None:
    """The same message was processed before (Redis lost its claim, or the connection
    dropped after the commit): answer exactly as the first time, from what was kept."""
    if source_msg is None:
        return None
    with engine.connect() as conn:
        return find_by_source(conn, source_msg, tz)
