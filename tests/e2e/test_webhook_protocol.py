"""The webhook as WeChat's servers meet it: handshake, signatures, bad input, retries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from wechatpy.crypto import WeChatCrypto

from bot.simulator import WeChatSimulator, flask_transport
from models.entities import DecisionLogEntry, Filing, InboundMessage
from tests.conftest import AES_KEY, APP_ID, TOKEN, Rig
from tests.e2e.conftest import JIA
from tests.people import Cast, Person, agent_of, filing_number, last_line
from tests.samples import (
    OFFICIAL_SAMPLE,
    SAMPLE_AES_KEY,
    SAMPLE_APP_ID,
    SAMPLE_MSG_SIGNATURE,
    SAMPLE_NONCE,
    SAMPLE_TIMESTAMP,
    SAMPLE_TOKEN,
)

pytestmark = pytest.mark.e2e

FILING = "报备 P1 张三 13812345678 本地 明天 15:00"


def stored_rows(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(Filing)) or 0,
            conn.scalar(
                select(func.count())
                .select_from(DecisionLogEntry)
                .where(DecisionLogEntry.action == "file")
            )
            or 0,
        )


@pytest.fixture
def agent(jia: Person) -> Person:
    return jia


def test_url_verification_echoes_echostr_when_signed(app: Flask, wechat: WeChatSimulator) -> None:
    query, echostr = wechat.verify_url()
    response = app.test_client().get(f"/wechat?{query}")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == echostr


def test_url_verification_refuses_a_wrong_signature(app: Flask) -> None:
    response = app.test_client().get(
        f"/wechat?signature=bad&timestamp={int(time.time())}&nonce=1&echostr=42"
    )
    assert response.status_code == 403
    assert response.get_data(as_text=True) != "42"


def test_encrypted_text_gets_an_encrypted_reply_that_wechat_can_open(
    wechat: WeChatSimulator, agent: Person
) -> None:
    query, body = wechat.sign_and_wrap(wechat.text_xml(agent.openid, "帮助"))
    assert b"<Encrypt>" in body and "帮助".encode() not in body
    reply = agent.say("帮助")
    assert reply.status == 200
    assert b"<Encrypt>" in reply.raw  # the reply itself is encrypted
    assert reply.text is not None and "报备" in reply.text


def test_plain_mode_works_when_no_aes_key_is_configured(custom_app: Callable[..., Rig]) -> None:
    rig = custom_app(wechat={"encoding_aes_key": ""})
    reply = rig.wechat.say("o_stranger", "帮助")
    assert reply.status == 200 and reply.text and "报备" in reply.text
    assert b"<Encrypt>" not in reply.raw


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda q: q.replace("signature=", "signature=0"), id="bad-url-signature"),
        pytest.param(lambda q: q.replace("msg_signature=", "msg_signature=0"), id="bad-msg-sig"),
    ],
)
def test_refuses_a_message_with_a_wrong_signature_and_stores_nothing(
    app: Flask,
    wechat: WeChatSimulator,
    agent: Person,
    engine: Engine,
    tamper: Callable[[str], str],
) -> None:
    query, body = wechat.sign_and_wrap(wechat.text_xml(agent.openid, FILING))
    response = app.test_client().post(f"/wechat?{tamper(query)}", data=body)
    assert response.status_code == 403
    assert stored_rows(engine) == (0, 0)


def test_refuses_a_stale_timestamp_and_stores_nothing(
    app: Flask, wechat: WeChatSimulator, agent: Person, engine: Engine
) -> None:
    stale = int(time.time()) - 301
    query, body = wechat.sign_and_wrap(wechat.text_xml(agent.openid, FILING), timestamp=stale)
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 403
    assert stored_rows(engine) == (0, 0)


def test_refuses_a_body_over_64_kib(
    app: Flask, wechat: WeChatSimulator, agent: Person, engine: Engine
) -> None:
    query, _ = wechat.sign_and_wrap(wechat.text_xml(agent.openid, "帮助"))
    response = app.test_client().post(f"/wechat?{query}", data=b"<xml>" + b"x" * 70000)
    assert response.status_code == 413
    assert stored_rows(engine) == (0, 0)


def encrypted_raw(plaintext: str) -> tuple[str, bytes]:
    """Encrypt and sign any plaintext as WeChat would, even one that is not valid XML."""
    import xmltodict

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    timestamp, nonce = str(int(time.time())), "12345"
    parts = xmltodict.parse(crypto.encrypt_message(plaintext, nonce, timestamp))["xml"]
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, lambda q, b: (0, b""))
    query = (
        f"signature={sim._signature(timestamp, nonce)}&timestamp={timestamp}"
        f"&nonce={nonce}&encrypt_type=aes&msg_signature={parts['MsgSignature']}"
    )
    return query, f"<xml><Encrypt><![CDATA[{parts['Encrypt']}]]></Encrypt></xml>".encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>o_evil</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content>"
    "<MsgId>1</MsgId></xml>"
)


@pytest.mark.parametrize("encrypted", [True, False], ids=["inside-aes", "plain-body"])
def test_refuses_entity_expansion_xml_with_a_4xx(
    app: Flask, wechat: WeChatSimulator, engine: Engine, encrypted: bool
) -> None:
    if encrypted:
        query, body = encrypted_raw(BILLION_LAUGHS)
    else:
        query, _ = wechat.sign_and_wrap(wechat.text_xml("o_evil", "x"))
        query = "&".join(
            p for p in query.split("&") if not p.startswith(("encrypt_type", "msg_signature"))
        )
        body = BILLION_LAUGHS.encode()
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 400
    assert stored_rows(engine) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml at all", b"<xml><Encrypt>!!!notbase64</Encrypt></xml>", b"<xml></xml>"],
    ids=["empty", "garbage", "bad-ciphertext", "empty-xml"],
)
def test_refuses_malformed_bodies_with_a_4xx_never_a_500(
    app: Flask, wechat: WeChatSimulator, engine: Engine, body: bytes
) -> None:
    query, _ = wechat.sign_and_wrap(wechat.text_xml("o_x", "x"))
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert 400 <= response.status_code < 500
    assert stored_rows(engine) == (0, 0)


@pytest.mark.parametrize("plaintext", ["this is not xml", "<xml><MsgType>text</MsgType></xml>"])
def test_a_decrypted_message_that_is_not_a_wechat_message_is_refused(
    app: Flask, engine: Engine, plaintext: str
) -> None:
    query, body = encrypted_raw(plaintext)
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 400
    assert stored_rows(engine) == (0, 0)


@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("image", {"PicUrl": "http://x/1.jpg", "MediaId": "m1"}),
        ("voice", {"MediaId": "m1", "Format": "amr"}),
        ("video", {"MediaId": "m1", "ThumbMediaId": "t1"}),
        ("location", {"Location_X": "31.2", "Location_Y": "121.5", "Scale": "15", "Label": "x"}),
        ("link", {"Title": "t", "Description": "d", "Url": "http://x"}),
        ("shortvideo", {"MediaId": "m1", "ThumbMediaId": "t1"}),
        ("miniprogrampage", {"Title": "t"}),
    ],
)
def test_non_text_messages_get_a_hint_to_send_text(
    wechat: WeChatSimulator, msg_type: str, fields: dict[str, str]
) -> None:
    reply = wechat.send(wechat.message_xml("o_someone", msg_type, fields))
    assert reply.status == 200
    assert reply.text is not None and "文字" in reply.text


@pytest.mark.parametrize(
    ("event", "key", "expect_reply"),
    [
        ("subscribe", None, True),
        ("SCAN", "123", True),
        ("unsubscribe", None, False),
        ("VIEW", "https://example.com", False),
        ("LOCATION", None, False),
        ("TEMPLATESENDJOBFINISH", None, False),
        ("CLICK", "AGENT_HELP", True),
    ],
)
def test_every_event_gets_a_sensible_answer(
    wechat: WeChatSimulator, event: str, key: str | None, expect_reply: bool
) -> None:
    reply = wechat.send(wechat.event_xml("o_someone", event, key))
    assert reply.status == 200
    if expect_reply:
        assert reply.text
    else:
        assert reply.raw == b"success"


def test_a_retried_message_is_filed_once_and_gets_the_same_reply(
    agent: Person, engine: Engine
) -> None:
    first = agent.say(FILING, msg_id=880001)
    again = agent.say(FILING, msg_id=880001)
    third = agent.say(FILING, msg_id=880001)
    assert first.text and "报备成功" in first.text
    assert again.text == first.text == third.text
    assert stored_rows(engine) == (1, 1)


def test_a_retried_binding_is_answered_as_the_first_was(
    cast: Cast, cli: Callable[..., Any], wechat: WeChatSimulator
) -> None:
    # Processed twice, the retry would meet its own used invite code: "邀请码无效".
    code = last_line(cli("distributor", "invite", JIA).output)
    newcomer = Person("o_retrying", wechat)
    first = newcomer.say(f"绑定 {code} 王小明", msg_id=880101)
    again = newcomer.say(f"绑定 {code} 王小明", msg_id=880101)
    assert first.text and "绑定成功" in first.text
    assert again.text == first.text


def test_a_retried_cancel_is_answered_as_the_first_was_and_logged_once(
    agent: Person, engine: Engine
) -> None:
    # Processed twice, the retry would be refused as already cancelled and logged again.
    number = filing_number(agent.text(FILING))
    first = agent.say(f"取消 #{number}", msg_id=880201)
    again = agent.say(f"取消 #{number}", msg_id=880201)
    assert first.text and "已取消" in first.text
    assert again.text == first.text
    with engine.connect() as conn:
        cancels = (
            select(func.count())
            .select_from(DecisionLogEntry)
            .where(DecisionLogEntry.action == "cancel")
        )
        assert conn.scalar(cancels) == 1


def test_concurrent_retries_of_one_message_file_once(
    app: Flask, agent: Person, engine: Engine
) -> None:
    replies: list[str | None] = []
    wechat = agent.wechat

    def send() -> None:
        sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(app.test_client()))
        replies.append(sim.send(wechat.text_xml(agent.openid, FILING, msg_id=990001)).text)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stored_rows(engine) == (1, 1)
    answered = [r for r in replies if r]
    assert answered and all("报备成功" in r for r in answered)


def test_a_sender_over_the_rate_limit_is_told_to_slow_down(
    custom_app: Callable[..., Rig],
) -> None:
    rig = custom_app(app={"rate_limit_per_minute": 3})
    texts = [rig.wechat.say("o_busy", "帮助").text for _ in range(4)]
    assert all("报备" in (t or "") for t in texts[:3])
    assert texts[3] and "太频繁" in texts[3]


def test_with_redis_unreachable_the_webhook_answers_and_dedups_in_the_database(
    custom_app: Callable[..., Rig],
) -> None:
    rig = custom_app(redis={"url": "redis://127.0.0.1:1/0"})  # nothing listens there
    agent = agent_of(rig)  # binding was claimed in the database: Redis is down
    first = agent.say(FILING, msg_id=770001)
    again = agent.say(FILING, msg_id=770001)  # filings dedup on their unique message key
    assert first.text and "报备成功" in first.text
    assert again.text == first.text
    assert stored_rows(rig.engine) == (1, 1)
    with rig.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(InboundMessage)) >= 1


def test_wechats_published_sample_is_accepted_and_answered_encrypted(
    custom_app: Callable[..., Rig], travel: Callable[[Any], None]
) -> None:
    from datetime import UTC, datetime

    rig = custom_app(
        wechat={"token": SAMPLE_TOKEN, "encoding_aes_key": SAMPLE_AES_KEY, "app_id": SAMPLE_APP_ID}
    )
    application, sim = rig.app, rig.wechat
    travel(datetime.fromtimestamp(int(SAMPLE_TIMESTAMP), UTC))
    query = (
        f"signature={sim._signature(SAMPLE_TIMESTAMP, SAMPLE_NONCE)}"
        f"&timestamp={SAMPLE_TIMESTAMP}&nonce={SAMPLE_NONCE}"
        f"&openid=oyORnuP8q7ou2gfYjqLzSIWZf0rs&encrypt_type=aes"
        f"&msg_signature={SAMPLE_MSG_SIGNATURE}"
    )
    response = application.test_client().post(f"/wechat?{query}", data=OFFICIAL_SAMPLE)
    assert response.status_code == 200
    reply = sim.read_reply(200, response.get_data())
    assert reply is not None and reply.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert "没有看懂" in reply.content  # "abcdteT" is no command: the hint comes back


def test_a_retry_takes_over_a_message_whose_first_attempt_never_answered(
    custom_app: Callable[..., Rig],
) -> None:
    """A worker that died mid-message leaves only its claim; WeChat's retry processes it."""
    rig = custom_app(app={"claim_ttl_seconds": 1, "retry_wait_seconds": 3.0})
    agent = agent_of(rig)
    assert "报备成功" in agent.text(FILING)
    store = rig.app.extensions["baobei"]["store"]
    assert store.admit("m550001", 1, None, 0).first  # the dead worker's claim
    reply = agent.say("查询", msg_id=550001)  # a query is claimed (filings dedup in the db)
    assert reply.text and "138****5678" in reply.text
