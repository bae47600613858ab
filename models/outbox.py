"""The outbox: queue a push in the caller's transaction, once per (subject, kind, due day).

A push is written by the decision that causes it (in the same transaction) or by an
idempotent scan, and the unique key makes a second write a no-op on both backends
(``INSERT ... ON CONFLICT DO NOTHING``): a job that runs twice, or on two machines at once,
queues each push once. The sender (``scheduler/outbox.py``) claims due rows and delivers
them.

Privacy: the text and every template value pass the phone scrubber (``models/privacy.py``)
here, the last door before WeChat, so no push carries a filed phone's middle four digits,
however its caller wrote them (``138.1234.5678``, full-width digits, 一三八…).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.db import table_of
from models.policy.dates import local_day
from models.privacy import scrub
from models.push_entities import Push, PushStatus

PUSHES = table_of(Push)
FIELD_MAX_CHARS = 20  # WeChat's template rule since May 2023: longer values are cut
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def check_fields(fields: dict[str, str]) -> dict[str, str]:
    """Template values as WeChat takes them: scrubbed, one line, at most 20 characters.

    WeChat folds or cuts a value that breaks these rules silently (or answers 47003), so
    a value that would be changed on the way is refused here, loudly, at its source.
    """
    clean: dict[str, str] = {}
    for key, value in fields.items():
        value = scrub(str(value))
        if _LINE_BREAK.search(value) or len(value) > FIELD_MAX_CHARS:
            raise ValueError(f"template value {key!r} breaks WeChat's rule: {value!r}")
        clean[key] = value
    return clean


def enqueue(
    session_or_conn: Session | Connection,
    *,
    kind: str,
    subject: str,
    due_day: date,
    openid: str,
    text: str,
    fields: dict[str, str],
    send_after: datetime,
    now: datetime,
) -> bool:
    """Queue one push in the caller's transaction; False when it was already queued."""
    bind = session_or_conn.get_bind() if isinstance(session_or_conn, Session) else session_or_conn
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(PUSHES)
        .values(
            kind=str(kind),
            subject=subject,
            due_day=due_day,
            openid=openid,
            text=scrub(text),
            fields=check_fields(fields),
            send_after=send_after,
            status=PushStatus.PENDING,
            attempts=0,
            next_attempt_at=send_after,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["subject", "kind", "due_day"])
        .returning(PUSHES.c.id)
    )
    return session_or_conn.execute(statement).first() is not None


def push_now(
    session_or_conn: Session | Connection,
    *,
    kind: str,
    subject: str,
    openid: str,
    text: str,
    fields: dict[str, str],
    now: datetime,
    tz: ZoneInfo,
) -> bool:
    """Queue a push to go at once (a ruling, a deal, a claim told as it happens): due on
    the project's day of ``now``, so a retried decision queues it once that day."""
    return enqueue(
        session_or_conn, kind=kind, subject=subject, due_day=local_day(now, tz), openid=openid,
        text=text, fields=fields, send_after=now, now=now,
    )  # fmt: skip


def queued(session_or_conn: Session | Connection, **where: Any) -> list[Any]:
    """The pushes rows matching ``where`` (column=value), oldest first: for tests and CLI."""
    statement = PUSHES.select().order_by(PUSHES.c.id)
    for column, value in where.items():
        statement = statement.where(PUSHES.c[column] == value)
    return list(session_or_conn.execute(statement))
