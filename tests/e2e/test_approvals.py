"""A manager's 通过 / 驳回 / 大宗 through the webhook (R5 approval, R6, R7), the agent's
push delivered at the fake WeChat API by ``scheduler run-once``, and R8 after approval."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.fakeapi import FakeWeChatServer
from models import approvals
from models.identity import identify
from models.policy import PushKind
from models.services import Services
from tests.e2e.approvals_support import (
    Travel,
    arrival_rows,
    arrive,
    decisions,
    due_days,
    protection_rows,
    pushes,
    run_scheduler,
    texts_to,
)
from tests.e2e.conftest import YI
from tests.moments import at, end_of
from tests.people import Cast, Person, filing_number

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
PHONE = "13812345678"


def visited_on_11_22(travel: Travel, engine: Engine, jia: Person, desk: Person) -> int:
    """张三 filed 11-22 10:00 for 15:00 and registered at the desk at 15:00 (valid)."""
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text(f"报备 P1 张三 {PHONE} 本地 15:00"))
    arrive(travel, desk, number, PHONE, at(11, 22, 15, 0))
    return number


def test_approval_protects_45_days_from_the_arrival_day_and_the_agent_is_pushed(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 25, 10, 0))  # approved three days later: still counted from 11-22
    reply = boss.text(f"通过 #{number}")
    assert f"审核通过 #{number} 张三 138****5678" in reply, reply
    assert "到访保护至 2027-01-05" in reply and "1234" not in reply
    assert reply.endswith("结果已推送给报备经纪人。")

    (arrival,) = arrival_rows(engine)
    assert (arrival.status, arrival.override, arrival.decided_at) == (
        "approved", False, at(11, 25, 10, 0),
    )  # fmt: skip
    filing_row, visit = protection_rows(engine)
    assert (filing_row.kind, filing_row.ended_reason) == ("filing", "superseded")
    assert (visit.kind, visit.started_by) == ("visit", f"arrival:{arrival.id}")
    assert (visit.lock_at, visit.ends_at) == (at(11, 22, 15, 0), end_of(1, 5, year=2027))
    (decision,) = decisions(engine, "approve")
    assert (decision.rule, decision.outcome) == ("R5", "approved")
    assert decision.policy is not None and decision.policy["visit_protection_days"] == 45
    assert PHONE not in str(decision.facts) and PHONE not in decision.explanation

    run_scheduler(cli, travel, at(11, 25, 10, 1))
    (push,) = pushes(engine)
    assert (push.kind, push.status, push.send_after) == ("ruling", "sent", at(11, 25, 10, 0))
    (told,) = texts_to(fake_wechat, jia)
    assert told.startswith("到访确认：星河湾 客户 张三 138****5678") and PHONE not in told
    assert "2026-11-22 到访" in told and "到访保护至 2027-01-05" in told
    listed = jia.text("查询")
    assert "已到访 保护至 2027-01-05" in listed, listed


def test_a_rejection_is_a_natural_visit_and_the_agent_is_told_why(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, yi: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 22, 16, 0))
    assert "驳回 #编号 理由" in boss.text(f"驳回 #{number}")  # a reason is required
    reply = boss.text(f"驳回 #{number} 客户表示未接触过该渠道 回拨{PHONE}")
    assert f"已驳回 #{number}" in reply and "按自然到访处理" in reply, reply
    assert [a.status for a in arrival_rows(engine)] == ["rejected"]
    assert arrival_rows(engine)[0].decision_reason == "客户表示未接触过该渠道 回拨138****5678"

    run_scheduler(cli, travel, at(11, 22, 16, 1))
    (told,) = texts_to(fake_wechat, jia)
    assert told.startswith("到访未通过：") and "客户表示未接触过该渠道" in told
    assert f"#{number}" in told and "未通过" in jia.text("查询") and PHONE not in told
    refused = yi.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "已有自然到访记录" in refused, refused  # known to the site now (R3)
    (decision,) = decisions(engine, "reject")
    assert (decision.rule, decision.outcome) == ("R5", "rejected")
    assert PHONE not in decision.explanation and PHONE not in str(decision.facts)


def test_a_natural_proposal_is_approved_only_as_an_r2_exception_with_a_reason(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    travel(at(11, 22, 14, 10))  # local, filed 14:10, arrives 15:00: 50 minutes (R2)
    number = filing_number(jia.text(f"报备 P1 张三 {PHONE} 本地 15:10"))
    arrive(travel, desk, number, PHONE, at(11, 22, 15, 0), proposed="natural")
    travel(at(11, 22, 16, 0))
    refused = boss.text(f"通过 #{number}")
    assert f"不能通过 #{number}" in refused and "通过 #编号 例外 理由" in refused, refused
    assert [a.status for a in arrival_rows(engine)] == ["pending"]

    reply = boss.text(f"通过 #{number} 例外 客户提前到场，经理现场确认")
    assert f"例外通过 #{number}" in reply and "到访保护至 2027-01-05" in reply, reply
    (arrival,) = arrival_rows(engine)
    assert (arrival.status, arrival.override) == ("approved", True)
    assert arrival.decision_reason == "客户提前到场 经理现场确认"
    refusal, accepted = decisions(engine, "approve")
    assert (refusal.outcome, accepted.outcome, accepted.rule) == (
        "needs_exception", "approved_exception", "R2",
    )  # fmt: skip
    assert accepted.facts["override"] is True and accepted.facts["reason"]
    run_scheduler(cli, travel, at(11, 22, 16, 1))
    (told,) = texts_to(fake_wechat, jia)
    assert "例外确认有效" in told and "2027-01-05" in told


def test_bulk_adds_45_days_once_per_client(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 23, 9, 0))
    refused = boss.text(f"大宗 #{number}")  # not approved yet: no visit to extend
    assert "尚无经确认的到访" in refused, refused
    boss.text(f"通过 #{number}")
    reply = boss.text(f"大宗 #{number}")
    assert f"大宗延期 #{number}" in reply and "由 2027-01-05 延至 2027-02-19" in reply, reply
    again = boss.text(f"大宗 #{number}")
    assert "已按大宗客户延期过一次" in again and "保护至 2027-02-19" in again, again

    *_, bulk = protection_rows(engine)
    assert (bulk.kind, bulk.ends_at, bulk.lock_at) == (
        "bulk", end_of(2, 19, year=2027), at(11, 22, 15, 0),
    )  # fmt: skip
    assert "保护至 2027-02-19" in jia.text("查询")
    run_scheduler(cli, travel, at(11, 23, 9, 1))
    confirmed, extended = texts_to(fake_wechat, jia)
    assert "2027-01-05" in confirmed and extended.startswith("大宗客户延期：")
    assert "延至 2027-02-19" in extended
    outcomes = [d.outcome for d in decisions(engine, "bulk")]
    assert outcomes == ["not_visited", "bulk_extended", "already_bulk"]


def test_r8_after_an_approval_reminds_on_12_29_and_01_04_then_the_client_is_public(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, yi: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 22, 16, 0))
    boss.text(f"通过 #{number}")
    for moment in (
        at(11, 28, 10), at(11, 30, 10), at(12, 28, 10), at(12, 29, 9), at(12, 29, 18),
        at(1, 4, 9, year=2027), at(1, 4, 20, year=2027), at(1, 6, 9, year=2027),
        at(1, 6, 15, year=2027),
    ):  # fmt: skip
        run_scheduler(cli, travel, moment)
    kinds = [(p.kind, p.due_day.isoformat()) for p in pushes(engine)]
    assert kinds == [
        (PushKind.RULING, "2026-11-22"),
        (PushKind.VISIT_END_REMINDER, "2026-12-29"),
        (PushKind.VISIT_END_REMINDER, "2027-01-04"),
        (PushKind.VISIT_ENDED, "2027-01-06"),
    ]
    told = texts_to(fake_wechat, jia)
    assert len(told) == 4 and "续期窗口 2026-12-30 起开放" in told[1]
    assert "公客" in told[3]
    refused = yi.text(f"报备 P1 张三 {PHONE} 本地 明天 15:00")
    assert "已是案场公客" in refused, refused
    late = jia.text(f"带看 #{number}")  # a re-visit report after the end (R5's table)
    assert "该客户的到访保护期已于 2027-01-05 结束，已转为案场公客" in late, late


def test_an_agent_who_moved_to_another_distributor_is_not_pushed_and_the_manager_hears_so(
    travel: Travel, engine: Engine, cli: Callable[..., Any], jia: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    code = cli("distributor", "invite", YI).output.strip().splitlines()[-1]
    assert "绑定成功" in jia.text(f"绑定 {code} 王小明")
    travel(at(11, 22, 16, 0))
    reply = boss.text(f"通过 #{number}")
    assert "到访保护至 2027-01-05" in reply and reply.endswith("未推送。"), reply
    assert pushes(engine) == []


def test_every_staff_command_is_refused_to_the_wrong_role_and_changes_nothing(
    travel: Travel, engine: Engine, cast: Cast, wechat: Any, jia: Person, desk: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    cast.project("P2", "翠湖苑")
    other = cast.staff("P2", "manager", "王经理")
    stranger = Person("o_stranger", wechat)
    before = (len(decisions(engine, "approve")), len(protection_rows(engine)))
    for text in (f"通过 #{number}", f"驳回 #{number} 不对", f"大宗 #{number}"):
        assert desk.text(text) == "该指令仅限案场经理使用。", text
        assert jia.text(text) == "该指令仅限已绑定的案场人员使用。", text
        assert stranger.text(text) == "该指令仅限已绑定的案场人员使用。", text
        # a manager of another project hears what a number that does not exist gets
        assert "没有找到" in other.text(text), text
    for text in ("待审",):
        assert jia.text(text) == "该指令仅限已绑定的案场人员使用。"
        assert stranger.text(text) == "该指令仅限已绑定的案场人员使用。"
        assert other.text(text) == "目前没有待审核的到访。"  # P1's are not P2's (R12)
    assert [a.status for a in arrival_rows(engine)] == ["pending"]
    assert (len(decisions(engine, "approve")), len(protection_rows(engine))) == before


def test_the_pending_list_shows_oldest_first_with_numbers_masks_company_and_proposal(
    travel: Travel, engine: Engine, wechat: Any, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    first = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 22, 10, 5))
    second = filing_number(yi.text("报备 P1 李四 13912345678 本地 15:10"))
    arrive(travel, desk, second, "13912345678", at(11, 22, 15, 30))
    listed = desk.text("待审")
    assert listed == wechat.click(boss.openid, "STAFF_PENDING").text
    lines = listed.splitlines()
    assert lines[0] == "待审核到访 2 条（先登记的在前）："
    assert lines[1] == f"#{first} 张三 138****5678 甲房产经纪有限公司"
    assert lines[2].startswith("   到访 2026-11-22 15:00 建议：有效")
    assert lines[3] == f"#{second} 李四 139****5678 乙置业顾问有限公司"
    assert "1234" not in listed
    travel(at(11, 22, 16, 0))
    boss.text(f"通过 #{first}")
    assert f"#{first}" not in boss.text("待审")


def approved_on_11_22(
    travel: Travel, engine: Engine, jia: Person, desk: Person, boss: Person
) -> int:
    number = visited_on_11_22(travel, engine, jia, desk)
    travel(at(11, 22, 16, 0))
    assert "到访保护至 2027-01-05" in boss.text(f"通过 #{number}")
    return number


def revisit(
    travel: Travel, engine: Engine, desk: Person, boss: Person, number: int, moment: Any
) -> str:
    """A re-visit registered at the desk (no new filing, no notice) and approved an hour on."""
    arrive(travel, desk, number, PHONE, moment)
    travel(moment.replace(hour=moment.hour + 1))
    return boss.text(f"通过 #{number}")


def test_a_revisit_on_12_31_renews_until_02_19_and_r8_follows_the_new_end(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = approved_on_11_22(travel, engine, jia, desk, boss)
    run_scheduler(cli, travel, at(12, 29, 9))
    travel(at(12, 31, 9))
    assert "到访报备成功" in jia.text(f"带看 #{number} 10:00")  # a re-visit is reported alike
    reply = revisit(travel, engine, desk, boss, number, at(12, 31, 10))
    assert f"复访通过 #{number}" in reply and "由 2027-01-05 续至 2027-02-19" in reply, reply
    assert "保护至 2027-02-19" in jia.text("查询")
    for moment in (
        at(12, 31, 12), at(1, 4, 9, year=2027), at(1, 6, 9, year=2027),
        at(2, 12, 9, year=2027), at(2, 18, 9, year=2027), at(2, 20, 9, year=2027),
        at(2, 20, 18, year=2027),
    ):  # fmt: skip
        run_scheduler(cli, travel, moment)
    assert [(p.kind, p.due_day.isoformat()) for p in pushes(engine)] == [
        (PushKind.RULING, "2026-11-22"),
        (PushKind.VISIT_END_REMINDER, "2026-12-29"),
        (PushKind.RULING, "2026-12-31"),
        (PushKind.VISIT_END_REMINDER, "2027-02-12"),
        (PushKind.VISIT_END_REMINDER, "2027-02-18"),
        (PushKind.VISIT_ENDED, "2027-02-20"),
    ]  # nothing on 01-04 or 01-06: the old end is not the client's end any more
    told = texts_to(fake_wechat, jia)
    assert told[2].startswith("到访保护已续期：") and "续至 2027-02-19" in told[2]
    assert "2027-02-19" in told[3] and "公客" in told[5]
    kinds = [(p.kind, p.ended_reason) for p in protection_rows(engine)]
    assert kinds == [
        ("filing", "superseded"), ("visit", "superseded"), ("renewal", "expired"),
    ]  # fmt: skip
    renewal = protection_rows(engine)[2]
    assert (renewal.ends_at, renewal.lock_at) == (end_of(2, 19, year=2027), at(11, 22, 15))
    assert renewal.started_by == f"arrival:{arrival_rows(engine)[1].id}"
    ended = decisions(engine, "protection_end")
    assert [(d.rule, d.outcome) for d in ended] == [("R8", "public")]  # told once


def test_a_revisit_on_12_29_changes_nothing_and_renewals_may_repeat(
    travel: Travel, engine: Engine, cli: Callable[..., Any], fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    number = approved_on_11_22(travel, engine, jia, desk, boss)
    early = revisit(travel, engine, desk, boss, number, at(12, 29, 10))
    assert "不在续期窗口内（2026-12-30 起）" in early and "仍至 2027-01-05" in early, early
    assert [p.kind for p in protection_rows(engine)] == ["filing", "visit"]
    assert "保护至 2027-01-05" in jia.text("查询")
    run_scheduler(cli, travel, at(12, 29, 12))
    assert any(text.startswith("复访已确认：") for text in texts_to(fake_wechat, jia))

    assert "续至 2027-02-19" in revisit(travel, engine, desk, boss, number, at(12, 31, 10))
    again = revisit(travel, engine, desk, boss, number, at(2, 15, 10, year=2027))
    assert "由 2027-02-19 续至 2027-04-05" in again, again
    assert [p.kind for p in protection_rows(engine)] == ["filing", "visit", "renewal", "renewal"]
    outcomes = [d.outcome for d in decisions(engine, "approve")]
    assert outcomes == ["approved", "revisit_confirmed", "renewed", "renewed"]
    assert due_days(engine, PushKind.RULING)[-1].isoformat() == "2027-02-15"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_managers_at_the_same_moment_approve_and_extend_once(
    travel: Travel, engine: Engine, cast: Cast, app: Any, jia: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    number = visited_on_11_22(travel, engine, jia, desk)
    other = cast.staff("P1", "manager", "钱经理")
    services: Services = app.extensions["baobei"]["services"]
    managers = [identify(engine, person.openid) for person in (boss, other)]
    travel(at(11, 22, 16, 0))

    def both(act: Callable[[Any], approvals.StaffAction]) -> list[approvals.StaffAction]:
        barrier, done = threading.Barrier(2), []

        def one(who: Any) -> None:
            barrier.wait()
            done.append(act(who))

        threads = [threading.Thread(target=one, args=(who,)) for who in managers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return done

    now = at(11, 22, 16, 0)
    approved = both(lambda who: approvals.approve(engine, who, number, None, now, services.tz))
    assert sorted(a.ruling is not None for a in approved) == [False, True]
    extended = both(lambda who: approvals.mark_bulk(engine, who, number, now, services.tz))
    outcomes = sorted(a.ruling.outcome for a in extended if a.ruling)
    assert outcomes == ["already_bulk", "bulk_extended"]
    assert [p.kind for p in protection_rows(engine)] == ["filing", "visit", "bulk"]
