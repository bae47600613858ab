"""The decision log's hash chain: seal settled entries, verify the chain (R12).

Why lazy sealing: chaining at insert time would make every filing lock the chain head until
its commit, serialising all filings on one disk flush. Instead each entry is inserted on
its own, and the sealer links entries in the order it seals them. An entry edited or
deleted after sealing breaks the chain at that position, which ``verify`` names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models.entities import DecisionLogEntry

GENESIS = "0" * 64


def entry_content(entry: DecisionLogEntry) -> dict[str, Any]:
    """The fields a hash covers: everything that says what was decided and why."""
    return {
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "project_id": entry.project_id,
        "rule": entry.rule,
        "outcome": entry.outcome,
        "explanation": entry.explanation,
        "facts": entry.facts,
        "policy": entry.policy,
    }


def chain_hash(entry: DecisionLogEntry, prev_hash: str) -> str:
    canonical = json.dumps(entry_content(entry), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


SEAL_LOCK_ID = 7_020_312  # fixed advisory lock number of the sealer (the leader's is ...311)


def seal(session: Session, now: datetime, settle_seconds: int, limit: int = 5000) -> int:
    """Chain entries older than the settle time, oldest id first; returns how many.

    Sealers queue on a transaction-level advisory lock (PostgreSQL): the leader's job, a
    cron ``scheduler run-once`` and ``audit seal`` may run at the same moment, and two
    sealers reading the head and the pending entries at different instants would give two
    entries one ``chain_pos`` (the unique index then failed the second run). The second
    now waits, reads the head the first committed, and seals only what is left. SQLite
    serialises writers already (``models.db``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SEAL_LOCK_ID})
    head = session.execute(
        select(DecisionLogEntry.chain_pos, DecisionLogEntry.entry_hash)
        .where(DecisionLogEntry.chain_pos.is_not(None))
        .order_by(DecisionLogEntry.chain_pos.desc())
        .limit(1)
    ).first()
    position: int = (head.chain_pos or 0) if head else 0
    prev: str = (head.entry_hash or GENESIS) if head else GENESIS
    pending = session.scalars(
        select(DecisionLogEntry)
        .where(
            DecisionLogEntry.chain_pos.is_(None),
            DecisionLogEntry.at <= now - timedelta(seconds=settle_seconds),
        )
        .order_by(DecisionLogEntry.id)
        .limit(limit)
    ).all()
    for entry in pending:
        position += 1
        entry.chain_pos = position
        entry.prev_hash = prev
        entry.entry_hash = prev = chain_hash(entry, prev)
    session.flush()
    return len(pending)


@dataclass(frozen=True)
class Verification:
    checked: int
    pending: int
    broken_id: int | None  # the first entry whose hash or link does not hold
    why: str | None


def verify(session: Session) -> Verification:
    """Walk the chain in sealing order; report the first entry that does not hold."""
    prev, expected_pos, checked = GENESIS, 1, 0
    for entry in session.scalars(
        select(DecisionLogEntry)
        .where(DecisionLogEntry.chain_pos.is_not(None))
        .order_by(DecisionLogEntry.chain_pos)
    ).yield_per(1000):
        if entry.chain_pos != expected_pos:
            why = f"entry missing before position {entry.chain_pos}"
            return Verification(checked, 0, entry.id, why)
        if entry.prev_hash != prev:
            return Verification(checked, 0, entry.id, "link to the previous entry broken")
        if chain_hash(entry, prev) != entry.entry_hash:
            return Verification(checked, 0, entry.id, "content changed after sealing")
        prev, expected_pos, checked = entry.entry_hash, expected_pos + 1, checked + 1
    pending = session.scalar(select(func.count()).where(DecisionLogEntry.chain_pos.is_(None))) or 0
    return Verification(checked, pending, None, None)
