"""Claims on deals recorded with the full-phone form (R9, R10): the desk types the
client's full phone and name instead of a filing number, for a filed client or for one
the site first knows by the deal (no filing: the deal has no number of its own), and a
manager's ``裁定 #<the claimant's filing>`` rules it by the rule book."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine

from models.claim_entities import Claim, ClaimRulingRow
from models.deal_entities import Deal
from tests.e2e.approvals_support import Travel, arrive, decisions
from tests.e2e.conftest import JIA, YI
from tests.e2e.test_claims import PHONE, agent_pushes, company, file, rows, visited
from tests.moments import at
from tests.people import Person

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]


def yi_visited_as_zhang_san_typo(
    travel: Travel, yi: Person, desk: Person, boss: Person, filed: datetime,
    arrived: datetime,
) -> int:  # fmt: skip
    """乙 filed the same person as 张叁 (a typo of 张三) and the desk registered the
    arrival with the full phone; a manager approved it an hour later."""
    return visited(travel, yi, desk, boss, "张叁", PHONE, filed, arrived)


def test_a_deal_by_full_phone_on_a_filed_client_is_claimed_and_the_earliest_lock_wins(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    """甲 filed 张三 11-20 10:00 (never visited); 乙's 张叁 visited 11-22 15:00. The desk
    records the 认筹 by phone: 甲's (R9); 乙 claims; 甲's filing locked first (R10.3)."""
    yi_no = yi_visited_as_zhang_san_typo(travel, yi, desk, boss, at(11, 19, 10), at(11, 22, 15))
    jia_no = file(travel, jia, at(11, 20, 10), f"张三 {PHONE}", "11月23日 15:00")
    travel(at(11, 25, 10))
    reply = desk.text(f"认筹 {PHONE} 张三 350万")
    assert f"已登记认筹：#{jia_no} 张三 138****5678" in reply and f"归属：{JIA}" in reply, reply
    travel(at(11, 25, 12))
    reply = yi.text(f"撞单 #{yi_no} 客户由我司先带看")
    assert "撞单已受理" in reply and JIA not in reply, reply
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {JIA}" in reply and "依据：R10.3" in reply, reply
    assert "锁定时间 2026-11-20 10:00 最早" in reply and PHONE not in reply
    assert f"结果：维持归属 {JIA}" in reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, JIA)]
    assert [c.status for c in rows(engine, Claim)] == ["dismissed"]
    (to_yi,) = agent_pushes(engine, yi)
    assert "成交不归属贵司" in to_yi and "R10.3" in to_yi and JIA not in to_yi


def test_the_claimants_earlier_visit_wins_a_deal_recorded_by_full_phone(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    """乙's 张叁 visited 11-19 15:00, before 甲 filed 张三 11-20: the deal moves (R10.3),
    and 裁定 may name the claimant's filing as well as the attributed one's."""
    yi_no = yi_visited_as_zhang_san_typo(travel, yi, desk, boss, at(11, 19, 10), at(11, 19, 15))
    jia_no = file(travel, jia, at(11, 20, 10), f"张三 {PHONE}", "11月23日 15:00")
    travel(at(11, 25, 10))
    assert f"归属：{JIA}" in desk.text(f"签约 {PHONE} 张三 350万")
    travel(at(11, 26, 10))
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 客户由我司先带看")
    reply = boss.text(f"裁定 #{yi_no}")
    assert f"按规则计算：归属 {YI}" in reply and "依据：R10.3" in reply, reply
    assert "锁定时间 2026-11-19 15:00 最早" in reply and f"由 {JIA} 改归 {YI}" in reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, YI)]
    (to_jia,) = agent_pushes(engine, jia)
    assert "成交不归属贵司" in to_jia and f"#{jia_no}" in to_jia and YI not in to_jia
    assert "已裁定" in boss.text(f"裁定 #{jia_no}")  # the same deal by either number


def test_a_deal_on_a_client_the_site_created_is_claimed_and_ruled_by_the_claimants_number(
    travel: Travel, engine: Engine, yi: Person, desk: Person, boss: Person
) -> None:
    """乙 filed and visited 张叁; the desk records the 认购 as 张三 by phone: no client of
    that name and mask, so the site's own, credited to nobody (R9). 乙 claims the same
    person; ``裁定 #乙's number`` finds the deal (it has no number) and gives it to 乙."""
    yi_no = yi_visited_as_zhang_san_typo(travel, yi, desk, boss, at(11, 20, 10), at(11, 22, 15))
    travel(at(12, 1, 10))
    reply = desk.text(f"认购 {PHONE} 张三 2800000")
    assert "已登记认购：（无报备）张三 138****5678" in reply and "归属：无" in reply, reply
    travel(at(12, 2, 10))
    reply = yi.text(f"撞单 #{yi_no} 张三就是我司带看的张叁")
    assert f"撞单已受理：#{yi_no} 张叁 138****5678" in reply, reply
    listing = boss.text("待审")
    assert "待裁定撞单 1 条" in listing and f"#{yi_no}" in listing, listing
    reply = boss.text(f"裁定 #{yi_no}")
    assert f"按规则计算：归属 {YI}" in reply and "依据：R10.1" in reply, reply
    assert f"结果：由 无（不归属任何分销商） 改归 {YI}" in reply, reply
    (deal,) = rows(engine, Deal)
    assert (deal.filing_id, deal.distributor_id) == (None, company(engine, YI))
    (ruling,) = rows(engine, ClaimRulingRow)
    assert (ruling.deal_id, ruling.rule) == (deal.id, "R10.1")
    assert decisions(engine, "claim_ruling")[0].outcome == "moved"
    (to_yi,) = agent_pushes(engine, yi)
    assert "成交归属贵司" in to_yi and PHONE not in to_yi
    assert "已裁定" in boss.text(f"裁定 #{yi_no}")


def test_the_phone_typed_at_the_deal_unmasks_a_claimant_whose_desk_phone_differs(
    travel: Travel, engine: Engine, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    """乙's 张叁 138****5678 visited first, but the desk recorded 13800005678: another
    person behind the same mask. The 认筹 typed by phone (13812345678) is 甲's 张三 (never
    visited). 乙's record contradicts the phone the desk typed at the deal, so 甲 keeps
    the deal by R10.2 although 乙's visit locked earlier."""
    when = "11月19日 15:00"
    yi_no = file(travel, yi, at(11, 19, 10), f"张叁 {PHONE[:3]}****{PHONE[-4:]}", when)
    arrive(travel, desk, yi_no, "13800005678", at(11, 19, 15))
    travel(at(11, 19, 16))
    assert "审核通过" in boss.text(f"通过 #{yi_no}")
    jia_no = file(travel, jia, at(11, 20, 10), f"张三 {PHONE}", "11月23日 15:00")
    travel(at(11, 25, 10))
    assert f"归属：{JIA}" in desk.text(f"认筹 {PHONE} 张三 350万")
    travel(at(11, 25, 12))
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 客户由我司先带看")
    reply = boss.text(f"裁定 #{jia_no}")
    assert f"按规则计算：归属 {JIA}" in reply and "依据：R10.2" in reply, reply
    assert "13800005678" not in reply and PHONE not in reply
    assert [d.distributor_id for d in rows(engine, Deal)] == [company(engine, JIA)]
    (decision,) = decisions(engine, "claim_ruling")
    assert decision.rule == "R10.2" and PHONE not in str(decision.facts)
