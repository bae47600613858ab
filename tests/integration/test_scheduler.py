"""The scheduler process: jobs run once on demand, and only one process leads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models.entities import DecisionLogEntry
from tests.moments import at

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_run_once_seals_the_settled_decisions(
    cli: Callable[..., Any], engine: Engine, travel: Callable[[datetime], None]
) -> None:
    travel(at(11, 22, 10, 0))
    assert cli("project", "add", "P1", "星河湾").exit_code == 0
    travel(at(11, 22, 10, 1))
    result = cli("scheduler", "run-once")
    assert result.exit_code == 0 and "seal-decisions: 1" in result.output
    with engine.connect() as conn:
        assert (
            conn.scalar(select(func.count()).where(DecisionLogEntry.entry_hash.is_not(None))) == 1
        )
    assert "seal-decisions: 0" in cli("scheduler", "run-once").output  # nothing twice


def start_scheduler(database_url: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    """``flask --app bot scheduler run``; ``settings``: more BAOBEI_* variables."""
    env = {
        **os.environ,
        "BAOBEI_DATABASE__URL": database_url,
        "BAOBEI_SCHEDULER__LEADER_POLL_SECONDS": "0.2",
        **settings,
    }
    env.pop("BAOBEI_CONFIG", None)
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "bot", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def wait_for(log: Path, text: str, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_two_schedulers_elect_one_leader_and_the_standby_takes_over(
    database_url: str, tmp_path: Path
) -> None:
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_scheduler(database_url, first_log)
    try:
        assert wait_for(first_log, "leadership taken")
        second = start_scheduler(database_url, second_log)
        try:
            assert wait_for(second_log, "standing by")
            assert "leadership taken" not in second_log.read_text()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            assert wait_for(second_log, "leadership taken")
        finally:
            second.kill()
            second.wait(timeout=10)
    finally:
        first.kill()
        first.wait(timeout=10)


def test_the_scheduler_logs_each_job_by_its_name(database_url: str, tmp_path: Path) -> None:
    """An operator reading the log sees which job ran, not ``run_forever.<locals>.<lambda>``."""
    log = tmp_path / "scheduler.log"
    process = start_scheduler(
        database_url, log, BAOBEI_SCHEDULER__AUDIT_SEAL_SECONDS="1", BAOBEI_APP__LOG_LEVEL="INFO"
    )
    try:
        assert wait_for(log, 'Running job "purge-dedup')
        assert wait_for(log, 'Running job "seal-decisions')
        assert "<lambda>" not in log.read_text()
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_scheduler_told_to_run_every_zero_seconds_refuses_to_start(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "scheduler.log"
    process = start_scheduler(database_url, log, BAOBEI_SCHEDULER__AUDIT_SEAL_SECONDS="0")
    assert process.wait(timeout=30) != 0
    assert "scheduler.audit_seal_seconds" in log.read_text()
