"""The request paths ``bench/scale.py`` times: filing a new client, 查询, and the floors.

Each ``*_call`` returns a callable that does one request per call, so the harness
(``scale_probe.interleaved``) can alternate the 1k and 1M databases block by block.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, event, exists, select, text

from bench import scale_report as report
from bench.scale_probe import captured, explain_all
from bench.scale_seed import AGENTS, HEAVY_AGENT_ID, TZ, Seeded, agent_openid, project_code
from handlers.commands import ClientEntry
from models import filings, queries
from models.db import make_engine
from models.entities import Agent, Client, Filing, Project, VisitReport

AGENTS_T, CLIENTS, FILINGS = Agent.__table__, Client.__table__, Filing.__table__
PROJECTS, VISITS = Project.__table__, VisitReport.__table__
Call = Callable[[int], object]
ORDINARY_AGENT_ID = HEAVY_AGENT_ID + 1  # ~330 filings at 1M, like most agents


def engine_for(seeded: Seeded) -> Engine:
    """The service's engine, built the way the service builds it."""
    return make_engine(
        {"database": {"url": seeded.url, "pool_size": 5, "statement_timeout_ms": 3000}}
    )


def letters(index: int) -> str:
    """Digits are not allowed in client names (grammar), so counters are spelled a-z."""
    out = ""
    while True:
        index, digit = divmod(index, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[digit] + out
        if index == 0:
            return out


# ---------------------------------------------------------------- filing


def filing_call(engine: Engine, seeded: Seeded, tag: str) -> Call:
    """File one new client per call, as a random agent, to a random project.

    Each client is new (unique name, random ``19x****dddd`` mask, so its key lands at a
    random place in the clients' unique index, as real phones do); arrival in 2 hours.
    Every call must be accepted: a refusal would time a different path.
    """
    rng = random.Random(f"{tag}-{seeded.rows}")
    counter = itertools.count()

    def file_new(_i: int) -> None:
        n = next(counter)
        now = datetime.now(TZ)
        entry = ClientEntry(
            name=f"压测{tag}{letters(n)}",
            phone_mask=f"19{rng.randrange(10)}****{rng.randrange(10000):04d}",
            remote=False,
            arrival=(now + timedelta(hours=2)).replace(second=0, microsecond=0),
        )
        outcome = filings.file_one(
            engine,
            agent_openid(rng.randrange(HEAVY_AGENT_ID + 1, AGENTS + 1)),
            project_code(rng.randrange(seeded.projects)),
            entry,
            now,
            TZ,
            f"scale-{tag}-{n}",
        )
        assert outcome.ruling.ok and outcome.filing_no is not None, outcome.ruling

    return file_new


def make_floor_table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scale_floor (id bigserial PRIMARY KEY, at timestamptz)"))


def commit_floor_call(engine: Engine) -> Call:
    """One-row autocommit INSERT: the round trip + WAL flush every filing pays at least."""

    def insert(_i: int) -> None:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("INSERT INTO scale_floor (at) VALUES (now())")
            )

    return insert


def round_trip_call(engine: Engine) -> Call:
    """``SELECT 1`` through the pool: what any statement costs before doing anything."""

    def ping(_i: int) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()

    return ping


# ---------------------------------------------------------------- 查询


def heavy_agent_mask(engine: Engine) -> str:
    """A phone mask the heavy agent has filed: what an agent would search for."""
    with engine.connect() as conn:
        return conn.execute(
            select(FILINGS.c.phone_mask)
            .where(FILINGS.c.agent_id == HEAVY_AGENT_ID)
            .order_by(FILINGS.c.id)
            .limit(1)
        ).scalar_one()


def heavy_agent_filings(engine: Engine) -> int:
    with engine.connect() as conn:
        stmt = select(FILINGS.c.id).where(FILINGS.c.agent_id == HEAVY_AGENT_ID)
        return len(conn.execute(stmt).all())


def query_call(
    engine: Engine, page: int = 1, by_mask: bool = False, agent_id: int = HEAVY_AGENT_ID
) -> Call:
    """``models.queries.agent_filings``, by default as the busy agent (~1 % of all filings)."""
    openid = agent_openid(agent_id)
    mask = heavy_agent_mask(engine) if by_mask else None

    def listing(_i: int) -> None:
        found = queries.agent_filings(engine, openid, datetime.now(TZ), page, mask)
        assert found is not None and (found[0] or page > 1)

    return listing


def page_first_listing(agent_id: int, page: int = 1) -> Select[Any]:
    """A proposal for ``agent_filings``: take the page first, then ask EXISTS per row.

    Same columns, order and page as today's query. Today's EXISTS sits next to the
    LIMIT, so PostgreSQL costs it for every filing of the agent (~10k at 1M rows) and
    picks the hashed form: it reads and hashes the whole of ``visit_reports`` on every
    查询. Over a subquery that already holds the page it is costed for 11 rows and
    becomes one index probe per row.
    """
    size = queries.PAGE_SIZE
    page_rows = (
        select(
            FILINGS.c.id,
            FILINGS.c.client_name,
            FILINGS.c.phone_mask,
            FILINGS.c.status,
            FILINGS.c.protection_ends_at,
            FILINGS.c.expected_arrival_at,
            FILINGS.c.filed_at,
            FILINGS.c.remote,
        )
        .where(FILINGS.c.agent_id == agent_id)
        .order_by(FILINGS.c.id.desc())
        .limit(size + 1)
        .offset((max(page, 1) - 1) * size)
        .subquery("page")
    )
    reported = exists().where(
        VISITS.c.filing_id == page_rows.c.id,
        VISITS.c.visit_at == page_rows.c.expected_arrival_at,
    )
    return select(page_rows, reported.label("reported")).order_by(page_rows.c.id.desc())


def proposed_query_call(engine: Engine, page: int = 1) -> Call:
    """The proposal, with the same agent lookup and connection use as today's function."""
    openid = agent_openid(HEAVY_AGENT_ID)

    def listing(_i: int) -> None:
        with engine.connect() as conn:
            agent_id = conn.scalar(select(AGENTS_T.c.id).where(AGENTS_T.c.openid == openid))
            assert agent_id is not None
            rows = conn.execute(page_first_listing(agent_id, page)).all()
            assert rows or page > 1

    return listing


# ---------------------------------------------------------------- plans


class _WriteReached(Exception):
    """Raised by the capture listener to stop a filing just before its write."""


def capture_filing(engine: Engine, code: str, entry: ClientEntry, now: datetime) -> list[Any]:
    """The statements of one filing: read_context runs, the CTE write is captured unsent.

    ``file_one`` runs ``filings._attempt`` (private, called here on purpose) on an
    autocommit connection. Stopping it before the write means the EXPLAIN ANALYZE of
    the write is the first time those pages are touched, so its WAL line shows the
    full-page images a real filing writes after a checkpoint.
    """
    with captured(engine) as seen:

        def stop_at_write(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("WITH"):
                raise _WriteReached

        event.listen(engine, "before_cursor_execute", stop_at_write)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                filings._attempt(conn, agent_openid(2), code, entry, now, TZ, "scale-plan")
            raise AssertionError("the filing never reached its write")
        except _WriteReached:
            pass
        finally:
            event.remove(engine, "before_cursor_execute", stop_at_write)
    return list(seen)


def write_path_plans(engine: Engine, now: datetime, label: str) -> list[report.Plan]:
    """read_context + the CTE write, for a new client and for taking over a lapsed one."""
    arrival = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    fresh = ClientEntry(f"压测计划{letters(now.microsecond)}", "199****0001", False, arrival)
    cases = [("new client", project_code(0), fresh)]
    lapsed = lapsed_client(engine, now)
    if lapsed is not None:
        code, name, mask = lapsed
        cases.append(("takeover of a lapsed client", code, ClientEntry(name, mask, False, arrival)))
    plans = []
    titles = ("read_context (one joined SELECT)", "the CTE write (client + filing + log)")
    for case, code, entry in cases:
        seen = capture_filing(engine, code, entry, now)
        for title, (sql_text, plan) in zip(titles, explain_all(engine, seen), strict=True):
            plans.append(report.Plan(f"{title}, {case} @{label}", sql_text, plan))
    return plans


def lapsed_client(engine: Engine, now: datetime) -> tuple[str, str, str] | None:
    """A filed client whose protection has ended: anyone may file it again (R4)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(PROJECTS.c.code, CLIENTS.c.name, CLIENTS.c.phone_mask)
            .join_from(CLIENTS, PROJECTS, PROJECTS.c.id == CLIENTS.c.project_id)
            .where(CLIENTS.c.state == "filed", CLIENTS.c.protected_until < now)
            .limit(1)
        ).first()
    return (row[0], row[1], row[2]) if row else None


def query_plans(engine: Engine, label: str) -> list[report.Plan]:
    """Today's 查询 listing (page 1, page 20) and the page-first proposal, heavy agent."""
    plans = []
    for page in (1, 20):
        with captured(engine) as seen:
            query_call(engine, page)(0)
        sql_text, plan = explain_all(engine, seen[-1:])[0]  # seen[0] is the openid lookup
        plans.append(report.Plan(f"查询 listing, page {page} ({label})", sql_text, plan))
        with captured(engine) as seen:
            proposed_query_call(engine, page)(0)
        sql_text, plan = explain_all(engine, seen[-1:])[0]
        plans.append(
            report.Plan(f"proposed page-first listing, page {page} ({label})", sql_text, plan)
        )
    return plans
