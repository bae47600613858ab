"""The machine and versions a result was measured on, recorded next to the numbers."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

import psycopg
import redis

from bench.seed import ADMIN_DSN, REDIS_URL
from bench.server import ROOT

PACKAGES = ("gunicorn", "Flask", "wechatpy", "SQLAlchemy", "psycopg", "redis", "WeRoBot", "py-spy")
PG_SETTINGS = (
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "shared_buffers",
    "max_connections",
)


def cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=5)
    except OSError:
        return "not installed"
    return (out.stdout or out.stderr).splitlines()[0].strip()


def code_identity() -> dict[str, Any]:
    """Which code was measured: HEAD, uncommitted changes, and a hash of the app's sources.

    Others change bot/, models/ and handlers/ while benchmarks run; the hash tells two
    results apart even when HEAD is the same.
    """
    digest = hashlib.sha256()
    for folder in ("bot", "handlers", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except OSError:
            return ""
        return done.stdout.rstrip("\n")

    dirty = git("status", "--porcelain", "--", "bot", "handlers", "models")
    return {
        "head": git("rev-parse", "--short", "HEAD").strip(),
        "app_changes_uncommitted": [line[3:] for line in dirty.splitlines() if line],
        "app_sources_sha256": digest.hexdigest()[:16],
    }


def collect() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES},
        "wrk": _wrk_version(),
        "code": code_identity(),
    }
    with open("/proc/meminfo", encoding="utf-8") as handle:
        facts["memory"] = handle.readline().split(":", 1)[1].strip()
    with psycopg.connect(ADMIN_DSN) as conn:
        row = conn.execute("SELECT version()").fetchone()
        facts["postgresql"] = str(row[0]).split(" on ")[0] if row else "?"
        facts["postgresql_settings"] = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in PG_SETTINGS
        }
    client = redis.Redis.from_url(REDIS_URL)
    try:
        facts["redis"] = str(client.info("server")["redis_version"])
    finally:
        client.close()
    return facts
