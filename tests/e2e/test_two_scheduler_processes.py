"""Two scheduler PROCESSES at the same moment queue each push once and end each protection
once (issue 16's "Done when"), against real PostgreSQL and Redis and the fake WeChat API.

The work is set up in the past, through the webhook with the clock travelled back, so that
it falls due today by the real clock (tests/due_today.py): R4 filings filed 6 days ago
(reminded today) and 8 days ago (lapsed yesterday, told today), and R8 visit protections
(``start_visit``) ending 7 days and 1 day ahead (reminded today) and yesterday (ended,
公客, told today). Then two real OS processes of ``flask --app bot scheduler run-once``
are spawned, each makes the app and waits on a file barrier, and both are released at once.
Their logs show each job's start and end, and the test requires their runs, and their
end-protections jobs, to overlap.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.fakeapi import FakeWeChatServer
from models import audit, outbox
from models import policy as rules
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.push_entities import PushStatus
from scheduler.jobs import JOBS
from scheduler.runner import SEND_PUSHES
from tests.conftest import REDIS_URL
from tests.due_today import set_up_due_work
from tests.faults.support.processes import die_with_the_test_run, stop_process
from tests.faults.support.service import ROOT, service_environment, slow_fake_wechat
from tests.moments import TZ

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
    with slow_fake_wechat() as server:
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
    before_midnight = rules.end_of_day(real_now.date(), TZ) - real_now
    if before_midnight < timedelta(minutes=2):  # the runs must see the set-up's "today"
        time.sleep(before_midnight.total_seconds() + 5)
        real_now = datetime.now(TZ)
    today = real_now.date()
    due = set_up_due_work(request, engine, today, PER_CASE)

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
        # every job of the scheduler ran, the sender last
        assert set(run.jobs) == {*run.results} == {*JOBS, SEND_PUSHES}, run.stderr
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
