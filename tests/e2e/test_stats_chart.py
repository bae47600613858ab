"""A manager's 统计 (menu STAFF_STATS) brings the week's funnel chart as an image (issue 19
item 4): the webhook answers the text at once and queues the chart; the scheduler's push
sender draws it, uploads it as temporary media and sends a customer-service image, which
the fake WeChat API records. A front desk's click gets neither."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine

from bot.fakeapi import FakeWeChatServer
from models import outbox
from models.policy import PushKind
from models.reports.chart import HEIGHT_PX, WIDTH_PX
from tests.e2e.approvals_support import Travel, run_scheduler
from tests.moments import at
from tests.people import Person, files

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_api")]


def images_to(fake: FakeWeChatServer, person: Person) -> list[bytes]:
    """The pictures WeChat delivered to ``person``: each sent image's uploaded file."""
    sent = [s["payload"] for s in fake.state.sends_to(person.openid)]
    ids = [p["image"]["media_id"] for p in sent if p.get("msgtype") == "image"]
    return [fake.state.uploads[media_id]["data"] for media_id in ids]


def charts(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return outbox.queued(conn, kind=PushKind.STAFF_CHART)


def a_week_with_filings(travel: Travel, jia: Person) -> None:
    travel(at(11, 23, 10, 0))  # Monday
    files(jia, "报备 P1 张三 13812345678 本地 15:00")
    files(jia, "报备 P1 李四 13912345678 本地 16:00")


def test_a_managers_stats_click_answers_the_text_and_the_chart_reaches_them_as_an_image(
    cli: Callable[..., Any], travel: Travel, engine: Engine, fake_wechat: FakeWeChatServer,
    jia: Person, boss: Person,
) -> None:  # fmt: skip
    a_week_with_filings(travel, jia)
    travel(at(11, 25, 18, 0))

    reply = boss.wechat.click(boss.openid, "STAFF_STATS")

    assert reply.text is not None and reply.text.startswith("星河湾 渠道统计"), reply.raw
    assert images_to(fake_wechat, boss) == []  # not on the webhook's path
    run_scheduler(cli, travel, at(11, 25, 18, 0))
    (png,) = images_to(fake_wechat, boss)
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    (push,) = charts(engine)
    assert push.status == "sent"
    listed = cli("pushes", "list", "--status", "sent").stdout
    assert f"{push.id}\tsent\tstaff_chart\t{boss.openid}\timage" in listed


def test_a_retried_click_queues_one_chart_and_a_front_desks_click_none(
    cli: Callable[..., Any], travel: Travel, engine: Engine, fake_wechat: FakeWeChatServer,
    jia: Person, desk: Person, boss: Person,
) -> None:  # fmt: skip
    a_week_with_filings(travel, jia)
    travel(at(11, 25, 18, 0))
    click = boss.wechat.event_xml(boss.openid, "CLICK", "STAFF_STATS")

    first, retry = boss.wechat.send(click), boss.wechat.send(click)
    refused = desk.wechat.click(desk.openid, "STAFF_STATS")

    assert first.text == retry.text
    assert refused.text == "该指令仅限案场经理使用。"
    run_scheduler(cli, travel, at(11, 25, 18, 1))
    assert len(images_to(fake_wechat, boss)) == 1
    assert images_to(fake_wechat, desk) == []
    assert [push.openid for push in charts(engine)] == [boss.openid]


def test_a_busy_upload_is_tried_again_and_the_chart_still_arrives(
    cli: Callable[..., Any], travel: Travel, engine: Engine, fake_wechat: FakeWeChatServer,
    jia: Person, boss: Person,
) -> None:  # fmt: skip
    a_week_with_filings(travel, jia)
    travel(at(11, 25, 18, 0))
    boss.wechat.click(boss.openid, "STAFF_STATS")
    fake_wechat.state.fail("media/upload", -1)

    run_scheduler(cli, travel, at(11, 25, 18, 0))
    assert images_to(fake_wechat, boss) == []
    assert charts(engine)[0].status == "pending"
    run_scheduler(cli, travel, at(11, 25, 18, 5))  # after the back-off

    assert len(images_to(fake_wechat, boss)) == 1


def test_a_week_with_nothing_to_show_sends_no_chart(
    cli: Callable[..., Any], travel: Travel, engine: Engine, fake_wechat: FakeWeChatServer,
    boss: Person,
) -> None:  # fmt: skip
    travel(at(11, 25, 18, 0))

    assert "还没有报备或到访" in (boss.wechat.click(boss.openid, "STAFF_STATS").text or "")
    assert charts(engine) == []
