"""What stopping cooperation does to a distributor's clients (R11, decided in docs/rules.md).

A distributor blacklisted by its second interception keeps no client: each of its open
protections, a filing's or a visit's (with its bulk extension or renewal), runs out at the
moment of the blacklisting (``ended_reason`` ``terminated``, ``ends_at`` set to the
instant before it). So
history before it stands (a deal before it was theirs, R9/R10.1), and after it a filed
client who never visited is free for any other distributor (R4's lapse), a visited one is
the case site's public client (R8's 公客), exactly as if the protection had run out. The
filing shows its new end to the agent's ``查询``; the waiting reminders are dropped; each
client's ``version`` is bumped, as by every writer of its protection rows, so a filing
racing this transaction re-reads. Deals already recorded keep their attribution, and a
filing whose arrival awaits the manager is left to the manager's ruling.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import policy as rules
from models.entities import Client, Filing
from models.protections import drop_reminders
from models.push_entities import Protection


def terminate_protections(
    session: Session, distributor_id: int, now: datetime
) -> tuple[Counter[int], list[dict[str, Any]]]:
    """End every open protection of the distributor at ``now``: the rows ended per agent,
    and what the decision log keeps of each (its original end)."""
    rows = session.scalars(
        select(Protection)
        .where(Protection.distributor_id == distributor_id, Protection.ended_reason.is_(None))
        .order_by(Protection.client_id, Protection.id)
        .with_for_update()
    ).all()
    until = now - timedelta(microseconds=1)  # protected up to the blacklisting, not at it
    per_agent: Counter[int] = Counter()
    kept: list[dict[str, Any]] = []
    for row in rows:
        kept.append({"protection_id": row.id, "kind": row.kind, "ends_at": row.ends_at.isoformat()})
        row.ended_reason = rules.ProtectionEnd.TERMINATED
        row.ends_at = min(row.ends_at, until)
        per_agent[row.agent_id] += 1
        if row.filing_id is not None:
            filing = session.get(Filing, row.filing_id)
            ends = filing.protection_ends_at if filing is not None else None
            if filing is not None and (ends is None or ends > until):
                filing.protection_ends_at = until  # what the agent's 查询 shows
    for client_id in sorted({row.client_id for row in rows}):
        client = session.get(Client, client_id, with_for_update=True)
        if client is not None:
            client.version, client.updated_at = client.version + 1, now
    drop_reminders(session, [f"protection:{row.id}" for row in rows])
    session.flush()
    return per_agent, kept
