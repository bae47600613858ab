"""What the approval tests share: the case site's people, an arrival, the scheduler.

``arrive`` registers an arrival through the webhook (``到访 #<编号> <11位手机号>``, the
front desk's command) and checks the proposal it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from bot.fakeapi import FakeWeChatServer
from models import outbox
from models.arrival_entities import Arrival
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.policy import NOT_MESSAGES
from models.push_entities import Protection
from tests.people import Person

Travel = Callable[[datetime], None]
PROPOSAL_WORDS = {"valid": "有效", "natural": "自然到访"}


def arrive(
    travel: Travel, desk: Person, number: int, phone: str, moment: datetime,
    proposed: str = "valid",
) -> str:  # fmt: skip
    """The desk registers filing ``#number``'s client at ``moment``; returns the reply."""
    travel(moment)
    reply = desk.text(f"到访 #{number} {phone}")
    assert PROPOSAL_WORDS[proposed] in reply, reply
    return reply


def run_scheduler(cli: Callable[..., Any], travel: Travel, moment: datetime) -> None:
    travel(moment)
    result = cli("scheduler", "run-once")
    assert result.exit_code == 0, result.output


def pushes(engine: Engine) -> list[Any]:
    """The messages queued for people (not the outbox's staff-tagging rows)."""
    with engine.connect() as conn:
        return [row for row in outbox.queued(conn) if row.kind not in NOT_MESSAGES]


def texts_to(fake: FakeWeChatServer, person: Person) -> list[str]:
    """What WeChat delivered to ``person`` (customer-service texts)."""
    return [sent["payload"]["text"]["content"] for sent in fake.state.sends_to(person.openid)]


def arrival_rows(engine: Engine) -> list[Arrival]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(Arrival).order_by(Arrival.id)))


def protection_rows(engine: Engine) -> list[Protection]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(Protection).order_by(Protection.id)))


def decisions(engine: Engine, action: str) -> list[DecisionLogEntry]:
    with make_session_factory(engine)() as session:
        query = select(DecisionLogEntry).where(DecisionLogEntry.action == action)
        return list(session.scalars(query.order_by(DecisionLogEntry.id)))


def due_days(engine: Engine, kind: str) -> list[date]:
    return [push.due_day for push in pushes(engine) if push.kind == kind]
