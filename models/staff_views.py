"""Read-only views for case-site staff: their projects' clients only (R12).

Every function takes the project ids the sender serves (``Identity.posts``), never a
project named in the message, so staff of one project cannot read another's clients.
Phones are shown masked: a full number the front desk recorded stays site data.

Arrivals are the desk's registrations (``arrivals``): ``arrival_counts`` counts them per
distributor (valid = approved by a manager) and ``pending_approvals`` those awaiting one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, exists, func, select
from sqlalchemy.orm import Session

from models import policy as rules
from models.arrival_entities import Arrival, ArrivalStatus
from models.entities import Agent, Client, Distributor, Filing, Project, Staff, VisitReport
from models.policy.push_wording import DayVisit
from models.push_entities import Protection


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    code: str
    name: str
    policy: rules.Policy


def projects(engine: Engine, project_ids: Sequence[int]) -> list[ProjectInfo]:
    """The sender's projects, by code, with the policy values each is run under."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Project.id, Project.code, Project.name, Project.policy)
            .where(Project.id.in_(project_ids))
            .order_by(Project.code)
        ).all()
    return [ProjectInfo(r.id, r.code, r.name, rules.Policy.from_stored(r.policy)) for r in rows]


# ---------------------------------------------------------------- the day's visits


def day_visits(
    conn: Connection, project_ids: Sequence[int], day: date, tz: ZoneInfo
) -> list[DayVisit]:
    """Open filings expected on ``day`` (local) in these projects, by time.

    A 带看 moves a filing's expected arrival; one whose expected arrival already fell on
    the day counts as that day's report (R5): ``reported`` says whether the agent sent 带看.
    """
    start = rules.start_of_day(day, tz)
    reported = exists().where(
        VisitReport.filing_id == Filing.id, VisitReport.visit_at == Filing.expected_arrival_at
    )
    rows = conn.execute(
        select(
            Filing.id, Project.name.label("project"), Filing.expected_arrival_at,
            Distributor.name.label("company"), Agent.name.label("agent"), Filing.client_name,
            Filing.phone_mask, reported.label("reported"),
        )
        .join(Project, Project.id == Filing.project_id)
        .join(Distributor, Distributor.id == Filing.distributor_id)
        .join(Agent, Agent.id == Filing.agent_id)
        .where(
            Filing.project_id.in_(project_ids),
            Filing.status == rules.FilingStatus.FILED,
            Filing.expected_arrival_at >= start,
            Filing.expected_arrival_at < start + timedelta(days=1),
        )
        .order_by(Filing.expected_arrival_at, Filing.id)
    ).all()  # fmt: skip
    return [
        DayVisit(
            r.id, r.project, r.expected_arrival_at.astimezone(tz), r.company, r.agent,
            r.client_name, r.phone_mask, bool(r.reported),
        )
        for r in rows
    ]  # fmt: skip


# ---------------------------------------------------------------- a client, by phone


@dataclass(frozen=True)
class FilingLine:
    number: int
    company: str
    agent: str
    status: rules.FilingStatus  # effective: lapsed by the clock
    filed_at: datetime
    expected_arrival_at: datetime


@dataclass(frozen=True)
class ClientView:
    """A client of one of the sender's projects, and who protects them until when."""

    project_name: str
    name: str
    phone_mask: str
    state: rules.ClientStatus
    known_source: str | None
    protection: str | None  # the ProtectionKind protecting the client now, if any
    company: str | None  # the protecting distributor
    protected_until: datetime | None
    filings: tuple[FilingLine, ...]


def find_clients(
    engine: Engine, project_ids: Sequence[int], phone_mask: str, now: datetime
) -> list[ClientView]:
    """Clients with this masked phone in these projects (a mask is shared: several may
    match, each shown with its name). Owner and end come from the protection rows."""
    with Session(engine) as session:
        clients = session.execute(
            select(Client, Project.name.label("project"))
            .join(Project, Project.id == Client.project_id)
            .where(Client.project_id.in_(project_ids), Client.phone_mask == phone_mask)
            .order_by(Project.code, Client.name)
        ).all()
        return [_client_view(session, row.Client, row.project, now) for row in clients]


def _client_view(session: Session, client: Client, project: str, now: datetime) -> ClientView:
    current = session.execute(
        select(Protection.kind, Protection.ends_at, Distributor.name)
        .join(Distributor, Distributor.id == Protection.distributor_id)
        .where(
            Protection.client_id == client.id,
            Protection.ended_reason.is_(None),
            Protection.ends_at >= now,
        )
        .order_by(Protection.ends_at.desc())
        .limit(1)
    ).first()
    filings = session.execute(
        select(Filing, Distributor.name.label("company"), Agent.name.label("agent"))
        .join(Distributor, Distributor.id == Filing.distributor_id)
        .join(Agent, Agent.id == Filing.agent_id)
        .where(Filing.client_id == client.id)
        .order_by(Filing.id)
    ).all()
    lines = tuple(
        FilingLine(
            row.Filing.id, row.company, row.agent, rules.effective_status(_state(row.Filing), now),
            row.Filing.filed_at, row.Filing.expected_arrival_at,
        )
        for row in filings
    )  # fmt: skip
    return ClientView(
        project, client.name, client.phone_mask, rules.ClientStatus(client.state),
        client.known_source, current.kind if current else None,
        current.name if current else None, current.ends_at if current else None, lines,
    )  # fmt: skip


def _state(filing: Filing) -> rules.FilingState:
    return rules.FilingState(
        filing.agent_id, filing.distributor_id, filing.status, filing.filed_at, filing.remote,
        filing.protection_ends_at,
    )  # fmt: skip


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Counts:
    filings: int = 0
    arrivals: int = 0
    valid: int = 0  # arrivals ruled (or approved) a valid channel visit


@dataclass(frozen=True)
class DistributorStats:
    company: str
    today: Counts
    week: Counts


def distributor_stats(
    engine: Engine, project_id: int, now: datetime, tz: ZoneInfo
) -> list[DistributorStats]:
    """Per distributor, today and this week (Monday start, project time zone), up to now."""
    today = rules.local_day(now, tz)
    periods = {
        "today": rules.start_of_day(today, tz),
        "week": rules.start_of_day(rules.week_start(today), tz),
    }
    with engine.connect() as conn:
        counted = {name: _counts(conn, project_id, start, now) for name, start in periods.items()}
        ids = set(counted["today"]) | set(counted["week"])
        names = {
            row.id: row.name
            for row in conn.execute(
                select(Distributor.id, Distributor.name).where(Distributor.id.in_(ids))
            )
        }
    stats = [
        DistributorStats(
            names[i], counted["today"].get(i, Counts()), counted["week"].get(i, Counts())
        )
        for i in ids
    ]
    return sorted(stats, key=lambda s: (-s.week.filings, -s.week.arrivals, s.company))


def _counts(conn: Connection, project_id: int, start: datetime, end: datetime) -> dict[int, Counts]:
    """Accepted filings and arrivals of each distributor filed or arrived in [start, end]."""
    filings = conn.execute(
        select(Filing.distributor_id, func.count())
        .where(
            Filing.project_id == project_id,
            Filing.status != rules.FilingStatus.REFUSED,
            Filing.filed_at >= start,
            Filing.filed_at <= end,
        )
        .group_by(Filing.distributor_id)
    ).all()
    result = {distributor: Counts(filings=count) for distributor, count in filings}
    for distributor, (arrived, valid) in arrival_counts(conn, project_id, start, end).items():
        before = result.get(distributor, Counts())
        result[distributor] = Counts(before.filings, arrived, valid)
    return result


def arrival_counts(
    conn: Connection, project_id: int, start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """Per distributor: (arrivals, valid arrivals) whose arrival time lies in [start, end].

    Every arrival the desk registered for a distributor's filing counts, whatever its
    ruling; a valid one is one a manager approved (R5). Walk-ins belong to no distributor.
    """
    valid = func.sum(case((Arrival.status == ArrivalStatus.APPROVED, 1), else_=0))
    rows = conn.execute(
        select(Filing.distributor_id, func.count(), valid)
        .join(Filing, Filing.id == Arrival.filing_id)
        .where(
            Arrival.project_id == project_id,
            Arrival.arrived_at >= start,
            Arrival.arrived_at <= end,
        )
        .group_by(Filing.distributor_id)
    ).all()
    return {int(row[0]): (int(row[1]), int(row[2] or 0)) for row in rows}


def pending_approvals(conn: Connection, project_id: int) -> int:
    """Arrivals of the project awaiting a manager's ruling (R5)."""
    count = conn.scalar(
        select(func.count())
        .select_from(Arrival)
        .where(Arrival.project_id == project_id, Arrival.status == ArrivalStatus.PENDING)
    )
    return int(count or 0)


# ---------------------------------------------------------------- the morning digest


@dataclass(frozen=True)
class Manager:
    staff_id: int
    openid: str
    project_id: int
    project_name: str


def managers(conn: Connection, skip: set[str] | frozenset[str] = frozenset()) -> list[Manager]:
    """Every project's managers, but those whose subject (``staff:<id>``) is in ``skip``."""
    rows = conn.execute(
        select(Staff.id, Staff.openid, Staff.project_id, Project.name)
        .join(Project, Project.id == Staff.project_id)
        .where(Staff.role == rules.Role.MANAGER)
        .order_by(Staff.project_id, Staff.id)
    ).all()
    found = [Manager(r.id, r.openid, r.project_id, r.name) for r in rows]
    return [manager for manager in found if digest_subject(manager.staff_id) not in skip]


def digest_subject(staff_id: int) -> str:
    return f"staff:{staff_id}"


def staff_openids(engine: Engine) -> list[str]:
    """Every bound staff member once: whom the staff menu's tag is given to."""
    with engine.connect() as conn:
        return list(conn.scalars(select(Staff.openid).distinct().order_by(Staff.openid)))
