"""The decision log's hash chain (R12): sealed entries prove they were not edited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update

from bot.simulator import WeChatSimulator
from models.audit import seal
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from tests.moments import at
from tests.people import Cast

pytestmark = pytest.mark.integration


@pytest.fixture
def logged(
    cli: Callable[..., Any],
    wechat: WeChatSimulator,
    engine: Engine,
    travel: Callable[[datetime], None],
) -> int:
    """A few real decisions: a project, a distributor, accepted and refused filings."""
    travel(at(11, 22, 10, 0))
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    cast.distributor("甲房产经纪有限公司")
    agent = cast.agent("甲房产经纪有限公司")
    agent.text("报备 P1 张三 13812345678 本地 明天 15:00")
    agent.text("报备 P1 张三 13812345678 本地 明天 15:00")
    agent.text("报备 P1 李四 13912345678 本地 10:30")
    travel(at(11, 22, 10, 5))
    result = cli("audit", "seal")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        outcomes = list(
            conn.scalars(select(DecisionLogEntry.outcome).order_by(DecisionLogEntry.id))
        )
    # project, distributor, accepted, already yours, too late
    assert outcomes == ["created", "active", "accepted", "already_yours", "notice_too_short"]
    return len(outcomes)


def test_a_sealed_log_verifies(cli: Callable[..., Any], logged: int) -> None:
    result = cli("audit", "verify")
    assert result.exit_code == 0
    assert f"chain intact: {logged} sealed entries, 0 pending" in result.output


def test_an_edited_ruling_is_named_by_verify(
    cli: Callable[..., Any], engine: Engine, logged: int
) -> None:
    with engine.begin() as conn:
        target = conn.scalar(
            select(DecisionLogEntry.id).where(DecisionLogEntry.outcome == "already_yours")
        )
        conn.execute(
            update(DecisionLogEntry)
            .where(DecisionLogEntry.id == target)
            .values(explanation="符合报备规则")
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at decision {target}" in result.output and "changed" in result.output


def test_a_deleted_entry_breaks_the_chain_at_the_next_one(
    cli: Callable[..., Any], engine: Engine, logged: int
) -> None:
    with engine.begin() as conn:
        ids = list(conn.scalars(select(DecisionLogEntry.id).order_by(DecisionLogEntry.chain_pos)))
        conn.execute(delete(DecisionLogEntry).where(DecisionLogEntry.id == ids[2]))
    result = cli("audit", "verify")
    assert result.exit_code == 1 and f"BROKEN at decision {ids[3]}" in result.output


def test_entries_too_young_to_seal_wait_for_the_next_seal(
    cli: Callable[..., Any],
    wechat: WeChatSimulator,
    travel: Callable[[datetime], None],
    logged: int,
) -> None:
    assert cli("distributor", "add", "乙置业顾问有限公司").exit_code == 0
    assert cli("audit", "seal").exit_code == 0  # settle time not passed: nothing sealed
    assert "1 pending" in cli("audit", "verify").output
    travel(at(11, 22, 10, 6))
    assert cli("audit", "seal").exit_code == 0
    assert f"{logged + 1} sealed entries, 0 pending" in cli("audit", "verify").output


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_sealers_at_once_queue_and_the_chain_holds(
    cli: Callable[..., Any],
    wechat: WeChatSimulator,
    engine: Engine,
    travel: Callable[[datetime], None],
) -> None:
    """A cron ``run-once`` beside the leader: the second sealer waits for the first's
    commit and seals only what is left, instead of failing on a duplicate position."""
    travel(at(11, 22, 10, 0))
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    cast.distributor("甲房产经纪有限公司")
    cast.agent("甲房产经纪有限公司").text("报备 P1 张三 13812345678 本地 明天 15:00")
    now = at(11, 22, 10, 5)
    sealed: list[int] = []
    first = make_session_factory(engine)()
    try:
        sealed.append(seal(first, now, settle_seconds=10))  # holds the lock, not committed
        second = threading.Thread(
            target=lambda: sealed.append(_seal_and_commit(engine, now)), daemon=True
        )
        second.start()
        second.join(timeout=1.0)
        assert second.is_alive(), "the second sealer must wait for the first one's commit"
        first.commit()
    finally:
        first.close()
    second.join(timeout=10)
    assert sealed[0] > 0 and sealed[1:] == [0]
    assert cli("audit", "verify").exit_code == 0


def _seal_and_commit(engine: Engine, now: datetime) -> int:
    with make_session_factory(engine).begin() as session:
        return seal(session, now, settle_seconds=10)
