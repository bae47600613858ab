"""Fault tests: the shared fixtures, and a hard time limit on every test.

No pytest-timeout plugin is installed, so the limit is an interval timer (SIGALRM) armed
for each test's setup and call and disarmed before its teardown: a test that overruns
fails with ``HardTimeLimitExceeded`` in the main thread, and its fixtures' ``finally`` blocks still
stop every process it started. The teardown itself is bounded by the fixtures' own waits.
"""

from __future__ import annotations

import signal
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest

from tests.faults.support.fixtures import (
    fresh_database_url,
    postgres_server,
    redis_server,
    shared_redis_prefix,
    start_service,
)

__all__ = [
    "fresh_database_url",
    "postgres_server",
    "redis_server",
    "shared_redis_prefix",
    "start_service",
]

SECONDS_PER_TEST = 55


class HardTimeLimitExceeded(Exception):
    """A fault test ran past its hard limit."""


def _expire(_signum: int, _frame: FrameType | None) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    raise HardTimeLimitExceeded(f"fault test exceeded its hard limit of {SECONDS_PER_TEST}s")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_TEST)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
