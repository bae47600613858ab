"""The filing's statements, built once at import and executed with parameters.

Building a SQLAlchemy statement costs more CPU than PostgreSQL spends running it (the
profile in docs/benchmarks.md: coercions, column proxies and cache keys of a fresh CTE on
every filing). These statements are immutable, so they are built once, their cache keys
are memoised and their compiled forms cached; a filing only supplies a parameter dict.

Parameters (one dict serves every statement): ``openid``, ``code``, ``project_ref``,
``client_name``, ``phone_mask`` for the read; for the writes also ``project_id``,
``agent_id``, ``distributor_id``, ``remote``, ``arrival``, ``now``, ``status``, ``reason``,
``until``, ``policy``, ``note``, ``bulk_claim``, ``source_msg``, ``expected_version``,
``actor``, ``rule``, ``explanation``, ``facts`` (and ``client_id``, ``subject`` on SQLite).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from models.db import AwareDateTime, JSONDoc, table_of
from models.entities import Agent, Client, DecisionLogEntry, Distributor, Filing, Project
from models.policy import ClientStatus, FilingStatus, ProtectionKind
from models.push_entities import Protection, current_of

AGENTS, DISTRIBUTORS, PROJECTS = table_of(Agent), table_of(Distributor), table_of(Project)
CLIENTS, FILINGS, DECISIONS = table_of(Client), table_of(Filing), table_of(DecisionLogEntry)
PROTECTIONS = table_of(Protection)


def _param(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


NOW = _param("now", AwareDateTime())

# ------------------------------------------------------------------ the one read

_CANCELLED = FILINGS.alias("cancelled")
#: R4: the latest end date of a filing of this client that the sender's distributor
#: cancelled (the policy decides whether it still binds); on the client_id index.
CANCELLED_UNTIL = (
    select(func.max(_CANCELLED.c.protection_ends_at))
    .where(
        _CANCELLED.c.client_id == CLIENTS.c.id,
        _CANCELLED.c.distributor_id == AGENTS.c.distributor_id,
        _CANCELLED.c.status == FilingStatus.CANCELLED.value,
    )
    .correlate(CLIENTS, AGENTS)
    .scalar_subquery()
)

READ_CONTEXT = (
    select(  # labelled: ``models.filings.read_context`` reads the row by these names
        AGENTS.c.id.label("agent_id"),
        AGENTS.c.distributor_id,
        DISTRIBUTORS.c.status.label("distributor_status"),
        PROJECTS.c.id.label("project_id"),
        PROJECTS.c.name.label("project_name"),
        PROJECTS.c.policy,
        CLIENTS.c.state.label("client_state"),
        # R3: owner and end from the client's current protection row, not a copy
        current_of(CLIENTS.c.id, "distributor_id").label("owner_distributor_id"),
        current_of(CLIENTS.c.id, "ends_at").label("protected_until"),
        CLIENTS.c.known_source,
        CLIENTS.c.version.label("client_version"),
        CANCELLED_UNTIL.label("cancelled_until"),
    )
    .select_from(
        AGENTS.join(DISTRIBUTORS, DISTRIBUTORS.c.id == AGENTS.c.distributor_id)
        .outerjoin(
            PROJECTS,
            or_(PROJECTS.c.code == _param("code"), PROJECTS.c.name == _param("project_ref")),
        )
        .outerjoin(
            CLIENTS,
            and_(
                CLIENTS.c.project_id == PROJECTS.c.id,
                CLIENTS.c.phone_mask == _param("phone_mask"),
                CLIENTS.c.name == _param("client_name"),
            ),
        )
    )
    .where(AGENTS.c.openid == _param("openid"), AGENTS.c.unbound_at.is_(None))
)

COUNT_OPEN = select(func.count()).where(
    FILINGS.c.agent_id == _param("agent_id"),
    FILINGS.c.distributor_id == _param("distributor_id"),  # not a former company's (R12)
    FILINGS.c.status == FilingStatus.FILED,
    FILINGS.c.protection_ends_at >= NOW,
)

# ------------------------------------------------------------------ the writes

FILING_PARAMS: dict[str, tuple[str, Any]] = {  # column -> (parameter, type)
    "project_id": ("project_id", BigInteger()),
    "agent_id": ("agent_id", BigInteger()),
    "distributor_id": ("distributor_id", BigInteger()),
    "client_name": ("client_name", String()),
    "phone_mask": ("phone_mask", String()),
    "remote": ("remote", Boolean()),
    "expected_arrival_at": ("arrival", AwareDateTime()),
    "filed_at": ("now", AwareDateTime()),
    "status": ("status", String()),
    "reason": ("reason", String()),
    "protection_ends_at": ("until", AwareDateTime()),
    "policy": ("policy", JSONDoc),
    "note": ("note", String()),
    "bulk_claim": ("bulk_claim", Boolean()),
    "source_msg": ("source_msg", String()),
}
# The filing's protection (R4): from the filing to its end, locked (R10) at the filing time.
PROTECTION_PARAMS: dict[str, tuple[str, Any]] = {
    "project_id": ("project_id", BigInteger()),
    "distributor_id": ("distributor_id", BigInteger()),
    "agent_id": ("agent_id", BigInteger()),
    "starts_at": ("now", AwareDateTime()),
    "ends_at": ("until", AwareDateTime()),
    "lock_at": ("now", AwareDateTime()),
    "created_at": ("now", AwareDateTime()),
}
DECISION_PARAMS: dict[str, tuple[str, Any]] = {
    "at": ("now", AwareDateTime()),
    "actor": ("actor", String()),
    "project_id": ("project_id", BigInteger()),
    "rule": ("rule", String()),
    "outcome": ("reason", String()),
    "explanation": ("explanation", String()),
    "facts": ("facts", JSONDoc),
    "policy": ("policy", JSONDoc),
}


def _params(spec: dict[str, tuple[str, Any]]) -> list[Any]:
    return [_param(name, type_) for name, type_ in spec.values()]


def _take_client(insert: Any) -> Any:
    """Insert the client's record, or take it over only if it is still at the version the
    policy judged (``expected_version``; None when it was absent, and ``= NULL`` never
    holds): the compare-and-set that makes one filing win a race. The owner and end are
    the protection row the same statement writes; ``version`` is bumped by every writer
    of the client's protection rows, so the version judged is the rows judged."""
    stmt = insert(CLIENTS).values(
        project_id=_param("project_id", BigInteger()),
        name=_param("client_name"),
        phone_mask=_param("phone_mask"),
        state=ClientStatus.FILED,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    return stmt.on_conflict_do_update(
        index_elements=[CLIENTS.c.project_id, CLIENTS.c.phone_mask, CLIENTS.c.name],
        set_={
            "state": ClientStatus.FILED,
            "known_source": None,
            "version": CLIENTS.c.version + 1,
            "updated_at": stmt.excluded.updated_at,
        },
        where=CLIENTS.c.version == _param("expected_version", Integer()),
    ).returning(CLIENTS.c.id)


def _pg_write(take_client: bool) -> Any:
    """PostgreSQL: (client,) filing, (its protection,) log entry in one atomic statement."""
    ctes: list[Any] = []
    client_cols: list[str] = []
    client_vals: list[Any] = []
    if take_client:
        taken = _take_client(postgresql.insert).cte("taken")
        ctes, client_cols, client_vals = [taken], ["client_id"], [taken.c.id]
    new_filing = (
        FILINGS.insert()
        .from_select([*FILING_PARAMS, *client_cols], select(*_params(FILING_PARAMS), *client_vals))
        .returning(FILINGS.c.id, FILINGS.c.client_id)
        .cte("new_filing")
    )
    if take_client:  # an accepted filing: its protection row, in the same statement
        ctes.append(
            PROTECTIONS.insert()
            .from_select(
                [*PROTECTION_PARAMS, "client_id", "filing_id", "kind", "started_by"],
                select(
                    *_params(PROTECTION_PARAMS),
                    new_filing.c.client_id,
                    new_filing.c.id,
                    literal(ProtectionKind.FILING.value),
                    literal("filing:") + cast(new_filing.c.id, String),
                ),
            )
            .cte("new_protection")
        )
    new_log = (
        DECISIONS.insert()
        .from_select(
            [*DECISION_PARAMS, "action", "subject"],
            select(
                *_params(DECISION_PARAMS),
                literal("file"),
                literal("filing:") + cast(new_filing.c.id, String),
            ),
        )
        .cte("new_log")
    )
    return select(new_filing.c.id).add_cte(new_filing, new_log, *ctes)


PG_FILE_ACCEPTED = _pg_write(take_client=True)
PG_FILE_REFUSED = _pg_write(take_client=False)

# SQLite runs the same writes one by one inside its BEGIN IMMEDIATE transaction.
SQLITE_TAKE_CLIENT = _take_client(sqlite.insert)
SQLITE_INSERT_FILING = (
    FILINGS.insert()
    .values(
        {column: _param(name, type_) for column, (name, type_) in FILING_PARAMS.items()}
        | {"client_id": _param("client_id", BigInteger())}
    )
    .returning(FILINGS.c.id)
)
SQLITE_INSERT_PROTECTION = PROTECTIONS.insert().values(
    {column: _param(name, type_) for column, (name, type_) in PROTECTION_PARAMS.items()}
    | {
        "client_id": _param("client_id", BigInteger()),
        "filing_id": _param("filing_id", BigInteger()),
        "kind": ProtectionKind.FILING.value,
        "started_by": _param("subject"),
    }
)
SQLITE_INSERT_DECISION = DECISIONS.insert().values(
    {column: _param(name, type_) for column, (name, type_) in DECISION_PARAMS.items()}
    | {"action": "file", "subject": _param("subject")}
)

# ------------------------------------------------------------------ replay

FIND_BY_SOURCE = (
    select(
        FILINGS.c.id,
        FILINGS.c.reason,
        FILINGS.c.protection_ends_at,
        PROJECTS.c.name.label("project_name"),
        DECISIONS.c.explanation,
        DECISIONS.c.rule,
        FILINGS.c.client_name,
        FILINGS.c.phone_mask,
        FILINGS.c.remote,
        FILINGS.c.expected_arrival_at,
    )
    .join(PROJECTS, PROJECTS.c.id == FILINGS.c.project_id)
    .join(DECISIONS, DECISIONS.c.subject == literal("filing:") + cast(FILINGS.c.id, String))
    .where(FILINGS.c.source_msg == _param("source_msg"))
)
