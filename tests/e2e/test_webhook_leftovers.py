"""Protocol leftovers: messages without their stamps, events told apart, bounded bodies."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine

from bot.simulator import OFFICIAL_ACCOUNT_ID, WeChatSimulator
from tests.conftest import REDIS_URL, Rig
from tests.e2e.test_webhook_protocol import FILING, stored_rows
from tests.faults.support.service import Gunicorn, gunicorn_service, service_environment
from tests.people import Person

pytestmark = pytest.mark.e2e


def bare_xml(openid: str, msg_type: str, **fields: str) -> str:
    """A message as a careless sender might build it: only the fields given."""
    head = f"<ToUserName>{OFFICIAL_ACCOUNT_ID}</ToUserName><FromUserName>{openid}</FromUserName>"
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{head}<MsgType>{msg_type}</MsgType>{body}</xml>"


@pytest.mark.parametrize(
    "xml",
    [
        bare_xml("o_someone", "text", Content=FILING),
        bare_xml("o_someone", "event", Event="CLICK", EventKey="AGENT_HELP"),
        bare_xml("o_someone", "text", Content="帮助", CreateTime="soon", MsgId="1"),
        bare_xml("o_someone", "text", Content="帮助", CreateTime="1", MsgId="x1"),
    ],
    ids=["text-neither", "event-neither", "createtime-not-a-number", "msgid-not-a-number"],
)
def test_a_message_without_a_well_formed_msgid_and_createtime_gets_a_4xx_never_a_500(
    wechat: WeChatSimulator, jia: Person, engine: Engine, xml: str
) -> None:
    reply = wechat.send(xml.replace("o_someone", jia.openid))
    assert 400 <= reply.status < 500
    assert stored_rows(engine) == (0, 0)


def test_with_the_tolerance_off_a_create_time_beyond_any_calendar_gets_a_4xx(
    custom_app: Callable[..., Rig],
) -> None:
    rig = custom_app(wechat={"timestamp_tolerance_seconds": 0})
    xml = bare_xml("o_someone", "text", Content="帮助", CreateTime="9" * 17, MsgId="1")
    assert rig.wechat.send(xml).status == 400


def test_two_menu_clicks_of_different_keys_in_one_second_get_two_answers(
    wechat: WeChatSimulator, jia: Person
) -> None:
    assert "报备成功" in jia.text("报备 P1 李四 13912344321 本地 明天 15:00")
    second = int(time.time())
    first = wechat.send(wechat.event_xml(jia.openid, "CLICK", "AGENT_CLIENTS", second)).text
    other = wechat.send(wechat.event_xml(jia.openid, "CLICK", "AGENT_FORMAT", second)).text
    assert first and "139****4321" in first  # my clients
    assert other and "139****4321" not in other and "报备" in other  # the filing format


def test_a_retried_click_is_answered_once_as_the_first_was(
    wechat: WeChatSimulator, jia: Person
) -> None:
    xml = wechat.event_xml(jia.openid, "CLICK", "AGENT_CLIENTS", int(time.time()))
    assert wechat.send(xml).text == wechat.send(xml).text


def test_template_job_events_are_told_apart_by_their_own_msgid(
    app: Flask, wechat: WeChatSimulator
) -> None:
    second = int(time.time())
    ids = [wechat.next_msg_id(), wechat.next_msg_id()]
    for msg_id in ids:  # two pushes to one user finished in the same second
        extra = {"MsgID": msg_id}
        reply = wechat.send(
            wechat.event_xml("o_pushed", "TEMPLATESENDJOBFINISH", None, second, extra)
        )
        assert reply.status == 200 and reply.raw == b"success"
    store = app.extensions["baobei"]["store"]
    assert [store.recall(f"j{msg_id}") for msg_id in ids] == ["", ""]  # each processed once


# ------------------------------------------------------------------ bounded body reads


@pytest.fixture
def served(database_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[Gunicorn]:
    """The app under gunicorn on loopback, as deployed: a real socket, a real HTTP parser."""
    env = service_environment(database_url, REDIS_URL, redis_prefix)
    with gunicorn_service("bounded", env, tmp_path, workers=1) as service:
        yield service


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_a_chunked_body_over_the_limit_gets_413_before_it_is_read_whole(served: Gunicorn) -> None:
    sim = served.wechat()
    query, _ = sim.sign_and_wrap(sim.text_xml("o_x", "帮助"))
    head = (
        f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(head.encode())
        for _ in range(8):  # 128 KiB, twice the limit, and the body never ends
            sock.sendall(chunk(b"x" * 16384))
        started = time.monotonic()
        answer = sock.recv(64)  # a server reading the whole body would wait here for ever
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert time.monotonic() - started < 5


def test_an_unsigned_chunked_body_is_refused_without_being_read(served: Gunicorn) -> None:
    head = (
        "POST /wechat?signature=0&timestamp=1&nonce=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(head.encode() + chunk(b"x" * 1024))  # and nothing more
        assert sock.recv(64).startswith(b"HTTP/1.1 403")


def test_a_chunked_body_within_the_limit_is_read_and_answered(served: Gunicorn) -> None:
    sim = served.wechat()
    query, body = sim.sign_and_wrap(sim.text_xml("o_x", "帮助"))
    pieces = (body[i : i + 100] for i in range(0, len(body), 100))  # requests sends it chunked
    response = requests.post(f"{served.webhook_url}?{query}", data=pieces, timeout=10)
    assert response.status_code == 200
    reply = sim.read_reply(200, response.content)
    assert reply is not None and "报备" in reply.content
