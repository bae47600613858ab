"""The cast most end-to-end tests share: project P1 and two distributors' agents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
