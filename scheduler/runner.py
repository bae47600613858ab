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

from handlers.context import Services
from models import clock
from scheduler.jobs import JOBS

logger = logging.getLogger(__name__)
LEADER_LOCK_ID = 7_020_311  # an arbitrary, fixed advisory lock number for this service


@contextmanager
def leadership(services: Services) -> Iterator[None]:
    """Block until this process is the only scheduler, and stay so while inside."""
    engine = services.engine
    poll_seconds = services.settings["scheduler"]["leader_poll_seconds"] or 5.0
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


def run_once(services: Services) -> dict[str, Any]:
    """Every job, once, now: for cron and for tests."""
    now = clock.now(services.tz)
    return {name: job(services, now) for name, job in JOBS.items()}


def _log_error(event: JobExecutionEvent) -> None:
    logger.error("job %s failed: %r", event.job_id, event.exception)


def run_forever(services: Services) -> None:
    interval = services.settings["scheduler"]["audit_seal_seconds"] or 60
    with leadership(services):
        scheduler = BlockingScheduler(timezone=services.tz)
        scheduler.add_listener(_log_error, EVENT_JOB_ERROR)
        for name, job in JOBS.items():
            scheduler.add_job(
                lambda job=job: job(services, clock.now(services.tz)),
                "interval",
                seconds=interval,
                id=name,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=interval,
            )
        scheduler.start()
