"""R10 under contention: two managers sending ``裁定`` for one deal at the same instant.

The ruling is final, one per deal: exactly one manager's ruling is stored and pushed,
the other hears the deal is already ruled. Threads release together on a barrier and
post through the webhook (see ``test_filing_races``), on each backend; several rounds
make a lucky pass unlikely.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from bot.simulator import WeChatSimulator
from models.claim_entities import Claim, ClaimRulingRow
from models.entities import DecisionLogEntry
from tests.e2e.approvals_support import pushes
from tests.integration.test_filing_races import race
from tests.moments import at
from tests.people import Cast, Person, filing_number

pytestmark = pytest.mark.integration

ROUNDS = 4


def claimed_deal(
    travel: Callable[..., None], jia: Person, yi: Person, desk: Person, boss: Person,
    round_no: int,
) -> int:  # fmt: skip
    """乙 filed a client whose filing lapsed, 甲 filed and visited it, the deal went to 甲
    and 乙 claimed it in time; returns 甲's filing number (the one 裁定 names)."""
    start, phone = at(11, 1, 10) + timedelta(days=12 * round_no), f"1381234{round_no:04d}"
    client = f"客户{'子丑寅卯'[round_no]} {phone}"
    travel(start)
    yi_no = filing_number(yi.text(f"报备 P1 {client} 本地 15:00"))
    travel(start + timedelta(days=10))
    jia_no = filing_number(jia.text(f"报备 P1 {client} 本地 15:00"))
    travel(start + timedelta(days=10, hours=5))
    assert "到访" in desk.text(f"到访 #{jia_no} {phone}")
    travel(start + timedelta(days=10, hours=6))
    assert "审核通过" in boss.text(f"通过 #{jia_no}")
    travel(start + timedelta(days=11))
    assert "已登记认筹" in desk.text(f"认筹 #{jia_no} 350万")
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 我司先报备")
    return jia_no


def test_two_managers_ruling_one_deal_at_once_store_one_ruling(
    app: Flask, cli: Callable[..., Any], wechat: WeChatSimulator, engine: Engine,
    travel: Callable[..., None],
) -> None:  # fmt: skip
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    for company in ("甲房产经纪有限公司", "乙置业顾问有限公司"):
        cast.distributor(company)
    jia = cast.agent("甲房产经纪有限公司", "王小明")
    yi = cast.agent("乙置业顾问有限公司", "赵小红")
    desk = cast.staff("P1", "frontdesk", "李前台")
    managers = [cast.staff("P1", "manager", name) for name in ("张经理", "钱经理")]
    for round_no in range(ROUNDS):
        jia_no = claimed_deal(travel, jia, yi, desk, managers[0], round_no)
        replies = race(app, managers, f"裁定 #{jia_no}")
        assert sum("按规则计算" in r for r in replies) == 1, replies
        assert sum("已裁定，裁定为最终结果" in r for r in replies) == 1, replies
    with engine.connect() as conn:
        rulings = conn.scalar(select(func.count()).select_from(ClaimRulingRow))
        open_claims = conn.scalar(
            select(func.count()).select_from(Claim).where(Claim.status == "open")
        )
        logged = conn.scalar(
            select(func.count())
            .select_from(DecisionLogEntry)
            .where(DecisionLogEntry.action == "claim_ruling")
        )
    assert (rulings, open_claims, logged) == (ROUNDS, 0, ROUNDS)
    told = [p for p in pushes(engine) if "撞单裁定" in p.text]
    assert len(told) == 2 * ROUNDS  # 甲's and 乙's agent, once per deal
