"""Read-only views an agent asks for: their own filings only (R12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from models.entities import Agent, Filing, Project, VisitReport
from models.policy import FilingState, FilingStatus, Policy, effective_status

PAGE_SIZE = 10


@dataclass(frozen=True)
class FilingRow:
    number: int
    client_name: str
    phone_mask: str
    status: FilingStatus  # effective: lapsed is derived from the clock
    protected_until: datetime | None
    expected_arrival_at: datetime
    visit_reported: bool


def agent_filings(
    engine: Engine,
    openid: str,
    now: datetime,
    page: int = 1,
    phone_mask: str | None = None,
    page_size: int = PAGE_SIZE,
) -> tuple[list[FilingRow], bool] | None:
    """The sender's filings, newest first, a page at a time; None if not an agent.

    Only those filed for the distributor the agent is bound to now: an agent who changed
    company no longer sees the old company's filings (R12).

    The page is taken first and only its rows are asked whether a visit was reported:
    next to the LIMIT, PostgreSQL would cost that EXISTS for all of a busy agent's filings
    and hash the whole visit_reports table on every 查询 (docs/scale.md).
    """
    with engine.connect() as conn:
        agent = conn.execute(
            select(Agent.id, Agent.distributor_id).where(
                Agent.openid == openid, Agent.unbound_at.is_(None)
            )
        ).first()
        if agent is None:
            return None
        agent_id, distributor_id = agent.id, agent.distributor_id
        page_rows = (
            select(
                Filing.id,
                Filing.client_name,
                Filing.phone_mask,
                Filing.status,
                Filing.protection_ends_at,
                Filing.expected_arrival_at,
                Filing.filed_at,
                Filing.remote,
            )
            .where(Filing.agent_id == agent_id, Filing.distributor_id == distributor_id)
            .order_by(Filing.id.desc())
            .limit(page_size + 1)
            .offset((max(page, 1) - 1) * page_size)
        )
        if phone_mask:
            page_rows = page_rows.where(Filing.phone_mask == phone_mask)
        listed = page_rows.subquery("page")
        reported = exists().where(
            VisitReport.filing_id == listed.c.id,
            VisitReport.visit_at == listed.c.expected_arrival_at,
        )
        rows = conn.execute(
            select(listed, reported.label("reported")).order_by(listed.c.id.desc())
        ).all()
    result = []
    for row in rows[:page_size]:
        state = FilingState(
            agent_id, distributor_id, row.status, row.filed_at, row.remote, row.protection_ends_at
        )
        result.append(
            FilingRow(
                number=row.id,
                client_name=row.client_name,
                phone_mask=row.phone_mask,
                status=effective_status(state, now),
                protected_until=row.protection_ends_at,
                expected_arrival_at=row.expected_arrival_at,
                visit_reported=bool(row.reported),
            )
        )
    return result, len(rows) > page_size


@dataclass(frozen=True)
class ProjectPolicy:
    """A project an agent can file for, with the policy values its filings are judged by."""

    code: str
    name: str
    policy: Policy


def project_policies(engine: Engine) -> list[ProjectPolicy]:
    """Every project and its policy, by code: what the help tells an agent (R2, R4, R5)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Project.code, Project.name, Project.policy).order_by(Project.code)
        ).all()
    return [ProjectPolicy(row.code, row.name, Policy.from_stored(row.policy)) for row in rows]


def expected_visits(session: Session, project_id: int, day: date, tz: ZoneInfo) -> list[Filing]:
    """A project's open filings expected on ``day`` (local), by time.

    A 带看 report moves a filing's expected arrival, and a filing whose expected arrival
    already falls on the day counts as that day's report (R5), so this one list serves the
    front desk for both.
    """
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return list(
        session.scalars(
            select(Filing)
            .where(
                Filing.project_id == project_id,
                Filing.status == FilingStatus.FILED,
                Filing.expected_arrival_at >= start,
                Filing.expected_arrival_at < end,
            )
            .order_by(Filing.expected_arrival_at)
        )
    )
