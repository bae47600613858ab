"""R3 under contention: distributors filing one client at the same instant, one wins.

Threads release together on a barrier and post through the webhook, so the race runs
through the real write path on each backend (PostgreSQL's compare-and-set, SQLite's
serialised writers). Several rounds make a lucky pass unlikely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from bot.simulator import WeChatSimulator, flask_transport
from models.entities import Client, Distributor, Filing
from tests.conftest import AES_KEY, APP_ID, TOKEN
from tests.people import Cast, Person

pytestmark = pytest.mark.integration

ROUNDS = 8
CONTENDERS = 4


def race(app: Flask, people: list[Person], text: str) -> list[str]:
    """Send ``text`` from every person at once; return the replies."""
    barrier = threading.Barrier(len(people))
    replies: list[str] = [""] * len(people)

    def send(index: int, person: Person) -> None:
        sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(app.test_client()))
        xml = sim.text_xml(person.openid, text)
        barrier.wait()
        replies[index] = sim.send(xml).text or ""

    threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return replies


def test_distributors_filing_one_client_at_once_get_exactly_one_success(
    app: Flask, cli: Callable[..., Any], wechat: WeChatSimulator, engine: Engine
) -> None:
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    agents = []
    for index in range(CONTENDERS):
        name = f"第{'一二三四五六'[index]}房产经纪有限公司"
        cast.distributor(name)
        agents.append(cast.agent(name, f"经纪人{'甲乙丙丁戊己'[index]}"))
    for round_no in range(ROUNDS):
        replies = race(
            app,
            agents,
            f"报备 P1 客户{'子丑寅卯辰巳午未'[round_no]} 138****{round_no:04d} 本地 后天 10:00",
        )
        assert sum("报备成功" in r for r in replies) == 1, replies
        assert sum("其他渠道" in r for r in replies) == CONTENDERS - 1, replies
    with engine.connect() as conn:
        winners = conn.scalar(
            select(func.count()).select_from(Filing).where(Filing.status == "filed")
        )
        clients = conn.scalar(select(func.count()).select_from(Client))
    assert winners == ROUNDS and clients == ROUNDS


def test_one_agent_sending_the_same_client_twice_at_once_files_it_once(
    app: Flask, cli: Callable[..., Any], wechat: WeChatSimulator, engine: Engine
) -> None:
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    cast.distributor("甲房产经纪有限公司")
    agent = cast.agent("甲房产经纪有限公司")
    replies = race(app, [agent, agent], "报备 P1 张三 13812345678 本地 后天 10:00")
    assert sum("报备成功" in r for r in replies) == 1
    assert sum("已由贵司报备" in r for r in replies) == 1


def test_two_managers_recording_interceptions_at_once_fine_one_and_blacklist_once(
    app: Flask, cli: Callable[..., Any], wechat: WeChatSimulator, engine: Engine
) -> None:
    """R11: the distributor's row is locked, so its interceptions are counted in turn:
    of two recorded at the same instant in two projects, one is the first (fined) and
    the other the second (blacklisting), never two fines."""
    cast = Cast(cli, wechat)
    company = "甲房产经纪有限公司"
    cast.distributor(company)
    managers = []
    for code, name in (("P1", "星河湾"), ("P2", "翠湖")):
        cast.project(code, name)
        managers.append(cast.staff(code, "manager", f"{name}经理"))
    replies = race(app, managers, f"违规 {company} 截客 售楼处门口拦截客户")
    assert sum("首次截客" in r for r in replies) == 1, replies
    assert sum("列入黑名单（R11）" in r and "第2次" in r for r in replies) == 1, replies
    with engine.connect() as conn:
        status = conn.scalar(select(Distributor.status).where(Distributor.name == company))
    assert status == "blacklisted"
