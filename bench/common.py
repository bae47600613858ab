"""What every benchmark shares: where PostgreSQL and Redis are, names, ports, credentials.

The benchmarks own the databases ``baobei_bench*`` and ``baobei_scale*`` and Redis db 14,
and drop or empty them freely; nothing else on the shared servers is touched.
"""

from __future__ import annotations

import base64
import importlib.metadata
import os
import platform
import socket
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TZ = ZoneInfo("Asia/Shanghai")
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
ADMIN_DSN = f"{PG_SERVER}/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"


def dsn(database: str) -> str:
    """A libpq DSN for psycopg."""
    return f"{PG_SERVER}/{database}"


def sa_url(database: str) -> str:
    """The same database as a SQLAlchemy URL (the service's driver, psycopg 3)."""
    return f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{database}"


def drop_database(name: str) -> None:
    """WITH (FORCE): a benchmark killed half-way leaves sessions that must not block this."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))


def recreate_database(name: str) -> None:
    """Nothing of an earlier run or repetition survives."""
    drop_database(name)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def letters(index: int) -> str:
    """``index`` in base 26 with a-z: client names may hold no digits (grammar rule)."""
    out = ""
    while True:
        index, digit = divmod(index, 26)
        out = string.ascii_lowercase[digit] + out
        if index == 0:
            return out


def index_of(name_letters: str) -> int:
    """The inverse of ``letters``: a reply's client name back to its message index."""
    index = 0
    for char in name_letters:
        index = index * 26 + string.ascii_lowercase.index(char)
    return index


def agent_openid(index: int) -> str:
    return f"bench_agent_{index:05d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# 43 characters, as WeChat's EncodingAESKey: base64 of 32 bytes without the trailing "=".
_AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")


@dataclass(frozen=True)
class Credentials:
    """What WeChat and the server share: the URL token, the app id and the AES key.

    Read from the environment so the orchestrator and gunicorn workers agree without a
    config file.
    """

    token: str = os.environ.get("BENCH_TOKEN", "bench-token")
    app_id: str = os.environ.get("BENCH_APP_ID", "wx5e1f00bench0001")
    aes_key: str = os.environ.get("BENCH_AES_KEY", _AES_KEY)

    def as_env(self) -> dict[str, str]:
        """The environment that makes every bench app (and ``bot``) use these credentials."""
        return {
            "BENCH_TOKEN": self.token,
            "BENCH_APP_ID": self.app_id,
            "BENCH_AES_KEY": self.aes_key,
            "BAOBEI_WECHAT__TOKEN": self.token,
            "BAOBEI_WECHAT__APP_ID": self.app_id,
            "BAOBEI_WECHAT__ENCODING_AES_KEY": self.aes_key,
        }

    def settings(self) -> dict[str, str]:
        """The ``wechat`` section of the service's settings, for an in-process app."""
        return {"token": self.token, "app_id": self.app_id, "encoding_aes_key": self.aes_key}


PACKAGES = ("gunicorn", "Flask", "wechatpy", "SQLAlchemy", "psycopg", "redis", "WeRoBot")


def code_identity() -> str:
    """HEAD and what is uncommitted in the app's folders: two runs at one HEAD can differ."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "bot", "handlers", "models")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def machine_facts() -> dict[str, str]:
    """The machine, versions and code a result was measured on, recorded beside it."""

    def first(path: str, key: str) -> str:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
        return "?"

    facts = {
        "nproc": str(os.cpu_count()),
        "CPU": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "kernel": platform.release(),
        "Python": sys.version.split()[0],
        "code": code_identity(),
    }
    with psycopg.connect(ADMIN_DSN) as conn:
        for label, query in (
            ("PostgreSQL", "SELECT version()"),
            ("pg synchronous_commit", "SHOW synchronous_commit"),
            ("pg shared_buffers", "SHOW shared_buffers"),
        ):
            row = conn.execute(query).fetchone()  # type: ignore[call-overload]
            facts[label] = str(row[0]).split(" on ")[0] if row else "?"
    for package in PACKAGES:
        try:
            facts[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            facts[package] = "not installed"
    return facts
