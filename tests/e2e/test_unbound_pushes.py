"""A person who left hears nothing more (R12): a push queued before an agent's unbinding,
or before a staff member's last post was removed, is withheld by the sender, through the
webhook, the command line and the fake WeChat API; everyone else's pushes still go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.fakeapi import FakeWeChatServer
from models.policy import PushKind
from models.policy.roster_wording import UNBOUND_TEXT
from tests.e2e.approvals_support import (
    Travel,
    arrive,
    decisions,
    pushes,
    run_scheduler,
    texts_to,
)
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Cast, Person, files

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]
Cli = Callable[..., Any]


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def listed(cli: Cli, push_id: int) -> list[str]:
    """The push's line in ``pushes list`` (the default: everything not delivered)."""
    (row,) = [
        line.split("\t")
        for line in ok(cli("pushes", "list")).stdout.splitlines()
        if line.split("\t")[0] == str(push_id)
    ]
    return row


def test_a_ruling_queued_before_the_unbinding_never_reaches_the_departed_agent(
    cast: Cast, jia: Person, yi: Person, desk: Person, boss: Person, cli: Cli, engine: Engine,
    travel: Travel, fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    zhang = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    li = files(yi, "报备 P1 李四 13900001111 本地 15:00")
    arrive(travel, desk, zhang, "13812345678", at(11, 22, 15, 0))
    arrive(travel, desk, li, "13900001111", at(11, 22, 15, 5))
    travel(at(11, 22, 16, 0))
    assert "到访保护至" in boss.text(f"通过 #{zhang}")
    assert "到访保护至" in boss.text(f"通过 #{li}")
    ok(cli("agent", "unbind", jia.openid, "--reason", "离职"))  # the ruling still waits

    run_scheduler(cli, travel, at(11, 22, 16, 5))

    rulings = {p.openid: p for p in pushes(engine) if p.kind == PushKind.RULING}
    assert rulings[jia.openid].status == "withheld"
    assert texts_to(fake_wechat, jia) == [UNBOUND_TEXT]  # told of the unbinding, nothing else
    assert rulings[yi.openid].status == "sent"  # a bound agent's ruling still goes
    assert any(f"#{li}" in text for text in texts_to(fake_wechat, yi))
    row = listed(cli, rulings[jia.openid].id)
    assert row[1:4] == ["withheld", "ruling", jia.openid]
    assert row[-1] == "withheld: the agent was unbound before it was sent"
    (decision,) = decisions(engine, "agent_unbind")  # withheld by the unbinding itself
    assert decision.facts["pushes_withheld"] == [rulings[jia.openid].id]
    run_scheduler(cli, travel, at(11, 22, 16, 10))  # settled: never tried again
    assert texts_to(fake_wechat, jia) == [UNBOUND_TEXT]
    assert cli("pushes", "retry", str(rulings[jia.openid].id)).exit_code == 2  # not re-queued


def test_an_agent_who_rebinds_to_another_company_hears_nothing_of_the_first_ones_clients(
    cast: Cast, jia: Person, desk: Person, boss: Person, cli: Cli, engine: Engine,
    travel: Travel, fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    number = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    arrive(travel, desk, number, "13812345678", at(11, 22, 15, 0))
    travel(at(11, 22, 16, 0))
    assert "到访保护至" in boss.text(f"通过 #{number}")  # its ruling waits for the sender
    ok(cli("agent", "unbind", jia.openid, "--reason", "离职"))
    code = ok(cli("distributor", "invite", YI)).stdout.split()[-1]
    assert "绑定成功" in jia.text(f"绑定 {code} 赵一")  # joins the other company at once

    run_scheduler(cli, travel, at(11, 22, 16, 5))

    (ruling,) = [p for p in pushes(engine) if p.kind == PushKind.RULING]
    assert ruling.status == "withheld"
    assert not any(f"#{number}" in text for text in texts_to(fake_wechat, jia))
    assert not any("张三" in text for text in texts_to(fake_wechat, jia))


def test_a_ruling_withheld_from_the_departed_agent_goes_to_the_colleague_who_takes_over(
    cast: Cast, jia: Person, desk: Person, boss: Person, cli: Cli, engine: Engine,
    travel: Travel, fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    chen = cast.agent(JIA, "陈小刚")
    number = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    arrive(travel, desk, number, "13812345678", at(11, 22, 15, 0))
    travel(at(11, 22, 16, 0))
    assert "到访保护至" in boss.text(f"通过 #{number}")
    ok(cli("agent", "unbind", jia.openid))
    run_scheduler(cli, travel, at(11, 22, 16, 5))
    assert [p.status for p in pushes(engine) if p.kind == PushKind.RULING] == ["withheld"]

    ok(cli("agent", "reassign", jia.openid, chen.openid))
    run_scheduler(cli, travel, at(11, 22, 16, 10))

    (ruling,) = [p for p in pushes(engine) if p.kind == PushKind.RULING]
    assert (ruling.openid, ruling.status) == (chen.openid, "sent")
    assert any(f"#{number}" in t and "到访保护至" in t for t in texts_to(fake_wechat, chen))
    assert texts_to(fake_wechat, jia) == [UNBOUND_TEXT]


def test_a_removed_managers_waiting_morning_digest_is_not_sent(
    cast: Cast, jia: Person, desk: Person, boss: Person, cli: Cli, engine: Engine,
    travel: Travel, fake_wechat: FakeWeChatServer,
) -> None:  # fmt: skip
    travel(at(11, 22, 10, 0))
    files(jia, "报备 P1 张三 13812345678 本地 明天 15:00")
    run_scheduler(cli, travel, at(11, 22, 10, 5))  # the staff menu's tags go
    fake_wechat.state.fail("message/custom/send", -1)  # WeChat busy: the digest waits
    try:
        run_scheduler(cli, travel, at(11, 23, 9, 5))
    finally:
        with fake_wechat.state.lock:
            fake_wechat.state._failures.clear()  # noqa: SLF001  (the fake's own bookkeeping)
    (digest,) = [p for p in pushes(engine) if p.kind == PushKind.MORNING_DIGEST]
    assert (digest.openid, digest.status) == (boss.openid, "pending")
    ok(cli("staff", "remove", boss.openid, "--reason", "离职"))

    run_scheduler(cli, travel, at(11, 23, 10, 0))

    (digest,) = [p for p in pushes(engine) if p.kind == PushKind.MORNING_DIGEST]
    assert digest.status == "withheld"
    assert [s for s in fake_wechat.state.sends_to(boss.openid) if s["kind"] == "custom"] == []
    assert listed(cli, digest.id)[-1] == "withheld: the recipient has no staff post left"
    assert "今日到访（2026-11-23）：1 位" in desk.text("今日")  # the desk keeps their post
