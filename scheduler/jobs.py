"""Jobs: scans of what is due, idempotent, each in its own transaction.

R4's and R8's reminders and ends live in ``scheduler.reminders``, the managers' morning
digest in ``scheduler.digest``; each job takes ``now``
so a test can run it at any instant, and running a job twice does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from models import audit, message_log
from models.db import make_session_factory
from models.services import Services
from scheduler.digest import morning_digest
from scheduler.evidence import fetch_and_attach_photos
from scheduler.reminders import end_protections, remind_protections

logger = logging.getLogger(__name__)


def seal_decisions(services: Services, now: datetime) -> int:
    """Chain the decision log's settled entries (see ``models.audit``)."""
    settle = services.settings.scheduler.audit_settle_seconds
    with make_session_factory(services.engine).begin() as session:
        count = audit.seal(session, now, settle)
    if count:
        logger.info("sealed %d decision log entries", count)
    return count


def purge_dedup(services: Services, now: datetime) -> int:
    """Forget database dedup rows once WeChat can no longer retry their message."""
    ttl = services.settings.app.dedup_ttl_seconds
    return message_log.purge(services.engine, now - timedelta(seconds=ttl))


Job = Callable[[Services, datetime], int]
JOBS: dict[str, Job] = {
    "seal-decisions": seal_decisions,
    "purge-dedup": purge_dedup,
    "end-protections": end_protections,  # R4 lapses, R8 expiries (before the reminders)
    "remind-protections": remind_protections,  # R4, R8 reminders
    "morning-digest": morning_digest,  # managers: pending approvals, today's visits
    "fetch-photos": fetch_and_attach_photos,  # staff photos: fetched, stored, attached (R5)
}
