"""What the approval tests share: the case site's people, an arrival, the scheduler.

``arrive`` registers an arrival through the webhook (``到访 #<编号> <11位手机号>``, the
front desk's command, W3A). On a tree where that command is not built yet (it answers
``replies.STAFF_ARRIVAL_PENDING``) it stores the arrival row the command would store, with the
proposal the rule book gives; where the command is built, the proposal it answers must be
that one, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from bot.fakeapi import FakeWeChatServer
from handlers import replies
from models import outbox
from models.arrival_entities import Arrival, ArrivalStatus
from models.db import make_session_factory
from models.entities import DecisionLogEntry, Filing, Staff
from models.policy import NOT_MESSAGES
from models.push_entities import Protection
from tests.people import Person

Travel = Callable[[datetime], None]
PROPOSAL_WORDS = {"valid": "有效", "natural": "自然到访"}
#: What ``到访`` answers where the registration is not built yet (gone once it is).
NOT_BUILT = getattr(replies, "STAFF_ARRIVAL_PENDING", None)


def arrive(
    engine: Engine, travel: Travel, desk: Person, number: int, phone: str, moment: datetime,
    proposed: str = "valid", rule: str = "R5", why: str = "符合到访规则",
) -> str:  # fmt: skip
    """The desk registers filing ``#number``'s client at ``moment``; returns the reply."""
    travel(moment)
    reply = desk.text(f"到访 #{number} {phone}")
    if reply != NOT_BUILT:
        assert PROPOSAL_WORDS[proposed] in reply, reply
        return reply
    with make_session_factory(engine).begin() as session:
        filing = session.get(Filing, number)
        assert filing is not None
        staff_id = session.scalar(
            select(Staff.id).where(
                Staff.openid == desk.openid, Staff.project_id == filing.project_id
            )
        )
        assert staff_id is not None
        session.add(
            Arrival(
                project_id=filing.project_id, filing_id=filing.id, client_id=filing.client_id,
                staff_id=staff_id, arrived_at=moment, registered_at=moment,
                late_registration=False, full_phone=phone, client_name=filing.client_name,
                remote=filing.remote, remote_corrected=False, reported=True,
                proposed=proposed, proposed_rule=rule, proposed_reason=proposed,
                explanation=why, status=ArrivalStatus.PENDING, override=False,
                policy=filing.policy,
            )
        )  # fmt: skip
    return f"到访登记 #{number} 建议：{PROPOSAL_WORDS[proposed]}"


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
