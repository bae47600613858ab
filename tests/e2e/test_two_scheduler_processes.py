"""Two scheduler PROCESSES at the same moment queue each push once and end each protection
once (issue 16's "Done when"), against real PostgreSQL and Redis and the fake WeChat API.

The work is set up in the past, through the webhook with the clock travelled back, so that
it falls due today by the real clock: R4 filings filed 6 days ago (reminded today) and 8
days ago (lapsed yesterday, told today), and R8 visit protections (``start_visit``) ending
7 days and 1 day ahead (reminded today) and yesterday (ended, 公客, told today). Then two
real OS processes of ``flask --app bot scheduler run-once`` are spawned, each imports the
service and waits on a file barrier, and both are released at once. Their logs show each
job's start and end, and the test requires their runs to overlap.

``run-once`` takes no leadership (``scheduler.runner.run_once``): both processes do every
job, so the race is real: the decision log's sealing, ``claim_ended``'s
``FOR UPDATE SKIP LOCKED``, the outbox's unique (subject, kind, due day) key and the
sender's claim are what keep each thing once.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.fakeapi import FakeState, FakeWeChatServer
from models import audit, outbox, protections
from models import policy as rules
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.push_entities import Protection, PushKind, PushStatus
from tests.conftest import REDIS_URL
from tests.e2e.conftest import JIA, YI
from tests.faults.support.processes import die_with_the_test_run, stop_process
from tests.faults.support.service import ROOT, service_environment
from tests.moments import TZ
from tests.people import Cast, Person, filing_number

pytestmark = pytest.mark.e2e

PER_CASE = 10  # protections of each of the five kinds of due work
RUN_SECONDS = 40
JOB_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO scheduler\.runner job (\S+) (started|done)"
)
RESULT_LINE = re.compile(r"^([a-z-]+): (\d+)$", re.MULTILINE)

# `flask --app bot scheduler run-once`: the flask CLI with bot's app factory, as
# .venv/bin/flask runs it, except that the app is made before a barrier: the two processes
# race from the moment the test says go, not from whenever Python is up.
AT_THE_BARRIER = """
import sys, time
from pathlib import Path
from flask.cli import FlaskGroup
from bot import create_app
app = create_app()
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.0005)
FlaskGroup(create_app=lambda: app).main(["scheduler", "run-once"], prog_name="flask")
"""


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


@dataclass
class Run:
    """One finished process: its exit code, its stderr, and its jobs' (start, end)."""

    code: int
    stderr: str
    jobs: dict[str, tuple[datetime, datetime]]
    results: dict[str, int]

    @property
    def span(self) -> tuple[datetime, datetime]:
        return min(s for s, _ in self.jobs.values()), max(e for _, e in self.jobs.values())


def parse(code: int, stderr: str) -> Run:
    starts: dict[str, datetime] = {}
    jobs: dict[str, tuple[datetime, datetime]] = {}
    for line in stderr.splitlines():
        found = JOB_LINE.match(line)
        if found:
            at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
            if found.group(3) == "started":
                starts[found.group(2)] = at
            else:
                jobs[found.group(2)] = (starts[found.group(2)], at)
    results = {name: int(count) for name, count in RESULT_LINE.findall(stderr)}
    return Run(code, stderr, jobs, results)


def overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def protection_of(engine: Engine, filing_id: int, kind: str) -> Any:
    with make_session_factory(engine)() as session:
        query = select(Protection).where(Protection.filing_id == filing_id, Protection.kind == kind)
        return session.scalars(query).one()


def set_up_due_work(request: pytest.FixtureRequest, engine: Engine, today: date) -> Due:
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
        cast: Cast = request.getfixturevalue("cast")
        agents: list[Person] = [cast.agent(JIA, "王小明"), cast.agent(YI, "赵小红")]
    count = 0

    def file(day: date) -> int:
        nonlocal count
        count += 1
        agent = agents[count % len(agents)]
        with clock_at(moment(day, 10, count % 60)):
            reply = agent.text(f"报备 P1 客户{letters(count)} 139{count:08d} 本地 明天 15:00")
        assert "报备成功" in reply, reply
        return filing_number(reply)

    due = Due([], [], [])
    for _ in range(PER_CASE):
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


def spawn(env: dict[str, str], tmp: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp / f"{name}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", AT_THE_BARRIER, str(tmp / f"{name}.ready"), str(tmp / "go")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=die_with_the_test_run,
        )
    return process, log


def run_two_at_once(env: dict[str, str], tmp: Path) -> list[Run]:
    started = [spawn(env, tmp, name) for name in ("first", "second")]
    try:
        deadline = time.monotonic() + RUN_SECONDS
        while not all((tmp / f"{name}.ready").exists() for name in ("first", "second")):
            for process, log in started:
                assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the processes never reached the barrier"
            time.sleep(0.01)
        (tmp / "go").touch()  # both released together
        codes = [process.wait(timeout=RUN_SECONDS) for process, _ in started]
    finally:
        for process, _ in started:
            stop_process(process)
    return [parse(code, log.read_text()) for code, (_, log) in zip(codes, started, strict=True)]


@pytest.fixture
def fake() -> Iterator[FakeWeChatServer]:
    """A fake WeChat API of this test's own; each send takes a few ms, as on a network."""
    with FakeWeChatServer(FakeState()) as server:
        server.state.send_delay = 0.004
        yield server


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_scheduler_processes_at_the_same_moment_do_each_thing_once(
    request: pytest.FixtureRequest,
    database_url: str,
    redis_prefix: str,
    engine: Engine,
    fake: FakeWeChatServer,
    tmp_path: Path,
) -> None:
    real_now = datetime.now(TZ)
    if rules.end_of_day(real_now.date(), TZ) - real_now < timedelta(minutes=2):
        time.sleep(150)  # the runs must see the same "today" as the set-up
        real_now = datetime.now(TZ)
    today = real_now.date()
    due = set_up_due_work(request, engine, today)

    env = service_environment(
        database_url,
        REDIS_URL,
        redis_prefix,
        BAOBEI_WECHAT__API_BASE_URL=fake.url,
        BAOBEI_APP__LOG_LEVEL="INFO",
        BAOBEI_SCHEDULER__MORNING_HOUR="0",  # today's pushes are due at any real hour
        BAOBEI_PUSHES__SENDS_PER_SECOND="0",
    )
    began = time.monotonic()
    first, second = run_two_at_once(env, tmp_path)
    took = time.monotonic() - began

    for run in (first, second):  # no process failed
        assert run.code == 0, run.stderr
        assert "Traceback" not in run.stderr and " ERROR " not in run.stderr, run.stderr
        assert set(run.jobs) == {*run.results} and len(run.jobs) == 5, run.stderr
    # at the same moment: each process's run, and its end-protections job (which decides
    # the ends), began before the other's ended
    assert overlap(first.span, second.span), (first.jobs, second.jobs)
    assert overlap(first.jobs["end-protections"], second.jobs["end-protections"]), (
        first.jobs,
        second.jobs,
    )
    both = {name: overlap(first.jobs[name], second.jobs[name]) for name in first.jobs}

    with engine.connect() as conn:
        rows = outbox.queued(conn)
    keys = [(row.subject, row.kind, row.due_day) for row in rows]
    assert sorted(keys) == due.pushes  # each due push, once, and nothing else
    # each row was queued by exactly one of them, and each was delivered once
    for job, expected in (
        ("remind-protections", len(due.reminders)),
        ("end-protections", len(due.ended)),
        ("send-pushes", len(rows)),
    ):
        assert first.results[job] + second.results[job] == expected, (job, first, second)
    assert [row.status for row in rows] == [PushStatus.SENT] * len(rows)
    with fake.state.lock:
        sent = Counter(entry["payload"]["text"]["content"] for entry in fake.state.sent)
    assert sent == Counter(row.text for row in rows) and max(sent.values()) == 1

    with make_session_factory(engine)() as session:
        ends = list(
            session.scalars(
                select(DecisionLogEntry).where(DecisionLogEntry.action == "protection_end")
            )
        )
        chain = audit.verify(session)
    assert sorted(entry.subject for entry in ends) == sorted(due.ended)  # each end once
    assert Counter((entry.rule, entry.outcome) for entry in ends) == {
        ("R4", "lapsed"): PER_CASE,
        ("R8", "public"): PER_CASE,
    }
    assert chain.broken_id is None and chain.checked > 0, chain  # two sealers, one chain

    print(
        f"\ntwo run-once processes: {took:.2f}s wall; runs "
        f"{first.span[0]:%H:%M:%S,%f}-{first.span[1]:%H:%M:%S,%f} and "
        f"{second.span[0]:%H:%M:%S,%f}-{second.span[1]:%H:%M:%S,%f}; jobs overlapping: "
        f"{sorted(name for name, yes in both.items() if yes)}; split "
        f"{ {job: (first.results[job], second.results[job]) for job in first.results} }"
    )
