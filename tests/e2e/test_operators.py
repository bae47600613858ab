"""The channel team's people (issue 19 item 1, R12) from the command line to the webhook:
invite codes by the N that expire or are revoked, agents listed, unbound and handed over
within their company, staff listed and removed (and untagged in WeChat)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.fakeapi import FakeWeChatServer
from models.db import make_session_factory
from models.entities import Agent, Client, Filing
from models.policy import PushKind
from models.policy.roster_wording import UNBOUND_TEXT
from tests.conftest import Rig
from tests.e2e.approvals_support import (
    Travel,
    arrive,
    decisions,
    protection_rows,
    pushes,
    run_scheduler,
    texts_to,
)
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Cast, Person, files, last_line

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
Cli = Callable[..., Any]
ZHANG = "报备 P1 张三 13812345678 本地 明天 15:00"
NEW_CODE = "请向发给您邀请码的公司或项目渠道部索取新的邀请码。"


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def columns(result: Any) -> list[list[str]]:
    """A listing's stdout, split into tab-separated columns."""
    return [line.split("\t") for line in ok(result).stdout.splitlines()]


def agent_row(engine: Engine, person: Person) -> Agent:
    with make_session_factory(engine)() as session:
        found = session.scalar(select(Agent).where(Agent.openid == person.openid))
        assert found is not None
        return found


def bind(cast: Cast, openid: str, code: str, name: str = "王小明") -> str:
    return Person(openid, cast.wechat).text(f"绑定 {code} {name}")


def invite_states(cli: Cli, company: str) -> dict[str, str]:
    return {row[0]: row[1] for row in columns(cli("distributor", "invites", company))}


# ---------------------------------------------------------------- invites


def test_n_codes_are_printed_one_a_line_written_to_csv_and_each_binds_once(
    cast: Cast, cli: Cli, tmp_path: Path, travel: Travel
) -> None:
    travel(at(11, 22, 10, 0))
    sheet = tmp_path / "codes.csv"
    result = ok(cli("distributor", "invite", JIA, "--count", "5", "--csv", str(sheet)))
    codes = result.stdout.split()
    assert len(codes) == len(set(codes)) == 5
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["distributor"], r["code"]) for r in rows] == [(JIA, code) for code in codes]
    assert {r["expires_at"] for r in rows} == {"2026-11-29 10:00"}  # 7 days, the default
    for n, code in enumerate(codes):
        reply = bind(cast, f"o_bulk_{n}", code, f"经纪人{'甲乙丙丁戊'[n]}")
        assert f"所属分销商：{JIA}" in reply
    assert "无效或已被使用" in bind(cast, "o_bulk_late", codes[0])
    listing = columns(cli("distributor", "agents", JIA))
    assert [row[1] for row in listing] == [f"经纪人{c}" for c in "甲乙丙丁戊"]
    assert all(row[5] == "0" and row[4] == "-" for row in listing)  # bound, no open filing
    assert not any("o_bulk" in row[2] for row in listing)  # openids are listed masked
    states = invite_states(cli, JIA)
    assert [states[code] for code in codes] == ["used"] * 5


def test_a_count_out_of_range_is_refused_and_makes_nothing(cast: Cast, cli: Cli) -> None:
    result = cli("distributor", "invite", JIA, "--count", "0")
    assert result.exit_code == 2 and "--count must be between 1 and 1000" in result.output
    before = invite_states(cli, JIA)
    assert cli("distributor", "invite", "没有这家公司", "--count", "3").exit_code == 2
    assert invite_states(cli, JIA) == before


def test_an_expired_code_is_refused_saying_so_and_naming_no_company(
    cast: Cast, cli: Cli, travel: Travel, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    code = last_line(ok(cli("distributor", "invite", JIA)).output)
    spare = last_line(ok(cli("distributor", "invite", JIA)).output)
    travel(at(11, 29, 9, 59))
    assert "绑定成功" in bind(cast, "o_in_time", spare)  # the minute before: still binds
    travel(at(11, 29, 10, 0))
    reply = bind(cast, "o_late", code)
    assert reply == f"绑定失败：邀请码已过期（有效期至 2026-11-29 10:00）。{NEW_CODE}"
    assert JIA not in reply
    (refusal,) = decisions(engine, "bind_refused")
    assert (refusal.rule, refusal.outcome) == ("R12", "expired")
    assert invite_states(cli, JIA)[code] == "expired"
    assert "您还没有绑定" in Person("o_late", cast.wechat).text(ZHANG)  # nothing was bound


def test_a_retried_bind_with_an_expired_code_is_answered_alike_and_logged_once(
    cast: Cast, cli: Cli, travel: Travel, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    code = last_line(ok(cli("distributor", "invite", JIA)).output)
    travel(at(12, 1, 10, 0))
    late = Person("o_retry", cast.wechat)
    first = late.say(f"绑定 {code} 王小明", msg_id=770001)
    again = late.say(f"绑定 {code} 王小明", msg_id=770001)
    assert first.text == again.text and first.text is not None and "已过期" in first.text
    assert len(decisions(engine, "bind_refused")) == 1


def test_with_expiry_off_a_code_binds_a_year_later(
    custom_app: Callable[..., Rig], travel: Travel
) -> None:
    rig = custom_app(accounts={"invite_expiry_days": 0})
    cast = Cast(rig.cli, rig.wechat)
    travel(at(11, 22, 10, 0))
    cast.distributor(JIA)
    code = last_line(ok(rig.cli("distributor", "invite", JIA)).output)
    travel(at(11, 22, 10, 0, year=2027))
    assert "绑定成功" in bind(cast, "o_patient", code)


def test_a_revoked_code_is_refused_and_a_used_one_cannot_be_revoked(
    cast: Cast, cli: Cli, engine: Engine
) -> None:
    code = last_line(ok(cli("distributor", "invite", JIA)).output)
    ok(cli("invite", "revoke", code.lower(), "--reason", "发错了人"))
    assert bind(cast, "o_revoked", code) == f"绑定失败：邀请码已作废。{NEW_CODE}"
    assert invite_states(cli, JIA)[code] == "revoked"
    (revoked,) = decisions(engine, "invite_revoke")
    assert revoked.facts["reason"] == "发错了人" and revoked.rule == "R12"
    again = cli("invite", "revoke", code)
    assert again.exit_code == 2 and "revoked already" in again.output
    used = last_line(ok(cli("distributor", "invite", JIA)).output)
    assert "绑定成功" in bind(cast, "o_used", used)
    refused = cli("invite", "revoke", used)
    assert refused.exit_code == 2 and "unbind the agent instead" in refused.output


def test_staff_codes_expire_too(cast: Cast, cli: Cli, travel: Travel) -> None:
    travel(at(11, 22, 10, 0))
    code = last_line(ok(cli("staff", "invite", "P1", "frontdesk")).output)
    travel(at(12, 1, 10, 0))
    assert "邀请码已过期" in bind(cast, "o_desk_late", code, "李前台")


# ---------------------------------------------------------------- agents


def test_an_unbound_agent_is_told_and_is_a_stranger_from_the_next_message(
    cast: Cast, jia: Person, cli: Cli, engine: Engine, travel: Travel,
    fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    number = files(jia, ZHANG)
    (row,) = columns(cli("distributor", "agents", JIA))
    assert row[1] == "王小明" and row[5] == "1"  # one open filing
    ok(cli("agent", "unbind", jia.openid, "--reason", "离职"))
    assert "您还没有绑定为分销商经纪人" in jia.text("报备 P1 李四 13900001111 本地 明天 15:00")
    stranger = Person("o_never_bound", cast.wechat)
    assert jia.text("查询") == stranger.text("查询")  # answered as anyone unbound
    company = agent_row(engine, jia).distributor_id
    with make_session_factory(engine)() as session:
        filing = session.get(Filing, number)
        assert filing is not None and filing.distributor_id == company
    run_scheduler(cli, travel, at(11, 22, 10, 5))
    assert texts_to(fake_wechat, jia) == [UNBOUND_TEXT]
    assert JIA not in UNBOUND_TEXT
    (unbound,) = decisions(engine, "agent_unbind")
    assert unbound.facts["open_filings"] == 1 and unbound.facts["reason"] == "离职"
    run_scheduler(cli, travel, at(11, 28, 10, 0))  # R4's reminder: nobody bound to tell
    assert [p.kind for p in pushes(engine)] == [PushKind.ROSTER]
    again = cli("agent", "unbind", str(agent_row(engine, jia).id))
    assert again.exit_code == 2 and "not bound" in again.output
    (row,) = columns(cli("distributor", "agents", JIA))
    assert row[4] == "2026-11-22 10:00"  # unbound at


def test_an_unbound_agent_binds_again_with_a_new_code_as_the_same_agent(
    cast: Cast, jia: Person, cli: Cli, engine: Engine
) -> None:
    before = agent_row(engine, jia).id
    ok(cli("agent", "unbind", jia.openid))
    code = last_line(ok(cli("distributor", "invite", JIA)).output)
    assert f"所属分销商：{JIA}" in jia.text(f"绑定 {code} 王小明")
    assert agent_row(engine, jia).id == before and agent_row(engine, jia).unbound_at is None
    assert "报备成功" in jia.text(ZHANG)


def test_a_handover_sends_later_reminders_to_the_colleague_who_is_told_whom_he_got(
    cast: Cast, jia: Person, cli: Cli, engine: Engine, travel: Travel,
    fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    chen = cast.agent(JIA, "陈小刚")
    number = files(jia, ZHANG)
    with make_session_factory(engine)() as session:
        version = session.scalars(select(Client.version)).one()
    ok(cli("agent", "unbind", jia.openid))
    result = ok(cli("agent", "reassign", jia.openid, str(agent_row(engine, chen).id)))
    assert result.stdout.split() == [f"#{number}"]
    assert f"#{number}" in chen.text("查询")
    with make_session_factory(engine)() as session:
        assert session.scalars(select(Client.version)).one() == version + 1
    run_scheduler(cli, travel, at(11, 22, 10, 5))
    (handover,) = texts_to(fake_wechat, chen)
    assert f"星河湾 客户 张三 138****5678（#{number}）" in handover
    assert "13812345678" not in handover and JIA not in handover
    run_scheduler(cli, travel, at(11, 28, 10, 0))  # R4: one day before the end
    (reminder,) = [p for p in pushes(engine) if p.kind == PushKind.FILING_LAPSE_REMINDER]
    assert reminder.openid == chen.openid and f"#{number}" in reminder.text
    assert [t for t in texts_to(fake_wechat, jia) if "张三" in t] == []
    (decision,) = decisions(engine, "agent_reassign")
    assert decision.facts["filing_ids"] == [number] and decision.rule == "R12"


def test_a_reminder_queued_before_the_unbinding_goes_to_the_colleague_who_takes_over(
    cast: Cast, jia: Person, cli: Cli, engine: Engine, travel: Travel,
    fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    chen = cast.agent(JIA, "陈小刚")
    number = files(jia, ZHANG)
    run_scheduler(cli, travel, at(11, 28, 0, 5))  # queued for 09:00
    travel(at(11, 28, 8, 0))
    ok(cli("agent", "unbind", jia.openid))
    (waiting,) = [p for p in pushes(engine) if p.kind == PushKind.FILING_LAPSE_REMINDER]
    assert waiting.status == "dropped"  # not for the departed agent's ears
    ok(cli("agent", "reassign", jia.openid, chen.openid))
    run_scheduler(cli, travel, at(11, 28, 9, 30))
    (reminder,) = [p for p in pushes(engine) if p.kind == PushKind.FILING_LAPSE_REMINDER]
    assert (reminder.openid, reminder.status) == (chen.openid, "sent")
    assert any(f"#{number}" in text for text in texts_to(fake_wechat, chen))
    assert not any(f"#{number}" in text for text in texts_to(fake_wechat, jia))


def test_an_arrival_awaiting_the_manager_is_handed_over_and_the_ruling_told_to_the_colleague(
    cast: Cast, jia: Person, desk: Person, boss: Person, cli: Cli, engine: Engine,
    travel: Travel,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    chen = cast.agent(JIA, "陈小刚")
    number = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    arrive(travel, desk, number, "13812345678", at(11, 22, 15, 0))
    ok(cli("agent", "unbind", jia.openid))
    assert ok(cli("agent", "reassign", jia.openid, chen.openid)).stdout.split() == [f"#{number}"]
    travel(at(11, 22, 16, 0))
    assert "到访保护至 2027-01-05" in boss.text(f"通过 #{number}")
    (ruling,) = [p for p in pushes(engine) if p.kind == PushKind.RULING]
    assert ruling.openid == chen.openid
    visit = [row for row in protection_rows(engine) if row.kind == "visit"]
    assert [row.agent_id for row in visit] == [agent_row(engine, chen).id]


def test_a_handover_to_another_company_is_refused_and_moves_nothing(
    cast: Cast, jia: Person, yi: Person, cli: Cli, engine: Engine
) -> None:
    number = files(jia, ZHANG)
    result = cli("agent", "reassign", jia.openid, yi.openid)
    assert result.exit_code == 2 and "another distributor" in result.output
    wang = agent_row(engine, jia).id
    with make_session_factory(engine)() as session:
        filing = session.get(Filing, number)
        assert filing is not None and filing.agent_id == wang
    assert f"#{number}" in jia.text("查询") and f"#{number}" not in yi.text("查询")
    assert decisions(engine, "agent_reassign") == []
    assert cli("agent", "reassign", jia.openid, "o_nobody").exit_code == 2


# ---------------------------------------------------------------- staff


def staff_tag(fake: FakeWeChatServer) -> set[str]:
    (tag,) = [t for t in fake.state.tags.values() if t["name"] == "案场人员"]
    return set(tag["openids"])


def test_a_removed_staff_member_is_untagged_and_refused(
    cast: Cast, desk: Person, boss: Person, cli: Cli, engine: Engine,
    fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    ok(cli("scheduler", "run-once"))  # the sender tags both (bound just now, as this runs)
    assert staff_tag(fake_wechat) == {desk.openid, boss.openid}
    listing = columns(cli("staff", "list", "P1"))
    assert [(row[1], row[2]) for row in listing] == [("李前台", "frontdesk"), ("张经理", "manager")]
    assert "今天" in desk.text("今日")
    ok(cli("staff", "remove", listing[0][0], "--reason", "调岗"))
    assert staff_tag(fake_wechat) == {boss.openid}
    assert fake_wechat.state.untag_batches == [[desk.openid]]
    assert desk.text("今日") == "该指令仅限已绑定的案场人员使用。"
    assert [row[1] for row in columns(cli("staff", "list", "P1"))] == ["张经理"]
    (removed,) = decisions(engine, "staff_remove")
    assert removed.facts["role"] == "frontdesk" and removed.facts["reason"] == "调岗"
    assert cli("staff", "remove", listing[0][0]).exit_code == 2  # gone already


def test_staff_removed_before_the_sender_tagged_them_never_get_the_menu(
    cast: Cast, desk: Person, cli: Cli, fake_wechat: FakeWeChatServer
) -> None:
    ok(cli("staff", "remove", desk.openid, "--project", "P1"))
    ok(cli("scheduler", "run-once"))
    assert staff_tag(fake_wechat) == set()


def test_when_wechat_refuses_the_untagging_the_post_is_still_removed_and_it_says_so(
    cast: Cast, desk: Person, cli: Cli, fake_wechat: FakeWeChatServer
) -> None:
    ok(cli("scheduler", "run-once"))
    fake_wechat.state.fail("tags/members/batchuntagging", 45009)
    result = cli("staff", "remove", desk.openid)
    assert result.exit_code == 2 and "refused to take the staff menu off" in result.output
    assert desk.text("今日") == "该指令仅限已绑定的案场人员使用。"
    assert staff_tag(fake_wechat) == {desk.openid}


def test_yi_and_jia_are_untouched_by_each_others_listings(
    cast: Cast, jia: Person, yi: Person, cli: Cli
) -> None:
    assert [row[1] for row in columns(cli("distributor", "agents", YI))] == ["赵小红"]
    assert [row[1] for row in columns(cli("distributor", "agents", JIA))] == ["王小明"]
