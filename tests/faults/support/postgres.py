"""PostgreSQL for fault tests: a fresh database on the shared server, or a private cluster.

The private cluster is this test's own under /tmp, so restarting it harms nobody else.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Engine, create_engine

from models import migrate
from tests.conftest import PG_SERVER
from tests.faults.support.processes import free_loopback_port, tail

PG_BIN = Path("/usr/lib/postgresql/15/bin")


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
