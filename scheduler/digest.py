"""The morning digest: each project's managers hear, once a day, what awaits them.

From ``scheduler.morning_hour`` (project time zone) the job queues, for every manager of
every project, the arrivals pending their approval and the day's expected visits, through
the outbox. The outbox's unique key (``staff:<id>``, ``morning_digest``, the day) makes it
once a day per manager however often the job runs, and on however many schedulers; the
managers already served today are skipped before anything is counted. A day with nothing
pending and no visit expected sends nothing. A scheduler down all morning sends the day's
digest when it is back, the same day only.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from models import outbox, staff_views
from models import policy as rules
from models.db import make_session_factory
from models.policy import push_wording as words
from models.push_entities import Push
from models.services import Services

logger = logging.getLogger(__name__)


def morning_digest(services: Services, now: datetime) -> int:
    """Queue today's digests not queued yet; returns how many were queued."""
    tz = services.tz
    if now.astimezone(tz).hour < services.settings.scheduler.morning_hour:
        return 0
    today = rules.local_day(now, tz)
    queued = 0
    with make_session_factory(services.engine).begin() as session:
        conn = session.connection()
        done = set(
            session.scalars(
                select(Push.subject).where(
                    Push.kind == rules.PushKind.MORNING_DIGEST, Push.due_day == today
                )
            )
        )
        facts: dict[int, words.DigestFacts] = {}
        for manager in staff_views.managers(conn, skip=done):
            if manager.project_id not in facts:
                facts[manager.project_id] = words.DigestFacts(
                    manager.project_name,
                    today,
                    staff_views.pending_approvals(conn, manager.project_id),
                    tuple(staff_views.day_visits(conn, [manager.project_id], today, tz)),
                )
            digest = facts[manager.project_id]
            if not digest.pending and not digest.visits:
                continue
            text, fields = words.digest_message(digest)
            queued += outbox.enqueue(
                session, kind=rules.PushKind.MORNING_DIGEST,
                subject=staff_views.digest_subject(manager.staff_id), due_day=today,
                openid=manager.openid, text=text, fields=fields, send_after=now, now=now,
            )  # fmt: skip
    if queued:
        logger.info("queued %d morning digests", queued)
    return queued
