"""The push sender against the fake WeChat API over real HTTP, by WeChat's error codes.

Pushes are queued with ``models.outbox.enqueue`` (as the jobs queue them) and delivered by
``flask --app bot scheduler run-once``; the fake answers what WeChat would, or what a test
injects, and keeps every message it accepted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, func, select

from bot.fakeapi import FakeWeChatServer
from bot.wechat import WeChatApi
from models import outbox
from models.push_entities import PushAttempt, PushKind
from tests.conftest import REDIS_URL, Rig
from tests.moments import at
from tests.recipients import bind_agents

pytestmark = pytest.mark.integration

TEMPLATE = {"template_id": "TPL_LAPSE", "keywords": {"client": "thing1", "ends_on": "time2"}}
FIELDS = {"client": "张三 138****5678", "ends_on": "2026-11-29"}
SEND = "message/template/send"
TEXT = "message/custom/send"


@pytest.fixture
def rig(custom_app: Callable[..., Rig], travel: Callable[[datetime], None]) -> Rig:
    """The app with a template for lapse reminders only, no pacing, short backoff."""
    travel(at(11, 28, 9, 0))
    return custom_app(
        pushes={
            "templates": {PushKind.FILING_LAPSE_REMINDER.value: TEMPLATE},
            "sends_per_second": 0,
            "backoff_base_seconds": 60,
            "max_attempts": 3,
        }
    )


@pytest.fixture
def fake(fake_wechat: FakeWeChatServer) -> Iterator[FakeWeChatServer]:
    """The session's fake; failures a test injected but did not use are dropped after it."""
    yield fake_wechat
    with fake_wechat.state.lock:
        fake_wechat.state._failures.clear()  # noqa: SLF001  (the fake's own bookkeeping)


def queue(engine: Engine, kind: PushKind = PushKind.FILING_LAPSE_REMINDER, **changes: Any) -> str:
    """Queue one push to a fresh recipient, due now; returns the recipient's openid."""
    openid = changes.pop("openid", f"o_{uuid.uuid4().hex[:10]}")
    values = {
        "kind": kind,
        "subject": f"filing:{uuid.uuid4().int % 10**6}",
        "due_day": date(2026, 11, 28),
        "openid": openid,
        "text": "客户张三 138****5678 的报备保护明天到期",
        "fields": FIELDS,
        "send_after": at(11, 28, 9),
        "now": at(11, 28, 0, 5),
    } | changes
    with engine.begin() as conn:
        bind_agents(conn, [openid], values["now"])
        assert outbox.enqueue(conn, **values)
    return openid


def push_of(engine: Engine, openid: str) -> Any:
    with engine.connect() as conn:
        (row,) = outbox.queued(conn, openid=openid)
    return row


def attempts_of(engine: Engine, push_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).select_from(PushAttempt).where(PushAttempt.push_id == push_id)
            )
        )


def run_once(rig: Rig) -> str:
    result = rig.cli("scheduler", "run-once")
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_a_template_push_is_sent_once_with_its_id_as_client_msg_id(rig: Rig, fake) -> None:
    openid = queue(rig.engine)

    assert "send-pushes: 1" in run_once(rig)
    assert "send-pushes: 0" in run_once(rig)

    row = push_of(rig.engine, openid)
    (sent,) = fake.state.sends_to(openid)
    assert sent["payload"]["template_id"] == "TPL_LAPSE"
    assert sent["payload"]["client_msg_id"] == f"push-{row.id}"
    assert sent["payload"]["data"] == {
        "thing1": {"value": "张三 138****5678"},
        "time2": {"value": "2026-11-29"},
    }
    assert (row.status, row.attempts, row.wechat_msgid) == ("sent", 1, sent["payload"]["msgid"])
    assert row.sent_at == at(11, 28, 9)


def test_a_kind_without_template_goes_as_a_text_and_start_up_names_it(
    rig: Rig, fake, caplog: pytest.LogCaptureFixture
) -> None:
    openid = queue(rig.engine, kind=PushKind.FILING_LAPSED)

    with caplog.at_level(logging.WARNING):
        run_once(rig)

    (sent,) = fake.state.sends_to(openid)
    assert sent["payload"]["text"]["content"] == "客户张三 138****5678 的报备保护明天到期"
    warning = next(r.getMessage() for r in caplog.records if "no template" in r.getMessage())
    assert "filing_lapsed" in warning and "filing_lapse_reminder" not in warning
    assert "48 hours" in warning


def test_a_busy_answer_is_retried_after_the_backoff_and_delivered_once(
    rig: Rig, fake, travel: Callable[[datetime], None]
) -> None:
    openid = queue(rig.engine)
    fake.state.fail(SEND, -1)

    run_once(rig)
    row = push_of(rig.engine, openid)
    assert (row.status, row.attempts, row.last_errcode) == ("pending", 1, -1)
    assert row.next_attempt_at == at(11, 28, 9, 1)  # backoff_base_seconds = 60
    travel(at(11, 28, 9, 0) + (at(11, 28, 9, 1) - at(11, 28, 9, 0)) / 2)
    run_once(rig)
    assert fake.state.sends_to(openid) == []  # not before its time

    travel(at(11, 28, 9, 1))
    run_once(rig)
    run_once(rig)

    assert len(fake.state.sends_to(openid)) == 1
    row = push_of(rig.engine, openid)
    assert (row.status, row.attempts) == ("sent", 2)


def test_busy_answers_double_the_wait_and_end_failed_after_max_attempts(
    rig: Rig, fake, travel: Callable[[datetime], None]
) -> None:
    openid = queue(rig.engine)
    fake.state.fail(SEND, -1, times=3)

    run_once(rig)
    assert push_of(rig.engine, openid).next_attempt_at == at(11, 28, 9, 1)
    travel(at(11, 28, 9, 1))
    run_once(rig)
    assert push_of(rig.engine, openid).next_attempt_at == at(11, 28, 9, 3)  # 2 x 60 s
    travel(at(11, 28, 9, 3))
    run_once(rig)

    row = push_of(rig.engine, openid)
    assert (row.status, row.attempts) == ("failed", 3)  # max_attempts = 3
    travel(at(11, 29, 9, 0))
    run_once(rig)
    assert attempts_of(rig.engine, row.id) == 3 and fake.state.sends_to(openid) == []


def test_an_expired_token_is_renewed_once_and_the_push_sent_once(rig: Rig, fake) -> None:
    queue(rig.engine)
    run_once(rig)  # holds a token now
    openid = queue(rig.engine)
    fetches = fake.state.token_fetches
    fake.state.fail(SEND, 42001)

    run_once(rig)

    assert fake.state.token_fetches == fetches + 1
    assert len(fake.state.sends_to(openid)) == 1
    assert push_of(rig.engine, openid).status == "sent"


def test_a_token_another_process_renewed_is_taken_from_redis_without_a_fetch(
    rig: Rig, fake
) -> None:
    queue(rig.engine)
    run_once(rig)
    web = WeChatApi(rig.app.extensions["baobei"]["settings"], redis.Redis.from_url(REDIS_URL))
    web.refresh_token(stale=web.access_token())  # the web process renews it
    fetches = fake.state.token_fetches
    openid = queue(rig.engine)

    run_once(rig)

    assert fake.state.token_fetches == fetches
    assert push_of(rig.engine, openid).status == "sent"


def test_a_user_who_unfollowed_is_undeliverable_and_not_tried_on_every_run(
    rig: Rig, fake, travel: Callable[[datetime], None]
) -> None:
    openid = queue(rig.engine)
    fake.state.unfollow(openid)

    run_once(rig)
    travel(at(11, 29, 9, 0))
    run_once(rig)
    run_once(rig)

    row = push_of(rig.engine, openid)
    assert (row.status, row.last_errcode) == ("undeliverable", 43004)
    assert attempts_of(rig.engine, row.id) == 1


def test_the_daily_quota_holds_the_push_until_the_next_day(
    rig: Rig, fake, travel: Callable[[datetime], None]
) -> None:
    openid = queue(rig.engine)
    fake.state.fail(SEND, 45009)

    run_once(rig)
    row = push_of(rig.engine, openid)
    assert (row.status, row.last_errcode, row.attempts) == ("pending", 45009, 0)
    assert row.next_attempt_at == at(11, 29, 0, 0)  # midnight, project time zone
    travel(at(11, 28, 23, 59))
    run_once(rig)
    assert fake.state.sends_to(openid) == []

    travel(at(11, 29, 0, 0))
    run_once(rig)
    assert len(fake.state.sends_to(openid)) == 1


@pytest.mark.parametrize("errcode", [45015, 45047])
def test_a_closed_service_window_is_undeliverable_listed_and_can_be_retried(
    rig: Rig, fake, errcode: int
) -> None:
    openid = queue(rig.engine, kind=PushKind.VISIT_END_REMINDER)
    fake.state.fail(TEXT, errcode)

    run_once(rig)

    row = push_of(rig.engine, openid)
    assert (row.status, row.last_errcode) == ("undeliverable", errcode)
    listed = rig.cli("pushes", "list", "--status", "undeliverable").output
    line = next(line for line in listed.splitlines() if openid in line)
    assert line.split("\t")[:5] == [
        str(row.id),
        "undeliverable",
        "visit_end_reminder",
        openid,
        "text",
    ]
    assert str(errcode) in line

    retried = rig.cli("pushes", "retry", str(row.id))
    assert retried.exit_code == 0 and retried.output.splitlines()[-1] == str(row.id)
    run_once(rig)
    assert push_of(rig.engine, openid).status == "sent"
    assert rig.cli("pushes", "retry", str(row.id)).exit_code == 2  # sent: nothing to retry


def test_a_template_value_wechat_refuses_is_undeliverable_and_logged_loudly(
    rig: Rig, fake, caplog: pytest.LogCaptureFixture
) -> None:
    openid = queue(rig.engine)
    fake.state.fail(SEND, 47003)

    with caplog.at_level(logging.ERROR):
        run_once(rig)

    row = push_of(rig.engine, openid)
    assert (row.status, row.last_errcode, row.attempts) == ("undeliverable", 47003, 1)
    assert any(r.levelno == logging.ERROR and str(row.id) in r.getMessage() for r in caplog.records)


def test_a_push_that_would_break_the_template_rules_is_never_sent(
    rig: Rig, fake, caplog: pytest.LogCaptureFixture
) -> None:
    openid = queue(rig.engine, fields={"client": "张三😀", "ends_on": "2026-11-29"})

    with caplog.at_level(logging.ERROR):
        run_once(rig)

    assert fake.state.sends_to(openid) == []
    row = push_of(rig.engine, openid)
    assert (row.status, row.last_errcode) == ("undeliverable", None)
    assert "emoji" in row.last_error
    assert any("breaks WeChat's rules" in r.getMessage() for r in caplog.records)


def test_the_configured_sends_per_second_are_respected(
    custom_app: Callable[..., Rig], fake
) -> None:
    rig = custom_app(pushes={"sends_per_second": 20})  # the real clock: the fake times sends
    past = {"send_after": at(1, 1, year=2020), "now": at(1, 1, year=2020)}
    openids = [queue(rig.engine, kind=PushKind.FILING_LAPSED, **past) for _ in range(11)]

    run_once(rig)

    times = sorted(s["at"] for o in openids for s in fake.state.sends_to(o))
    assert len(times) == 11
    assert times[-1] - times[0] >= 0.5 * 0.8  # 10 intervals of 1/20 s
    # The fake stamps arrival, not the sender's start: the first and last requests' own
    # latencies differ by tens of ms on a loaded machine (0.4747 s seen), so the margin
    # is wide; unpaced, 11 sends take ~50 ms, far below it.


def test_wechat_s_template_job_finish_event_is_kept_against_the_push(rig: Rig, fake) -> None:
    openid = queue(rig.engine)
    run_once(rig)
    msgid = push_of(rig.engine, openid).wechat_msgid

    event = rig.wechat.event_xml(
        openid, "TEMPLATESENDJOBFINISH", extra={"MsgID": msgid, "Status": "failed:user block"}
    )
    reply = rig.wechat.send(event)

    assert reply.status == 200 and reply.raw == b"success"
    assert push_of(rig.engine, openid).delivery_status == "failed:user block"
