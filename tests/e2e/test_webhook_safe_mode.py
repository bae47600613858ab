"""Safe mode: with an EncodingAESKey, only encrypted bodies are taken as WeChat's words.

The URL signature covers timestamp and nonce, not the body: whoever saw one signed URL
could post any plaintext body as any agent. With a key, plaintext is refused unless the
switch-over key ``wechat.accept_plaintext`` is on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest
import xmltodict
from flask import Flask
from sqlalchemy import Engine

from bot.simulator import WeChatSimulator
from tests.conftest import Rig
from tests.e2e.test_webhook_protocol import FILING, stored_rows
from tests.people import Person, agent_of

pytestmark = pytest.mark.e2e


def plaintext_post(sim: WeChatSimulator, xml: str) -> tuple[str, bytes]:
    """A correctly signed URL with a plaintext body: what one seen URL lets anyone send."""
    query, _ = sim.sign_and_wrap(xml)
    args = {k: v for k, v in parse_qsl(query) if k not in ("encrypt_type", "msg_signature")}
    return urlencode(args), xml.encode()


def test_a_plaintext_post_in_safe_mode_is_refused_and_nothing_is_processed(
    app: Flask, wechat: WeChatSimulator, jia: Person, engine: Engine
) -> None:
    query, body = plaintext_post(wechat, wechat.text_xml(jia.openid, FILING))
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 403
    assert stored_rows(engine) == (0, 0)


def test_a_plaintext_query_in_safe_mode_gets_no_answer_about_anyones_filings(
    app: Flask, wechat: WeChatSimulator, jia: Person
) -> None:
    assert "报备成功" in jia.text(FILING)
    query, body = plaintext_post(wechat, wechat.text_xml(jia.openid, "查询"))
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 403
    assert b"138****5678" not in response.get_data()


def test_with_the_switch_over_key_on_a_plaintext_post_is_processed(
    custom_app: Callable[..., Rig],
) -> None:
    rig = custom_app(wechat={"accept_plaintext": True})
    agent = agent_of(rig)  # bound over encrypted messages
    query, body = plaintext_post(rig.wechat, rig.wechat.text_xml(agent.openid, FILING))
    response = rig.app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 200
    assert "报备成功" in response.get_data(as_text=True)  # a plain request, a plain reply
    assert stored_rows(rig.engine) == (1, 1)


def test_compatible_mode_with_both_bodies_and_encrypt_type_aes_is_processed(
    app: Flask, wechat: WeChatSimulator, jia: Person, engine: Engine
) -> None:
    xml = wechat.text_xml(jia.openid, FILING)
    query, encrypted = wechat.sign_and_wrap(xml)
    # 兼容模式: the plaintext fields and the Encrypt element side by side in one body
    plain = xmltodict.parse(xml)["xml"]
    envelope = xmltodict.parse(encrypted)["xml"]
    body = xmltodict.unparse({"xml": {**plain, "Encrypt": envelope["Encrypt"]}}).encode()
    response = app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 200
    reply = wechat.read_reply(200, response.get_data())
    assert reply is not None and "报备成功" in reply.content
    assert stored_rows(engine) == (1, 1)


def flip(signature: str) -> str:
    """The same signature with its first hex digit changed: wrong, whatever it was."""
    return ("1" if signature[0] == "0" else "0") + signature[1:]


def test_the_webhooks_own_log_lines_never_print_a_signature_or_nonce(
    app: Flask, wechat: WeChatSimulator, jia: Person, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    query, body = wechat.sign_and_wrap(wechat.text_xml(jia.openid, "帮助"))
    args = dict(parse_qsl(query))
    tampered = [
        {**args, "signature": flip(args["signature"])},
        {**args, "msg_signature": flip(args["msg_signature"])},
        {k: v for k, v in args.items() if k not in ("encrypt_type", "msg_signature")},
    ]
    for bad in tampered:
        assert app.test_client().post(f"/wechat?{urlencode(bad)}", data=body).status_code == 403
    assert app.test_client().post(f"/wechat?{query}", data=body).status_code == 200
    secrets = [args["signature"], args["msg_signature"], args["nonce"]]
    assert caplog.records and not any(s in caplog.text for s in secrets)
