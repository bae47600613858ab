"""Work that falls due today by the REAL clock, set up in the past through the webhook,
for tests that run scheduler processes (which cannot travel in time).

R4 filings filed 6 days ago (reminded today) and 8 days ago (lapsed yesterday, told today);
R8 visit protections (``models.protections.start_visit``) ending 7 days and 1 day ahead
(reminded today) and yesterday (ended, 公客, told today). Lead days are the policy's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select

from models import policy as rules
from models import protections
from models.db import make_session_factory
from models.push_entities import Protection, PushKind
from tests.e2e.conftest import JIA, YI
from tests.moments import TZ
from tests.people import Cast, Person, files


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def letters(index: int) -> str:
    """Client names hold no digits: ``a``, ``b``, ... ``ba``."""
    out = ""
    while True:
        index, digit = divmod(index, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[digit] + out
        if index == 0:
            return out


@dataclass
class Due:
    """What the two processes must do between them, each thing once."""

    reminders: list[tuple[str, str, date]]  # (subject, kind, due day)
    notices: list[tuple[str, str, date]]
    ended: list[str]  # subjects whose end is decided (R4 lapse, R8 public)

    @property
    def pushes(self) -> list[tuple[str, str, date]]:
        return sorted(self.reminders + self.notices)


def protection_of(engine: Engine, filing_id: int, kind: str) -> Any:
    with make_session_factory(engine)() as session:
        query = select(Protection).where(Protection.filing_id == filing_id, Protection.kind == kind)
        return session.scalars(query).one()


def set_up_due_work(
    request: pytest.FixtureRequest, engine: Engine, today: date, per_case: int
) -> Due:
    """Through the webhook with the clock travelled back, what falls due today."""
    policy = rules.Policy()
    reminder_lead = policy.filing_reminder_days  # R4: reminded this many days before the end
    filed_for_reminder = today - timedelta(days=policy.filing_protection_days - reminder_lead)
    filed_for_lapse = today - timedelta(days=policy.filing_protection_days + 1)
    visit_days = policy.visit_protection_days - 1  # the arrival day is day 1
    arrivals = {  # R8: ends 7 days ahead, 1 day ahead (reminders), yesterday (the end)
        "ahead": today + timedelta(days=policy.visit_reminder_days - visit_days),
        "tomorrow": today + timedelta(days=policy.visit_last_reminder_days - visit_days),
        "ended": today - timedelta(days=1 + visit_days),
    }
    first_day = min(arrivals.values())
    with clock_at(moment(first_day - timedelta(days=2), 9)):
        cast = Cast(request.getfixturevalue("cli"), request.getfixturevalue("wechat"))
        cast.project("P1", "星河湾")
        cast.distributor(JIA)
        cast.distributor(YI)
        agents: list[Person] = [cast.agent(JIA, "王小明"), cast.agent(YI, "赵小红")]
    count = 0

    def file(day: date) -> int:
        nonlocal count
        count += 1
        agent = agents[count % len(agents)]
        with clock_at(moment(day, 10, count % 60)):
            return files(agent, f"报备 P1 客户{letters(count)} 139{count:08d} 本地 明天 15:00")

    due = Due([], [], [])
    for _ in range(per_case):
        for name, arrival in arrivals.items():
            number = file(arrival)
            arrived_at = moment(arrival, 14)
            with clock_at(arrived_at), make_session_factory(engine).begin() as session:
                row = protections.start_visit(
                    session, filing_id=number, started_by="arrival:test",
                    arrived_at=arrived_at, now=arrived_at, tz=TZ,
                )  # fmt: skip
                subject = f"protection:{row.id}"
            if name == "ended":
                due.notices.append((subject, PushKind.VISIT_ENDED, today))
                due.ended.append(subject)
            else:
                due.reminders.append((subject, PushKind.VISIT_END_REMINDER, today))
        subject = f"protection:{protection_of(engine, file(filed_for_reminder), 'filing').id}"
        due.reminders.append((subject, PushKind.FILING_LAPSE_REMINDER, today))
        subject = f"protection:{protection_of(engine, file(filed_for_lapse), 'filing').id}"
        due.notices.append((subject, PushKind.FILING_LAPSED, today))
        due.ended.append(subject)
    return due
