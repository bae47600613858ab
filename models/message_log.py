"""The database's log of claimed messages: dedup of WeChat's retries while Redis is down.

WeChat retries a message it got no answer to within 5 seconds, three times. With Redis
down the service still must process each message once, so the claim falls back to a
primary-key insert here (``bot.fallback_store.DatabaseStore`` wraps these functions as a
store); the reply is kept so a retry is answered the same way. The scheduler purges rows
once WeChat can no longer retry their message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.db import table_of
from models.entities import InboundMessage

TABLE = table_of(InboundMessage)


def claim(engine: Engine, key: str, now: datetime) -> bool:
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        row = conn.execute(
            insert(TABLE)
            .values(key=key, reply=None, created_at=now)
            .on_conflict_do_nothing()
            .returning(TABLE.c.key)
        ).first()
    return row is not None


def reclaim(engine: Engine, key: str, now: datetime, claim_ttl: int) -> bool:
    """Take over a claim left unanswered for ``claim_ttl`` seconds: its worker died."""
    with engine.begin() as conn:
        row = conn.execute(
            update(TABLE)
            .where(
                TABLE.c.key == key,
                TABLE.c.reply.is_(None),
                TABLE.c.created_at < now - timedelta(seconds=claim_ttl),
            )
            .values(created_at=now)
            .returning(TABLE.c.key)
        ).first()
    return row is not None


def remember(engine: Engine, key: str, reply: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(TABLE).where(TABLE.c.key == key).values(reply=reply))


def recall(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(TABLE.c.reply).where(TABLE.c.key == key))


def release(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(TABLE.delete().where(TABLE.c.key == key))


def purge(engine: Engine, before: datetime) -> int:
    """Forget the messages claimed before ``before``; returns how many."""
    with engine.begin() as conn:
        result = conn.execute(TABLE.delete().where(TABLE.c.created_at < before))
    return int(result.rowcount or 0)
