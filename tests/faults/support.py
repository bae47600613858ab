"""Shared machinery of the fault tests: real servers, started and always stopped.

The fault tests run the service the way it is deployed (gunicorn processes of
``bot:create_app()``), talk to it over loopback HTTP with WeChat's signed, encrypted
messages, break something underneath it (a worker, Redis, PostgreSQL) and then read the
database to check that nothing the service acknowledged went missing or was doubled.

Everything here is bounded in time and cleans up after itself even when a test fails: each
server is a context manager whose ``finally`` stops exactly the processes it started (by
their own pid or process group, never by name), so a failing test cannot leave a stray
gunicorn, Redis or PostgreSQL behind on a machine other people share.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import requests
from sqlalchemy import Engine, create_engine, text

from bot import create_app
from bot.simulator import Reply, WeChatSimulator, http_transport
from models import migrate
from tests.conftest import AES_KEY, APP_ID, PG_SERVER, REDIS_URL, TOKEN
from tests.moments import TZ
from tests.people import Person, last_line

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = "/usr/bin/redis-server"
PROJECT_CODE = "P1"
PROJECT_NAME = "星河湾"
SUCCESS = re.compile(r"报备成功 #(\d+)")
DIGITS_AS_WORDS = "零一二三四五六七八九"


# ------------------------------------------------------------------ small, bounded waits


class WaitTimedOut(AssertionError):
    """A bounded wait ran out; the message says what was awaited (and shows a log tail)."""


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds, never hang."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise WaitTimedOut(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_loopback_port() -> int:
    """A TCP port nobody listens on right now: bind port 0 and let the kernel choose."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_the_test_run() -> None:
    """preexec_fn: the child gets SIGKILL if pytest itself dies (prctl PR_SET_PDEATHSIG).

    ``finally`` blocks cover failing tests; this covers a killed test run, so a server
    started here can never outlive the run that started it.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1


def stop_process(
    process: subprocess.Popen[bytes], grace: float = 10.0, how: int = signal.SIGTERM
) -> None:
    """Send ``how`` (SIGTERM), then SIGKILL after ``grace`` seconds; always reaps it."""
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for assertion messages: a failure should explain itself."""
    try:
        content = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return f"--- last {lines} lines of {path.name} ---\n" + "\n".join(content[-lines:])


# ------------------------------------------------------------------ PostgreSQL databases


def sqlalchemy_url(server_url: str, database: str) -> str:
    """``postgresql://…`` (psycopg's spelling) to SQLAlchemy's ``postgresql+psycopg://…/db``."""
    return f"{server_url.replace('postgresql://', 'postgresql+psycopg://')}/{database}"


@contextlib.contextmanager
def fresh_database(server_url: str = PG_SERVER) -> Iterator[str]:
    """A new, migrated database on ``server_url`` for one test; dropped after, even on failure.

    Each fault test gets its own so that counting rows means counting this test's rows.
    """
    name = f"baobei_faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = sqlalchemy_url(server_url, name)
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_engine(url: str) -> Iterator[Engine]:
    """An engine for the test's own reads, disposed after so no connection lingers."""
    engine = create_engine(url, pool_pre_ping=True)
    try:
        yield engine
    finally:
        engine.dispose()


# ------------------------------------------------------------------ Redis


@contextlib.contextmanager
def unique_redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A key prefix on the shared Redis that only this test uses; its keys go after."""
    prefix = f"faults{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, so that killing it harms nobody else."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL, like a crashed host: no shutdown, no goodbye to its clients."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextlib.contextmanager
def private_redis(workdir: Path) -> Iterator[PrivateRedis]:
    """Start redis-server on a free loopback port (no persistence); stop it after."""
    port = free_loopback_port()
    log_path = workdir / f"redis-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_the_test_run,
        )
    server = PrivateRedis(port, process, log_path)
    try:
        wait_until(server.answers, 15, f"redis-server on port {port}\n{tail(log_path)}")
        yield server
    finally:
        stop_process(process, grace=5)


# ------------------------------------------------------------------ PostgreSQL clusters


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this test's own under /tmp, so restarting it harms nobody."""

    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run pg_ctl as the postgres user (the server refuses to run as root)."""
        return run_as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args], timeout=timeout
        )

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every client connection is cut, the server comes back."""
        done = self.pg_ctl("restart", "-m", "fast", "-w", "-t", "30", "-l", str(self.log_path))
        assert done.returncode == 0, (
            f"pg_ctl restart failed:\n{done.stdout}\n{done.stderr}\n{tail(self.log_path)}"
        )


def run_as_postgres(command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb a throwaway cluster into /tmp/<unique>, start it on a free loopback port.

    fsync is off: the tests restart the server with a clean shutdown (which writes
    everything out anyway) and never crash the host; it keeps the restart quick. Stopped
    (``-m immediate``) and removed after, even on failure.
    """
    root = Path(tempfile.mkdtemp(prefix="baobei-faults-pg-", dir="/tmp"))
    owner = pwd.getpwnam("postgres")
    os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PrivatePostgres(root, free_loopback_port())
    try:
        made = run_as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(cluster.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=60,
        )
        assert made.returncode == 0, f"initdb failed:\n{made.stdout}\n{made.stderr}"
        options = f"-p {cluster.port} -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off"
        started = cluster.pg_ctl(
            "start", "-o", options, "-w", "-t", "30", "-l", str(cluster.log_path)
        )
        assert started.returncode == 0, (
            f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{tail(cluster.log_path)}"
        )
        yield cluster
    finally:
        if (cluster.data_dir / "postmaster.pid").exists():
            cluster.pg_ctl("stop", "-m", "immediate", "-w", "-t", "20", timeout=30)
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ the service under gunicorn


def service_environment(
    database_url: str, redis_url: str, redis_prefix: str, **extra: str
) -> dict[str, str]:
    """The process environment of one service instance: BAOBEI_* settings only.

    Inherited BAOBEI_* variables are dropped so the test decides every setting. The WeChat
    API points at a loopback port nobody listens on: the webhook pushes nothing, and if it
    ever tried, it would fail fast instead of calling the real api.weixin.qq.com.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOBEI_")}
    env.update(
        {
            "BAOBEI_DATABASE__URL": database_url,
            "BAOBEI_REDIS__URL": redis_url,
            "BAOBEI_REDIS__PREFIX": redis_prefix,
            "BAOBEI_WECHAT__TOKEN": TOKEN,
            "BAOBEI_WECHAT__APP_ID": APP_ID,
            "BAOBEI_WECHAT__ENCODING_AES_KEY": AES_KEY,
            "BAOBEI_WECHAT__API_BASE_URL": f"http://127.0.0.1:{free_loopback_port()}",
            "BAOBEI_APP__RATE_LIMIT_PER_MINUTE": "0",
            "BAOBEI_APP__LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    """One running service instance: a gunicorn master and its sync workers."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/wechat"

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def worker_pids(self) -> list[int]:
        """The master's children, i.e. its workers (``pgrep -P <master>``)."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.master_pid)], capture_output=True, text=True, timeout=10
        )
        return sorted(int(pid) for pid in found.stdout.split())

    def answers_health_check(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def wechat(self, timeout: float = 15.0) -> WeChatSimulator:
        """WeChat's servers posting to this instance: signed, AES-encrypted, over HTTP."""
        return WeChatSimulator(TOKEN, APP_ID, AES_KEY, http_transport(self.webhook_url, timeout))


@contextlib.contextmanager
def gunicorn_service(
    name: str,
    env: dict[str, str],
    log_dir: Path,
    workers: int = 2,
    startup_timeout: float = 30.0,
) -> Iterator[Gunicorn]:
    """``gunicorn --workers N --worker-class sync "bot:create_app()"`` on a free port.

    Ready when GET /healthz answers. The master leads its own process group, so the stop
    can SIGKILL the whole group (workers included) if a graceful stop does not finish.
    """
    port = free_loopback_port()
    log_path = log_dir / f"gunicorn-{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "30",
                "--graceful-timeout",
                "3",
                "--log-level",
                "warning",
                "bot:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_the_test_run,
        )
    service = Gunicorn(name, port, process, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while not service.answers_health_check():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn {name} exited early\n{service.log_tail()}")
            if time.monotonic() > deadline:
                raise WaitTimedOut(f"gunicorn {name} not ready\n{service.log_tail()}")
            time.sleep(0.1)
        wait_until(
            lambda: len(service.worker_pids()) == workers,
            startup_timeout,
            f"{workers} workers of gunicorn {name}\n{service.log_tail()}",
        )
        yield service
    finally:
        # SIGQUIT is gunicorn's quick shutdown: the test is over, nothing is left to drain
        stop_process(process, grace=10, how=signal.SIGQUIT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker the master left behind


# ------------------------------------------------------------------ the cast, seeded


def spelled(number: int) -> str:
    """A number in Chinese digits: client and agent names must not contain 0-9."""
    return "".join(DIGITS_AS_WORDS[int(d)] for d in str(number))


def arrival_text(days_ahead: int = 2) -> str:
    """A local arrival time the rules accept: days ahead (notice), inside the protection."""
    day = (datetime.now(TZ) + timedelta(days=days_ahead)).date()
    return f"{day.isoformat()} 15:00"


def filing_text(client_name: str, phone: str, arrival: str) -> str:
    return f"报备 {PROJECT_CODE} {client_name} {phone} 本地 {arrival}"


def phone_mask(phone: str) -> str:
    return phone if "*" in phone else f"{phone[:3]}****{phone[-4:]}"


class OperatorCommands:
    """``flask --app bot …`` run in-process against the service's database.

    The same Click commands an operator runs, without paying a Python start-up per
    invite code (twenty agents would otherwise cost most of a test's time budget).
    """

    def __init__(self, database_url: str) -> None:
        self.app = create_app(
            {
                "app": {"log_level": "WARNING"},
                "database": {"url": database_url},
                "redis": {"url": ""},
            }
        )
        self.runner = self.app.test_cli_runner()

    def run(self, *args: str) -> str:
        result = self.runner.invoke(args=list(args))
        assert result.exit_code == 0, f"flask --app bot {' '.join(args)}: {result.output}"
        return last_line(result.output)

    def close(self) -> None:
        self.app.extensions["baobei"]["services"].engine.dispose()


@dataclass
class SeededCast:
    """One project, some distributors, and their agents bound over the webhook."""

    distributors: list[str]
    agents_by_distributor: dict[str, list[str]] = field(default_factory=dict)

    @property
    def agent_openids(self) -> list[str]:
        return [openid for openids in self.agents_by_distributor.values() for openid in openids]


def seed_cast(
    database_url: str, service: Gunicorn, distributors: int, agents_per_distributor: int
) -> SeededCast:
    """Create the project and distributors (operator CLI), bind agents (``绑定`` via HTTP)."""
    operator = OperatorCommands(database_url)
    try:
        operator.run("project", "add", PROJECT_CODE, PROJECT_NAME)
        names = [f"第{spelled(i + 1)}房产经纪有限公司" for i in range(distributors)]
        cast = SeededCast(names)
        wechat = service.wechat()
        for d, name in enumerate(names):
            operator.run("distributor", "add", name)
            cast.agents_by_distributor[name] = []
            for a in range(agents_per_distributor):
                code = operator.run("distributor", "invite", name)
                openid = f"o_fault_agent_{d:02d}_{a:03d}"
                person = Person(openid, wechat)
                reply = person.text(f"绑定 {code} 经纪人{spelled(d)}{spelled(a)}")
                assert "绑定成功" in reply, reply
                cast.agents_by_distributor[name].append(openid)
        return cast
    finally:
        operator.close()


# ------------------------------------------------------------------ load and its bookkeeping


@dataclass(frozen=True)
class FilingAttempt:
    """One filing message sent, and what (if anything) came back."""

    openid: str
    client_name: str
    phone: str
    arrival: str
    msg_id: int
    status: int | None  # HTTP status; None when the reply was lost (connection error)
    text: str | None
    error: str | None = None

    @property
    def phone_mask(self) -> str:
        return phone_mask(self.phone)

    @property
    def filing_no(self) -> int | None:
        found = SUCCESS.search(self.text or "")
        return int(found.group(1)) if found else None

    @property
    def acknowledged(self) -> bool:
        return self.filing_no is not None

    @property
    def reply_lost(self) -> bool:
        return self.status is None


def send_filing(
    wechat: WeChatSimulator,
    openid: str,
    client_name: str,
    phone: str,
    arrival: str,
    msg_id: int | None = None,
) -> FilingAttempt:
    """Post one 报备; a connection error is recorded as a lost reply, not raised."""
    msg_id = wechat.next_msg_id() if msg_id is None else msg_id
    xml = wechat.text_xml(openid, filing_text(client_name, phone, arrival), msg_id=msg_id)
    try:
        reply: Reply = wechat.send(xml)
    except requests.RequestException as error:
        return FilingAttempt(
            openid, client_name, phone, arrival, msg_id, None, None, type(error).__name__
        )
    return FilingAttempt(openid, client_name, phone, arrival, msg_id, reply.status, reply.text)


class UniqueClients:
    """Client names and phones never used before in this test, from any thread."""

    def __init__(self, prefix: str = "客户") -> None:
        self.prefix = prefix
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> tuple[str, str]:
        with self._lock:
            number = next(self._numbers)
        return f"{self.prefix}{spelled(number)}", f"139{number:08d}"


def run_filing_load(
    services: Sequence[Gunicorn],
    openids: Sequence[str],
    threads: int,
    seconds: float,
    clients: UniqueClients | None = None,
) -> list[FilingAttempt]:
    """``threads`` senders file unique clients for ``seconds``, alternating instances.

    Each sender has its own HTTP sessions (one per instance) and takes turns over the
    instances, so a multi-instance test really splits every sender's load.
    """
    clients = clients or UniqueClients()
    arrival = arrival_text()
    results: list[list[FilingAttempt]] = [[] for _ in range(threads)]
    deadline = time.monotonic() + seconds

    def sender(index: int) -> None:
        sims = [service.wechat(timeout=15) for service in services]
        for turn in itertools.count():
            if time.monotonic() >= deadline:
                return
            sim = sims[(index + turn) % len(sims)]
            openid = openids[(index + turn * threads) % len(openids)]
            name, phone = clients.next()
            results[index].append(send_filing(sim, openid, name, phone, arrival))

    workers = [
        threading.Thread(target=sender, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 40)
    assert not any(worker.is_alive() for worker in workers), "a load sender hung"
    return [attempt for per_thread in results for attempt in per_thread]


def at_once(calls: Sequence[Callable[[], Any]], timeout: float = 30.0) -> list[Any]:
    """Run the calls in threads released together by a barrier; their results in order.

    An exception in a call is returned in its place rather than lost in the thread.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except Exception as error:  # reported to the test, which asserts on it
            results[index] = error

    workers = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    assert not any(worker.is_alive() for worker in workers), "a concurrent sender hung"
    return results


# ------------------------------------------------------------------ what the database says


@dataclass(frozen=True)
class FilingRow:
    id: int
    client_name: str
    phone_mask: str
    status: str
    source_msg: str | None


def filing_rows(engine: Engine) -> dict[int, FilingRow]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, client_name, phone_mask, status, source_msg FROM filings")
        ).all()
    return {row[0]: FilingRow(*row) for row in rows}


def filings_without_a_decision(engine: Engine) -> list[int]:
    """Half-written filings: a filing row whose decision log entry is missing (R12)."""
    with engine.connect() as conn:
        return list(
            conn.scalars(
                text(
                    "SELECT f.id FROM filings f LEFT JOIN decisions d"
                    " ON d.subject = 'filing:' || f.id WHERE d.id IS NULL ORDER BY f.id"
                )
            )
        )


def filings_of_message(engine: Engine, msg_id: int) -> int:
    """Filing rows written for one WeChat MsgId (single-client messages use ``m<MsgId>``)."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(*) FROM filings WHERE source_msg = :key"),
                {"key": f"m{msg_id}"},
            )
            or 0
        )


def database_dedup_claims(engine: Engine) -> set[str]:
    """MsgIds claimed in PostgreSQL: only written while Redis is unreachable."""
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT key FROM inbound_messages")))


@dataclass(frozen=True)
class LoadAccounting:
    """How the replies of a load run compare with the rows it left."""

    sent: int
    acknowledged: int
    lost: int
    other: int
    filed_rows: int


def assert_acknowledged_filings_kept_once(
    engine: Engine, attempts: Sequence[FilingAttempt], context: str = ""
) -> LoadAccounting:
    """Nothing acknowledged is missing, nothing is doubled, nothing appears from nowhere.

    - every ``报备成功 #N`` names a row N, status 'filed', of the very client sent;
    - no two replies name the same N, and no client has two 'filed' rows;
    - filed rows = acknowledged + (some of) the requests whose reply was lost, because a
      worker killed after its commit but before its answer leaves a row nobody heard of.
    """
    rows = filing_rows(engine)
    acknowledged = [a for a in attempts if a.acknowledged]
    lost = [a for a in attempts if a.reply_lost]
    numbers = [a.filing_no for a in acknowledged]
    assert len(set(numbers)) == len(numbers), f"two replies named one filing{context}"
    for attempt in acknowledged:
        row = rows.get(attempt.filing_no or -1)
        assert row is not None, f"acknowledged #{attempt.filing_no} is missing{context}"
        assert row.status == "filed", f"#{row.id} is {row.status}{context}"
        assert (row.client_name, row.phone_mask) == (attempt.client_name, attempt.phone_mask), (
            f"#{row.id} holds {row.client_name} {row.phone_mask}, reply was for "
            f"{attempt.client_name} {attempt.phone_mask}{context}"
        )
    filed = [row for row in rows.values() if row.status == "filed"]
    per_client: dict[tuple[str, str], int] = {}
    for row in filed:
        per_client[(row.client_name, row.phone_mask)] = (
            per_client.get((row.client_name, row.phone_mask), 0) + 1
        )
    doubled = {client: n for client, n in per_client.items() if n > 1}
    assert not doubled, f"clients filed twice: {doubled}{context}"
    sent_clients = {(a.client_name, a.phone_mask) for a in attempts}
    strangers = [row.id for row in filed if (row.client_name, row.phone_mask) not in sent_clients]
    assert not strangers, f"filed rows nobody sent: {strangers}{context}"
    lost_clients = {(a.client_name, a.phone_mask) for a in lost}
    acknowledged_clients = {(a.client_name, a.phone_mask) for a in acknowledged}
    unexplained = [
        row.id
        for row in filed
        if (row.client_name, row.phone_mask) not in acknowledged_clients | lost_clients
    ]
    assert not unexplained, f"filed rows whose reply said otherwise: {unexplained}{context}"
    assert len(acknowledged) <= len(filed) <= len(acknowledged) + len(lost), (
        f"{len(filed)} filed rows for {len(acknowledged)} acknowledged and {len(lost)} lost"
        f"{context}"
    )
    return LoadAccounting(
        sent=len(attempts),
        acknowledged=len(acknowledged),
        lost=len(lost),
        other=len(attempts) - len(acknowledged) - len(lost),
        filed_rows=len(filed),
    )


# ------------------------------------------------------------------ fixtures (via conftest.py)


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    """A migrated database of this test's own on the shared PostgreSQL, dropped after."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def shared_redis_prefix() -> Iterator[str]:
    """A prefix of this test's own on the shared Redis, its keys deleted after."""
    with unique_redis_prefix() as prefix:
        yield prefix


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A private redis-server this test may kill."""
    with private_redis(tmp_path) as server:
        yield server


@pytest.fixture
def postgres_server() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster this test may restart."""
    with private_postgres() as cluster:
        yield cluster


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn instances on demand; every one is stopped when the test ends."""
    with contextlib.ExitStack() as running:

        def start(name: str, env: dict[str, str], workers: int = 2) -> Gunicorn:
            return running.enter_context(gunicorn_service(name, env, tmp_path, workers))

        yield start
