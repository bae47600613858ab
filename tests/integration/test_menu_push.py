"""``flask --app bot menu push`` and the staff tag, against the fake WeChat API over HTTP.

The default menu is replaced, the staff's personalised menu is replaced rather than added
again, and staff are tagged: those bound before by the push, those binding later by the
scheduler's push sender, 50 openids a call at most.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.fakeapi import FakeWeChatServer
from bot.simulator import WeChatSimulator
from bot.wechat import WeChatApi
from models import outbox
from models.push_entities import PushKind, PushStatus
from models.settings import load_settings
from scheduler.outbox import Sender
from tests.conftest import Rig
from tests.moments import at
from tests.people import Cast, last_line

pytestmark = pytest.mark.integration
STAFF_KEYS = {"STAFF_PENDING", "STAFF_TODAY", "STAFF_STATS", "STAFF_HELP"}


@pytest.fixture
def fake(fake_wechat: FakeWeChatServer) -> FakeWeChatServer:
    fake_wechat.state.reset()
    return fake_wechat


@pytest.fixture
def cast(cli: Callable[..., Any], wechat: WeChatSimulator, fake: FakeWeChatServer) -> Cast:
    cast = Cast(cli, wechat)
    cast.project("P1", "星河湾")
    cast.distributor("甲房产经纪有限公司")
    return cast


def keys(menu: dict[str, Any]) -> set[str]:
    return {b["key"] for top in menu["button"] for b in top.get("sub_button", [top])}


def staff_tag(fake: FakeWeChatServer) -> dict[str, Any]:
    (tag,) = [t for t in fake.state.tags.values() if t["name"] == "案场人员"]
    return tag


def test_menu_push_creates_the_default_menu_and_one_staff_menu_matched_by_the_tag(
    cli: Callable[..., Any], fake: FakeWeChatServer
) -> None:
    result = cli("menu", "push")

    assert result.exit_code == 0, result.output
    assert "up to 5 minutes late" in result.output
    state = fake.state
    assert keys(state.menus["menu"]) == {"AGENT_CLIENTS", "AGENT_FORMAT", "AGENT_HELP"}
    (staff_menu,) = state.menus["conditional"]
    assert keys(staff_menu) == STAFF_KEYS
    assert staff_menu["matchrule"] == {"tag_id": str(staff_tag(fake)["id"])}
    assert last_line(result.output) == staff_menu["menuid"]


def test_pushing_again_replaces_the_staff_menu_and_leaves_others_alone(
    cli: Callable[..., Any], fake: FakeWeChatServer, settings_overrides: dict[str, Any]
) -> None:
    assert cli("menu", "push").exit_code == 0
    api = WeChatApi(load_settings(settings_overrides, environ={}))
    other = api.add_conditional_menu(
        {
            "button": [{"type": "click", "name": "x", "key": "AGENT_HELP"}],
            "matchrule": {"tag_id": "1"},
        }
    )

    second = cli("menu", "push")

    assert second.exit_code == 0, second.output
    menus = fake.state.menus["conditional"]
    assert sorted(m["menuid"] for m in menus) == sorted([other, last_line(second.output)])
    assert "1 old staff menu(s) deleted" in second.output


def test_menu_push_tags_the_staff_bound_before_it(
    cli: Callable[..., Any], cast: Cast, fake: FakeWeChatServer
) -> None:
    desk, manager = cast.staff("P1", "frontdesk"), cast.staff("P1", "manager", "周经理")
    agent = cast.agent("甲房产经纪有限公司")

    result = cli("menu", "push")

    assert "2 staff tagged" in result.output
    assert staff_tag(fake)["openids"] == {desk.openid, manager.openid}
    assert agent.openid not in staff_tag(fake)["openids"]


def test_a_menu_file_with_a_key_the_service_does_not_answer_is_refused_naming_it(
    custom_app: Callable[..., Rig], fake: FakeWeChatServer, tmp_path: Path
) -> None:
    menu = tmp_path / "menu.toml"
    menu.write_text(
        '[[agents.button]]\nname = "帮助"\nkey = "AGENT_HELP"\n'
        '[[staff.button]]\nname = "审核"\nkey = "STAFF_APPROVE"\n',
        encoding="utf-8",
    )
    rig = custom_app(menu={"file": str(menu)})

    result = rig.cli("menu", "push")

    assert result.exit_code == 2
    assert "STAFF_APPROVE" in result.output
    assert fake.state.menus["menu"] is None


def test_staff_binding_is_tagged_by_the_sender_not_on_the_webhook(
    cast: Cast, cli: Callable[..., Any], engine: Engine, fake: FakeWeChatServer
) -> None:
    desk = cast.staff("P1", "frontdesk")
    assert fake.state.tags == {}  # the webhook answered without calling WeChat

    result = cli("scheduler", "run-once")

    assert result.exit_code == 0, result.output
    assert staff_tag(fake)["openids"] == {desk.openid}
    with engine.connect() as conn:
        (push,) = outbox.queued(conn, kind=PushKind.STAFF_TAG)
    assert push.status == PushStatus.SENT


def test_the_sender_tags_staff_fifty_openids_a_call_and_finds_the_tag_once(
    app: Any, engine: Engine, fake: FakeWeChatServer, travel: Callable[[datetime], None]
) -> None:
    travel(at(11, 22, 10, 0))
    openids = [f"o_staff_{n:03d}" for n in range(120)]
    with engine.begin() as conn:
        for n, openid in enumerate(openids):
            outbox.enqueue(
                conn, kind=PushKind.STAFF_TAG, subject=f"staff:{n}", due_day=date(2026, 11, 22),
                openid=openid, text="", fields={}, send_after=at(11, 22, 10), now=at(11, 22, 10),
            )  # fmt: skip
    sender = Sender(app.extensions["baobei"]["services"])

    assert sender.drain() == 120

    assert all(len(batch) <= 50 for batch in fake.state.tag_batches)
    assert sorted(o for batch in fake.state.tag_batches for o in batch) == openids
    assert staff_tag(fake)["openids"] == set(openids)
    assert len(fake.state.tags) == 1
