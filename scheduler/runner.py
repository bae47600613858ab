"""The scheduler process: one leader, APScheduler with fixed job ids, never in a web worker.

Leadership is a PostgreSQL advisory lock held on a dedicated connection (or, on SQLite, a
file lock beside the database): a leader that dies drops its connection and the lock with
it, and a standby that polls takes over. Jobs scan the database for what is due, so the
in-memory job store is enough and nothing is lost when a leader changes.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import text

from models import clock
from models.services import Services
from scheduler.jobs import JOBS, Job
from scheduler.outbox import Sender, send_pushes, warn_kinds_without_template

logger = logging.getLogger(__name__)
LEADER_LOCK_ID = 7_020_311  # an arbitrary, fixed advisory lock number for this service


@contextmanager
def leadership(services: Services) -> Iterator[None]:
    """Block until this process is the only scheduler, and stay so while inside."""
    engine = services.engine
    poll_seconds = services.settings.scheduler.leader_poll_seconds
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            while not conn.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": LEADER_LOCK_ID}):
                logger.info("another scheduler leads; standing by")
                time.sleep(poll_seconds)
            logger.info("scheduler leadership taken")
            yield
        return
    database = engine.url.database or "baobei"
    with Path(f"{database}.scheduler.lock").open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                logger.info("another scheduler leads; standing by")
                time.sleep(poll_seconds)
        logger.info("scheduler leadership taken")
        yield


SEND_PUSHES = "send-pushes"  # the sender's job id; it runs after the jobs that queue pushes


def run_once(services: Services) -> dict[str, Any]:
    """Every job, once, now, then the outbox drained: for cron and for tests.

    No leadership is taken: two of these at once both do the work, and the jobs' own
    locks and unique keys keep every end and every push once. Each job's start and end
    are logged (INFO), so a cron log shows what ran, and when.
    """
    now = clock.now(services.tz)
    steps: dict[str, Job] = {**JOBS, SEND_PUSHES: send_pushes}
    results: dict[str, Any] = {}
    for name, job in steps.items():
        logger.info("job %s started", name)
        results[name] = job(services, now)
        logger.info("job %s done: %s", name, results[name])
    return results


def _log_error(event: JobExecutionEvent) -> None:
    logger.error("job %s failed: %r", event.job_id, event.exception)


def run_job(services: Services, name: str) -> int:
    """One job at the clock's now; what APScheduler calls (and logs) by the job's name."""
    return JOBS[name](services, clock.now(services.tz))


def run_forever(services: Services) -> None:
    """Every job every ``audit_seal_seconds``, under a fixed id and its own name, and the
    push sender every ``pushes.poll_seconds`` (after a WARNING naming the push kinds that
    have no template).

    A job that missed its time (the process was paused) still runs within one interval,
    once (``coalesce``): each job scans for what is due, so a late run catches up.
    """
    interval = services.settings.scheduler.audit_seal_seconds
    with leadership(services):
        scheduler = BlockingScheduler(timezone=services.tz)
        scheduler.add_listener(_log_error, EVENT_JOB_ERROR)
        warn_kinds_without_template(services.settings)
        sender = Sender(services)  # one outbound client (and token) for the process
        scheduler.add_job(
            sender.drain,
            "interval",
            seconds=services.settings.pushes.poll_seconds,
            id=SEND_PUSHES,
            name=SEND_PUSHES,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=services.settings.pushes.poll_seconds,
        )
        for name in JOBS:
            scheduler.add_job(
                run_job,
                "interval",
                args=(services, name),
                seconds=interval,
                id=name,
                name=name,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=interval,
            )
        scheduler.start()
