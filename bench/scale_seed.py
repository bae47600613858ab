"""Seed a benchmark database with N clients and N filings, fast, with known answers.

The rows are generated in Python from a fixed random seed and loaded with PostgreSQL
``COPY`` (psycopg 3 ``cursor.copy``) one batch per transaction, so a million rows take a
minute or two rather than the hours the ORM would. The schema is the real one: the
database is created fresh and migrated with ``models.migrate.upgrade``, so every index a
deployment has is maintained during the load. Foreign keys are checked once afterwards (one
anti-join each) instead of by a trigger per row, which halves the load time.

While generating, the seeder counts every protection end by (status, day) and
(state, day). The scans in ``bench/scale.py`` are then checked against these counts: a scan
is only "fast" if it also returns exactly the rows that are due.

The shape of the data (per filing, drawn independently):
- filed over the past 60 days, evenly, ids growing with time as in production; 20 % out
  of town (24 h notice), else local (1 h); the projects take turns;
- 62 % still ``filed`` (7-day protection, R4; those filed more than 7 days ago have lapsed
  by the clock), 18 % ``visited`` (45-day visit protection from the arrival day, R5; only
  when the expected arrival is already past, else it stays ``filed``), 10 % ``refused``
  (client known to the site), 10 % ``cancelled`` (the client's record released);
- visited clients whose protection ended before the last daily expiry run are ``known``
  (public, R8), as the expiry job will leave them; the others are still ``visited``;
- one agent in a hundred filings is the same "heavy" agent (agent 1), so 查询 has an agent
  with ~1 % of all filings to list; the rest are spread over the other agents.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import psycopg
from psycopg import sql

from bench.common import TZ, agent_openid, dsn, recreate_database, sa_url
from models import migrate
from models import policy as rules
from models.db import Base

CLIENTS_PER_PROJECT = 100_000
MASK_STEP = 7919
DISTRIBUTORS = 300
AGENTS = 3000
HEAVY_AGENT_ID = 1
HEAVY_SHARE = 0.01
HISTORY_DAYS = 60
SHARES = (("filed", 0.62), ("visited", 0.18), ("refused", 0.10), ("cancelled", 0.10))
# Ten carrier prefixes x 10,000 endings = 100,000 distinct masks per project.
PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯晨欣怡"
POLICY = rules.Policy()
POLICY_JSON = json.dumps(POLICY.as_dict(), ensure_ascii=False, separators=(",", ":"))

CLIENT_COLS = (
    "id, project_id, name, phone_mask, full_phone, state, known_source, version, created_at,"
    " updated_at"
)
# The client's owner and end are its protection rows (R3): one per client that has had one.
PROTECTION_COLS = (
    "project_id, client_id, filing_id, distributor_id, agent_id, kind, starts_at, ends_at,"
    " started_by, lock_at, ended_reason, created_at"
)
FILING_COLS = (
    "id, project_id, client_id, agent_id, distributor_id, client_name, phone_mask, remote,"
    " expected_arrival_at, filed_at, status, reason, protection_ends_at, policy, note,"
    " bulk_claim, source_msg"
)
DECISION_COLS = "at, actor, action, subject, project_id, rule, outcome, explanation, facts, policy"
VISIT_COLS = "filing_id, agent_id, project_id, reported_at, visit_at, previous_arrival_at"
NULL = "\\N"


@dataclass
class Expected:
    """Protection ends counted while generating: the ground truth the scans must match."""

    filings: Counter[tuple[str, date]] = field(default_factory=Counter)  # (status, end day)
    clients: Counter[tuple[str, date]] = field(default_factory=Counter)  # (state, end day)
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Seeded:
    """What a seeding run made and how long it took."""

    database: str
    url: str
    rows: int
    projects: int
    now: datetime
    last_expiry_run: datetime
    expected: Expected
    migrate_s: float
    copy_s: float  # generate + COPY + reference check
    vacuum_s: float
    size: int  # bytes, the whole database

    @property
    def total_s(self) -> float:
        return self.migrate_s + self.copy_s + self.vacuum_s


def project_code(index: int) -> str:
    return f"S{index + 1:02d}"


def distributor_of(agent_id: int) -> int:
    """Agents are spread evenly over the distributors (ids start at 1)."""
    return (agent_id - 1) % DISTRIBUTORS + 1


@lru_cache(maxsize=4096)
def end_of_day(day: date) -> datetime:
    """Cached: only ~110 distinct protection end days occur in a seed."""
    return rules.end_of_day(day, TZ)


@lru_cache(maxsize=4096)
def _iso_day_end(day: date) -> str:
    return end_of_day(day).isoformat()


@lru_cache(maxsize=4096)
def _accepted_explanation(day: date) -> str:
    return rules.Ruling(rules.Reason.ACCEPTED, protected_until=end_of_day(day)).explanation()


KNOWN_EXPLANATION = rules.Ruling(rules.Reason.KNOWN_TO_SITE, known_source="import").explanation()


def _line(values: tuple[object, ...]) -> str:
    """One COPY text-format line; the generator never emits tabs, newlines or backslashes."""
    return "\t".join(NULL if v is None else str(v) for v in values) + "\n"


def _json(value: dict[str, object]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")


class Generator:
    """Deterministic rows for client/filing number ``i`` (0-based), counted in ``expected``."""

    def __init__(self, rows: int, now: datetime, seed: int) -> None:
        self.rows = rows
        self.now = now
        self.last_expiry_run = now - timedelta(days=1)  # the expiry job runs daily
        self.rng = random.Random(seed)
        self.expected = Expected()
        self.projects = max(1, -(-rows // CLIENTS_PER_PROJECT))

    def mask(self, i: int) -> tuple[int, str]:
        """The client's project and a mask unique in it, in scattered order (as phones come).

        Projects take turns (every project files every day); within a project the n-th
        client gets mask number ``(n * 7919 + offset) mod 100,000``, a bijection (7919 is
        prime to 100,000) that scatters keys over the unique index without a lookup table.
        """
        project, local = i % self.projects, i // self.projects
        k = (local * MASK_STEP + project * 4099) % CLIENTS_PER_PROJECT
        return project + 1, f"{PREFIXES[k // 10000]}****{k % 10000:04d}"

    def filed_at(self, i: int) -> datetime:
        """Ids grow with time, as they do in production: row i is filed at i/N of 60 days."""
        offset = (i + self.rng.random()) / self.rows * HISTORY_DAYS * 86400
        return self.now - timedelta(days=HISTORY_DAYS) + timedelta(seconds=offset)

    def outcome(self) -> str:
        draw, total = self.rng.random(), 0.0
        for status, share in SHARES:
            total += share
            if draw < total:
                return status
        return SHARES[-1][0]

    def agent(self) -> int:
        if self.rng.random() < HEAVY_SHARE:
            return HEAVY_AGENT_ID
        return self.rng.randrange(HEAVY_AGENT_ID + 1, AGENTS + 1)

    def name(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def row(self, i: int) -> tuple[str, str, str, str | None, str | None]:
        """(client, filing, decision lines, visit report and protection lines or None)."""
        rng, now = self.rng, self.now
        row_id = i + 1
        project_id, mask = self.mask(i)
        name, agent_id = self.name(), self.agent()
        distributor_id = distributor_of(agent_id)
        status = self.outcome()
        filed_at = self.filed_at(i)
        remote = rng.random() < 0.2
        notice = timedelta(hours=24) if remote else timedelta(hours=1)
        filing_end_day = filed_at.date() + timedelta(days=POLICY.filing_protection_days)
        filing_end = end_of_day(filing_end_day)
        arrival = filed_at + notice + timedelta(seconds=rng.uniform(0, 3 * 86400))
        arrival = min(arrival, filing_end - timedelta(hours=1)).replace(second=0, microsecond=0)
        if status == "visited" and arrival > now:
            status = "filed"  # cannot have arrived yet
        self.expected.statuses[status] += 1

        client_state, known_source, until = "filed", None, filing_end_day
        filing_end_out: date | None = filing_end_day
        full_phone = None
        reason, rule = "accepted", "R1"
        if status == "visited":
            visit_end_day = arrival.date() + timedelta(days=POLICY.visit_protection_days - 1)
            filing_end_out, until = visit_end_day, visit_end_day
            full_phone = mask.replace("****", f"{rng.randrange(10000):04d}")
            client_state = "visited"
            if end_of_day(visit_end_day) <= self.last_expiry_run:
                client_state, known_source = "known", "public"
        elif status == "refused":
            client_state, known_source, until = "known", "import", None
            filing_end_out, reason, rule = None, "known_to_site", "R3"
        elif status == "cancelled":
            until = None
        if filing_end_out is not None:
            self.expected.filings[(status, filing_end_out)] += 1
        if until is not None:
            self.expected.clients[(client_state, until)] += 1

        created = filed_at.isoformat()
        client = _line(
            (row_id, project_id, name, mask, full_phone, client_state, known_source, 1)
            + (created, created)
        )
        protection = None
        if status in ("filed", "visited", "cancelled"):  # the client's current protection
            kind, starts, ends_day = "filing", created, filing_end_day
            if status == "visited":
                kind, starts, ends_day = "visit", arrival.isoformat(), filing_end_out
            assert ends_day is not None
            ended = None  # the end job closed those that ended before its last run
            if status == "cancelled":
                ended = "cancelled"
            elif end_of_day(ends_day) <= self.last_expiry_run:
                ended = "expired" if status == "visited" else "lapsed"
            protection = _line(
                (project_id, row_id, row_id, distributor_id, agent_id, kind, starts)
                + (_iso_day_end(ends_day), f"{kind}:{row_id}", starts, ended, created)
            )
        ends_at = _iso_day_end(filing_end_out) if filing_end_out else None
        client_id = None if status == "refused" else row_id
        filing = _line(
            (
                row_id,
                project_id,
                client_id,
                agent_id,
                distributor_id,
                name,
                mask,
                "t" if remote else "f",
                arrival.isoformat(),
                created,
                status,
                reason,
                ends_at,
                POLICY_JSON,
                None,
                "f",
                f"seed-{row_id}",
            )
        )
        facts = {
            "client_name": name,
            "phone_mask": mask,
            "remote": remote,
            "arrival": arrival.isoformat(),
            "distributor_id": distributor_id,
            "owner_distributor_id": None,
        }
        explanation = (
            KNOWN_EXPLANATION if status == "refused" else _accepted_explanation(filing_end_day)
        )
        decision = _line(
            (
                created,
                f"agent:{agent_id}",
                "file",
                f"filing:{row_id}",
                project_id,
                rule,
                reason,
                explanation,
                _json(facts),
                POLICY_JSON,
            )
        )
        visit = None
        if status == "visited":
            reported = (filed_at + timedelta(minutes=5)).isoformat()
            arrived = arrival.isoformat()
            visit = _line((row_id, agent_id, project_id, reported, arrived, arrived))
        return client, filing, decision, visit, protection


def seed_accounts(conn: psycopg.Connection, projects: int, now: datetime) -> None:
    """Projects (default policy), active distributors and their agents, ids from 1."""
    stamp = now - timedelta(days=HISTORY_DAYS + 30)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO projects (id, code, name, policy, created_at) VALUES (%s,%s,%s,%s,%s)",
            [
                (p + 1, project_code(p), f"规模项目{p + 1}", POLICY_JSON, stamp)
                for p in range(projects)
            ],
        )
        cur.executemany(
            "INSERT INTO distributors (id, name, status, created_at, updated_at)"
            " VALUES (%s,%s,'active',%s,%s)",
            [(d, f"规模分销{d:03d}", stamp, stamp) for d in range(1, DISTRIBUTORS + 1)],
        )
        cur.executemany(
            "INSERT INTO agents (id, openid, name, distributor_id, bound_at)"
            " VALUES (%s,%s,%s,%s,%s)",
            [
                (a, agent_openid(a), f"经纪{a}", distributor_of(a), stamp)
                for a in range(1, AGENTS + 1)
            ],
        )
    conn.commit()


def _batches(gen: Generator, batch: int) -> Iterator[tuple[list[str], ...]]:
    for start in range(0, gen.rows, batch):
        out: tuple[list[str], ...] = ([], [], [], [], [])
        for i in range(start, min(start + batch, gen.rows)):
            for target, line in zip(out, gen.row(i), strict=True):
                if line is not None:
                    target.append(line)
        yield out


def copy_rows(conn: psycopg.Connection, gen: Generator, batch: int) -> None:
    """COPY clients, filings, decisions, visit reports and protections, a transaction per
    batch."""
    targets = (
        f"COPY clients ({CLIENT_COLS}) FROM STDIN",
        f"COPY filings ({FILING_COLS}) FROM STDIN",
        f"COPY decisions ({DECISION_COLS}) FROM STDIN",
        f"COPY visit_reports ({VISIT_COLS}) FROM STDIN",
        f"COPY protections ({PROTECTION_COLS}) FROM STDIN",
    )
    done = 0
    for lines in _batches(gen, batch):
        with conn.cursor() as cur:
            for statement, chunk in zip(targets, lines, strict=True):
                if chunk:
                    with cur.copy(statement) as copy:
                        copy.write("".join(chunk))
        conn.commit()
        done += len(lines[0])
        print(f"\r  {conn.info.dbname}: {done:,} of {gen.rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)


def fix_sequences(conn: psycopg.Connection) -> None:
    """Rows were loaded with explicit ids: move the id sequences past them."""
    for table in ("projects", "distributors", "agents", "clients", "filings"):
        conn.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), max(id)) FROM {i}").format(
                t=sql.Literal(table), i=sql.Identifier(table)
            )
        )
    conn.commit()


def check_references(conn: psycopg.Connection) -> None:
    """The checks the skipped foreign-key triggers would have made, one anti-join each."""
    for table in ("clients", "filings", "decisions", "visit_reports"):
        for fk in Base.metadata.tables[table].foreign_keys:
            query = sql.SQL(
                "SELECT count(*) FROM {t} WHERE {c} IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM {r} WHERE {r}.{k} = {t}.{c})"
            ).format(
                t=sql.Identifier(table),
                c=sql.Identifier(fk.parent.name),
                r=sql.Identifier(fk.column.table.name),
                k=sql.Identifier(fk.column.name),
            )
            row = conn.execute(query).fetchone()
            if row is None or row[0]:
                raise AssertionError(f"{table}.{fk.parent.name}: {row} rows reference nothing")


def seed(database: str, rows: int, batch: int = 50_000, seed_value: int = 20261126) -> Seeded:
    """Fresh database, migrations, accounts, N clients/filings by COPY, then VACUUM ANALYZE.

    VACUUM (not only ANALYZE) so the measurements that follow are not disturbed by
    autovacuum waking up for a million freshly inserted rows, and hint bits are set as
    they would be on a database that has been running for a while.
    """
    now = datetime.now(TZ)
    gen = Generator(rows, now, seed_value)
    started = time.perf_counter()
    recreate_database(database)
    migrate.upgrade(sa_url(database))
    migrate_s = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(dsn(database)) as conn:
        conn.execute("SET synchronous_commit = off")  # a seed, not a ledger
        # Foreign keys are checked by construction (and by check_references below), not
        # by a trigger per row: that halves the load time. Indexes are still maintained.
        conn.execute("SET session_replication_role = replica")
        seed_accounts(conn, gen.projects, now)
        copy_rows(conn, gen, batch)
        fix_sequences(conn)
        conn.execute("SET session_replication_role = origin")
        check_references(conn)
    copy_s = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("VACUUM (ANALYZE)")
        vacuum_s = time.perf_counter() - started
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return Seeded(
        database=database,
        url=sa_url(database),
        rows=rows,
        projects=gen.projects,
        now=now,
        last_expiry_run=gen.last_expiry_run,
        expected=gen.expected,
        migrate_s=migrate_s,
        copy_s=copy_s,
        vacuum_s=vacuum_s,
        size=int(size[0]) if size else 0,
    )
