"""Recipients for pushes a test queues straight into the outbox: the sender sends an
agent's push only to a bound agent (R12, ``models.policy.recipients``), so a test that
queues reminders to made-up openids binds them first."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select

from models.db import table_of
from models.entities import Agent, Distributor

AGENTS = table_of(Agent)
DISTRIBUTORS = table_of(Distributor)


def bind_agents(conn: Connection, openids: Iterable[str], now: datetime) -> None:
    """Each openid not yet an agent becomes a bound agent of a fresh distributor."""
    wanted = set(openids)
    known = set(conn.scalars(select(AGENTS.c.openid).where(AGENTS.c.openid.in_(wanted))))
    new = sorted(wanted - known)
    if not new:
        return
    distributor = conn.execute(
        insert(DISTRIBUTORS)
        .values(name=f"测试分销商{uuid.uuid4().hex[:8]}", status="active", created_at=now,
                updated_at=now)
        .returning(DISTRIBUTORS.c.id)
    ).scalar_one()  # fmt: skip
    conn.execute(
        insert(AGENTS),
        [
            {"openid": o, "name": "经纪人", "distributor_id": distributor, "bound_at": now}
            for o in new
        ],
    )
