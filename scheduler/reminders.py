"""The R4 and R8 jobs over the protection rows: reminders before an end, and the end.

Both are idempotent scans that catch up: each run looks at what is due by ``now``, so a
scheduler that was down sends the day's reminders late, once (the outbox's unique key
makes a second run, or a second scheduler, queue nothing new). The rules are the policy's
(``models.policy.reminders``), read under each project's current values and recorded with
every decision; the words are ``models.policy.push_wording``'s.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import outbox, protections
from models import policy as rules
from models.accounts import log_decision
from models.db import make_session_factory
from models.entities import Project
from models.policy import push_wording as words
from models.policy import reminders as due
from models.protections import ProtectionRow
from models.services import Services

logger = logging.getLogger(__name__)
END_BATCH = 500  # protections ended per transaction


def _facts(row: ProtectionRow, tz: ZoneInfo) -> words.PushFacts:
    return words.PushFacts(
        row.project_name, row.client_name, row.phone_mask, row.filing_id, row.kind,
        row.ends_at.astimezone(tz),
    )  # fmt: skip


def _longest_lead(session: Session) -> int:
    """The most days ahead any project reminds: how far ahead the scan must look."""
    policies: list[dict[str, Any]] = list(session.scalars(select(Project.policy)))
    leads = [
        max(due.lead_days(kind, rules.Policy.from_mapping(values)), default=0)
        for values in policies
        for kind in (rules.ProtectionKind.FILING, rules.ProtectionKind.VISIT)
    ]
    return max(leads, default=0)


def remind_protections(services: Services, now: datetime) -> int:
    """R4's and R8's reminders that are due by today; returns how many were queued."""
    tz, morning = services.tz, services.settings.scheduler.morning_hour
    today = rules.local_day(now, tz)
    queued = 0
    with make_session_factory(services.engine).begin() as session:
        lead = _longest_lead(session)
        if not lead:
            return 0
        horizon = rules.end_of_day(today + timedelta(days=lead), tz)
        done = protections.reminders_queued(session, today - timedelta(days=lead))
        for row in protections.open_until(session, now, horizon):
            if row.openid is None or (
                row.kind == rules.ProtectionKind.FILING
                and row.filing_status != rules.FilingStatus.FILED
            ):
                continue  # nobody bound to tell; a filing no longer waiting for its visit
            policy = rules.Policy.from_mapping(row.policy)
            reminder = due.reminder_due(row.kind, row.ends_at, now, policy, tz)
            if reminder is None or (row.subject, reminder.kind, reminder.due_day) in done:
                continue
            if row.kind != rules.ProtectionKind.FILING and protections.outlasted(session, row):
                continue  # a bulk extension or renewal took over (R6, R7): its end is told
            text, fields = words.reminder_message(reminder, _facts(row, tz))
            queued += outbox.enqueue(
                session, kind=reminder.kind, subject=row.subject, due_day=reminder.due_day,
                openid=row.openid, text=text, fields=fields,
                send_after=due.send_after(reminder.due_day, morning, now, tz), now=now,
            )  # fmt: skip
    if queued:
        logger.info("queued %d protection reminders", queued)
    return queued


def _end_one(session: Session, row: ProtectionRow, now: datetime, services: Services) -> None:
    """Decide and record one protection's end, then tell its agent (once, in time)."""
    tz, scheduler = services.tz, services.settings.scheduler
    policy = rules.Policy.from_mapping(row.policy)
    ruling = due.decide_end(row.kind, row.ends_at, now, policy, tz)
    assert ruling is not None  # claimed because its end has passed
    stale_filing = row.kind == rules.ProtectionKind.FILING and row.filing_status not in (
        rules.FilingStatus.FILED,
        None,
    )
    if stale_filing or protections.outlasted(session, row):
        protections.close(session, row.id, rules.ProtectionEnd.SUPERSEDED)
        return  # visited, or a later protection took over: nothing ended for the agent
    if not protections.close(session, row.id, ruling.reason):
        return  # another scheduler ended it
    protections.drop_reminders(session, [row.subject])
    facts = _facts(row, tz)
    told = row.openid is not None and due.notice_in_time(
        ruling.notice_day, now, scheduler.catch_up_days, tz
    )
    log_decision(
        session, now, "scheduler", "protection_end", row.subject, ruling.rule,
        "public" if ruling.public else str(ruling.reason), words.end_explanation(ruling, facts),
        {
            "kind": row.kind, "filing_id": row.filing_id, "client_id": row.client_id,
            "agent_id": row.agent_id, "distributor_id": row.distributor_id,
            "ends_at": row.ends_at.isoformat(), "agent_told": told,
        },
        row.project_id, policy.as_dict(),
    )  # fmt: skip
    if told and row.openid is not None:
        text, fields = words.end_message(ruling, facts)
        outbox.enqueue(
            session, kind=ruling.notice, subject=row.subject, due_day=ruling.notice_day,
            openid=row.openid, text=text, fields=fields,
            send_after=due.send_after(ruling.notice_day, scheduler.morning_hour, now, tz),
            now=now,
        )  # fmt: skip


def end_protections(services: Services, now: datetime) -> int:
    """R4's lapses and R8's expiries whose end has passed; returns how many ended."""
    ended = 0
    factory = make_session_factory(services.engine)
    while True:
        with factory.begin() as session:
            rows = protections.claim_ended(session, now, END_BATCH)
            for row in rows:
                _end_one(session, row, now, services)
            ended += len(rows)
        if len(rows) < END_BATCH:
            break
    if ended:
        logger.info("ended %d protections", ended)
    return ended
