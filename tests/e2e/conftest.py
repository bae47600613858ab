"""The cast most end-to-end tests share: project P1 and two distributors' agents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.fakeapi import FakeWeChatServer
from bot.simulator import WeChatSimulator
from tests.people import Cast, Person

JIA, YI = "甲房产经纪有限公司", "乙置业顾问有限公司"


@pytest.fixture
def cast(cli: Callable[..., Any], wechat: WeChatSimulator) -> Cast:
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    cast.distributor(JIA)
    cast.distributor(YI)
    return cast


@pytest.fixture
def jia(cast: Cast) -> Person:
    """王小明, an agent of 甲."""
    return cast.agent(JIA, "王小明")


@pytest.fixture
def yi(cast: Cast) -> Person:
    """赵小红, an agent of 乙."""
    return cast.agent(YI, "赵小红")


@pytest.fixture
def desk(cast: Cast) -> Person:
    """李前台, the front desk of P1."""
    return cast.staff("P1", "frontdesk", "李前台")


@pytest.fixture
def boss(cast: Cast) -> Person:
    """张经理, a case-site manager of P1."""
    return cast.staff("P1", "manager", "张经理")


@pytest.fixture
def fresh_api(fake_wechat: FakeWeChatServer) -> Iterator[None]:
    """The fake API is shared by the session: count only this test's sends."""
    fake_wechat.state.reset()
    yield
