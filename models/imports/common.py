"""What every import shares: the counts it reports, batching, and its decision-log entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from models.accounts import AccountError, find_project, log_decision
from models.entities import Project
from models.policy import Policy
from models.policy.import_rows import RowProblem
from models.policy.import_wording import NO_PROJECT

T = TypeVar("T")

#: Rows written per transaction: large enough that 100,000 rows take seconds of round
#: trips, small enough that a batch's IN (...) probe and its locks stay short.
BATCH_ROWS = 1000

Progress = Callable[[int], None]  # called with how many more rows were read


@dataclass
class ImportReport:
    """The summary of one import: counts, and the rows the channel team must look at."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.conflicts += other.conflicts
        self.problems.extend(other.problems)

    @property
    def bad(self) -> int:
        return len(self.problems) - self.conflicts

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "bad": self.bad,
        }


def unprepared(session: Session) -> Session:
    """The batch's statements planned for their own values, never prepared.

    psycopg prepares a statement run 5 times on a connection, and PostgreSQL then may use
    a generic plan: for a batch's ``IN`` list of 1,000 masks it scanned the whole project
    and compared each client with every value (3 s, past ``statement_timeout``, at 60,000
    clients; docs/benchmarks.md). Planned with the values, the list is hashed or probed
    through the (project, mask, name) index: milliseconds. Only the import's connection."""
    driver: Any = session.connection().connection.driver_connection
    if hasattr(driver, "prepare_threshold"):
        driver.prepare_threshold = None
    return session


def batched(items: Iterable[T], size: int = BATCH_ROWS) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def project_of(session: Session, project_ref: str) -> tuple[int, dict[str, Any]]:
    """The project's id and its policy values (logged with every import decision)."""
    try:
        project: Project = find_project(session, project_ref)
    except AccountError as error:
        raise AccountError(NO_PROJECT.format(project=project_ref)) from error
    return project.id, Policy.from_stored(project.policy).as_dict()


def log_import(
    session: Session,
    now: datetime,
    project: tuple[int, dict[str, Any]],
    kind: str,
    rule: str,
    file_facts: dict[str, Any],
    report: ImportReport,
) -> None:
    """One entry per import run (R12): which file (name, sha256), what it changed."""
    project_id, policy = project
    log_decision(
        session,
        now,
        "cli",
        f"import_{kind}",
        f"project:{project_id}",
        rule,
        "imported",
        f"导入{kind}：{report.counts()}",
        {**file_facts, **report.counts()},
        project_id,
        policy,
    )
