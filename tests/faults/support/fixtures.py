"""The fault tests' fixtures (conftest.py imports them): each stops what it started."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.support.postgres import PrivatePostgres, fresh_database, private_postgres
from tests.faults.support.redis_servers import PrivateRedis, private_redis, unique_redis_prefix
from tests.faults.support.service import Gunicorn, gunicorn_service


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
