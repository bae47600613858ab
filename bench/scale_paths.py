"""What ``bench/scale.py`` times: the request paths, the job's scans, and how it times them.

Each ``*_call`` returns a callable doing one request per call, so ``interleaved`` can
alternate the 1k and 1M databases block by block.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import Engine, Select, select, text

from bench.common import TZ, agent_openid, letters
from bench.scale_seed import AGENTS, HEAVY_AGENT_ID, Seeded, project_code
from models import filings, queries
from models.db import make_engine
from models.entities import Agent, Client, Filing
from models.protections import VISIT_KINDS
from models.push_entities import Protection
from models.requests import ClientEntry
from models.settings import DatabaseSettings

Call = Callable[[int], object]
ORDINARY_AGENT_ID = HEAVY_AGENT_ID + 1  # ~330 filings at 1M, like most agents


@dataclass(frozen=True)
class Latency:
    """Milliseconds, and this process's CPU per call: the client-side share."""

    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    cpu: float


def interleaved(calls: dict[str, Call], n: int, block: int, warmup: int) -> dict[str, Latency]:
    """Time several calls in alternating blocks (A B C, C B A, ...), n samples each.

    The machine is shared (other benchmarks and test suites run on its two cores), so the
    cases being compared take turns: background load lands on all of them alike instead
    of on whichever happened to run second.
    """
    for call in calls.values():
        for i in range(warmup):
            call(-1 - i)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    cpu = dict.fromkeys(calls, 0.0)
    for round_no, start in enumerate(range(0, n, block)):
        for name in list(calls) if round_no % 2 == 0 else list(calls)[::-1]:
            started_cpu = time.process_time()
            for i in range(start, min(start + block, n)):
                started = time.perf_counter_ns()
                calls[name](i)
                samples[name].append((time.perf_counter_ns() - started) / 1e6)
            cpu[name] += time.process_time() - started_cpu
    out = {}
    for name, values in samples.items():
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        mean, per_call = statistics.fmean(values), cpu[name] * 1000 / len(values)
        p50 = statistics.median(values)
        out[name] = Latency(len(values), p50, cuts[89], cuts[98], mean, per_call)
    return out


def engine_for(seeded: Seeded) -> Engine:
    """The service's engine, built the way the service builds it."""
    return make_engine(DatabaseSettings(url=seeded.url, pool_size=5, statement_timeout_ms=3000))


def filing_call(engine: Engine, seeded: Seeded, tag: str) -> Call:
    """``models.filings.file_one`` (what the webhook calls): one new client per call.

    Unique name, random ``19x****dddd`` mask (its key lands at a random place in the
    clients' unique index, as real phones do), random agent and project, arrival in 2 h.
    Every call must be accepted: a refusal would time a different path.
    """
    rng = random.Random(f"{tag}-{seeded.rows}")
    counter = itertools.count()

    def file_new(_i: int) -> None:
        n, now = next(counter), datetime.now(TZ)
        entry = ClientEntry(
            name=f"压测{tag}{letters(n)}",
            phone_mask=f"19{rng.randrange(10)}****{rng.randrange(10000):04d}",
            remote=False,
            arrival=(now + timedelta(hours=2)).replace(second=0, microsecond=0),
        )
        agent = agent_openid(rng.randrange(HEAVY_AGENT_ID + 1, AGENTS + 1))
        project = project_code(rng.randrange(seeded.projects))
        outcome = filings.file_one(engine, agent, project, entry, now, TZ, f"scale-{tag}-{n}")
        assert outcome.ruling.ok and outcome.filing_no is not None, outcome.ruling

    return file_new


def floor_calls(engine: Engine) -> dict[str, Call]:
    """What any filing pays at least: a round trip, and a round trip with a WAL flush."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scale_floor (id bigserial PRIMARY KEY, at timestamptz)"))

    def insert(_i: int) -> None:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("INSERT INTO scale_floor (at) VALUES (now())")
            )

    def ping(_i: int) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()

    return {"floor: 1-row INSERT, autocommit": insert, "floor: SELECT 1": ping}


def query_call(engine: Engine, page: int = 1, by_mask: bool = False, agent: int = 0) -> Call:
    """``models.queries.agent_filings``, by default as the busy agent (~1 % of all filings)."""
    openid = agent_openid(agent or HEAVY_AGENT_ID)
    mask = None
    if by_mask:  # a mask the busy agent has filed: what an agent would search for
        with engine.connect() as conn:
            first = select(Filing.phone_mask).where(Filing.agent_id == HEAVY_AGENT_ID).limit(1)
            mask = conn.execute(first.order_by(Filing.id)).scalar_one()

    def listing(_i: int) -> None:
        found = queries.agent_filings(engine, openid, datetime.now(TZ), page, mask)
        assert found is not None and (found[0] or page > 1)

    return listing


# ---------------------------------------------------------------- the reminder job's scans
# Not in scheduler/jobs.py yet (R4, R8 reminders and expiry): the selects it will need,
# timed here at 1M rows so the job starts from statements known to stay fast.


def _day(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of a local day: protections end at 23:59:59.999999 of a day."""
    start = datetime.combine(day, clock_time.min, tzinfo=TZ)
    return start, start + timedelta(days=1)


def lapsing_filings(day: date) -> Select[Any]:
    """R4: filings still ``filed`` whose protection ends on ``day`` (today: the lapse
    tonight; tomorrow: its reminder), with the agent's openid the reminder goes to."""
    start, end = _day(day)
    return (
        select(Filing.id, Filing.project_id, Filing.client_name, Filing.phone_mask)
        .add_columns(Filing.protection_ends_at, Agent.openid)
        .join_from(Filing, Agent, Agent.id == Filing.agent_id)
        .where(Filing.status == "filed", Filing.protection_ends_at >= start)
        .where(Filing.protection_ends_at < end)
        .order_by(Filing.id)
    )


def visit_protections_ending(day: date) -> Select[Any]:
    """R8: visited clients whose protection ends on ``day`` (today + 7, today + 1); the
    owner agent is outer-joined: a reminder must not vanish with a missing owner."""
    start, end = _day(day)
    return (
        select(Client.id, Client.project_id, Client.name, Client.phone_mask)
        .add_columns(Protection.ends_at, Protection.distributor_id, Agent.openid)
        .join_from(Protection, Client, Client.id == Protection.client_id)
        .join(Agent, Agent.id == Protection.agent_id, isouter=True)
        .where(Protection.ended_reason.is_(None), Protection.kind.in_(VISIT_KINDS))
        .where(Client.state == "visited", Protection.ends_at >= start)
        .where(Protection.ends_at < end)
        .order_by(Client.id)
    )


def expired_protections(since: datetime, until: datetime) -> Select[Any]:
    """Expiry: protections (filed or visited) that ended in (last run, now], each seen once."""
    return (
        select(Client.id, Client.state, Client.project_id, Protection.agent_id)
        .add_columns(Protection.distributor_id, Protection.ends_at)
        .join_from(Protection, Client, Client.id == Protection.client_id)
        .where(Protection.ended_reason.is_(None), Protection.ends_at > since)
        .where(Client.state.in_(("filed", "visited")), Protection.ends_at <= until)
        .order_by(Client.id)
    )
