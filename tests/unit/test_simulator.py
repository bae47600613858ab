"""The simulator speaks WeChat's wire format: signatures, safe-mode envelopes, replies.

WeChat's published sample is not decrypted here (that would test wechatpy): it goes through
our webhook in tests/e2e/test_webhook_protocol.py, which pins both to what WeChat sends.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.simulator import OFFICIAL_ACCOUNT_ID, WeChatSimulator

pytestmark = pytest.mark.unit

TOKEN = "123456"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx49f0ab532d5d035a"
OPENID = "oUser_0001"


def _query(query_string: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query_string).items()}


def _no_transport(query: str, body: bytes) -> tuple[int, bytes]:
    raise AssertionError("this test sends nothing")


def _echo_webhook(crypto: WeChatCrypto | None):
    """A minimal webhook as ours must behave: verify, decrypt, answer the text back."""

    def post(query_string: str, body: bytes) -> tuple[int, bytes]:
        query = _query(query_string)
        check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
        xml = body.decode()
        if crypto is not None:
            xml = crypto.decrypt_message(
                xml, query["msg_signature"], query["timestamp"], query["nonce"]
            )
        message = parse_message(xml)
        if message.type != "text":
            return 200, b"success"
        reply = TextReply(message=message, content=f"收到：{message.content}").render()
        if crypto is not None:
            reply = crypto.encrypt_message(reply, query["nonce"], query["timestamp"])
        return 200, reply.encode()

    return post


def test_safe_mode_envelope_decrypts_back_and_its_signatures_verify():
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, _no_transport)
    xml = sim.text_xml(OPENID, "报备 张三 1381234 明天下午")

    query_string, body = sim.sign_and_wrap(xml, timestamp="1411525903", nonce="461056294")

    query = _query(query_string)
    assert query["encrypt_type"] == "aes"
    assert query["openid"] == OPENID
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    envelope = xmltodict.parse(body)["xml"]
    assert envelope["ToUserName"] == OFFICIAL_ACCOUNT_ID
    assert set(envelope) == {"ToUserName", "Encrypt"}
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    plain = crypto.decrypt_message(body, query["msg_signature"], "1411525903", "461056294")
    assert plain == xml


def test_plain_mode_posts_the_xml_itself_with_a_valid_signature():
    sim = WeChatSimulator(TOKEN, APP_ID, None, _no_transport)
    xml = sim.text_xml(OPENID, "帮助")

    query_string, body = sim.sign_and_wrap(xml)

    query = _query(query_string)
    assert "encrypt_type" not in query and "msg_signature" not in query
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    assert body.decode() == xml


@pytest.mark.parametrize("aes_key", [AES_KEY, None], ids=["safe", "plain"])
def test_say_returns_the_webhook_reply_decrypted_and_parsed(aes_key):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if aes_key else None
    sim = WeChatSimulator(TOKEN, APP_ID, aes_key, _echo_webhook(crypto))

    reply = sim.say(OPENID, "查询 <我的> & 报备")

    assert reply.status == 200
    assert reply.text == "收到：查询 <我的> & 报备"
    assert reply.message.target == OPENID


def test_a_success_body_means_no_reply():
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, _echo_webhook(crypto))

    reply = sim.click(OPENID, "MY_FILINGS")

    assert (reply.status, reply.raw, reply.message, reply.text) == (200, b"success", None, None)


def test_a_reply_with_a_forged_signature_is_refused():
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    good = _echo_webhook(crypto)

    def forging(query: str, body: bytes) -> tuple[int, bytes]:
        status, raw = good(query, body)
        envelope = xmltodict.parse(raw)["xml"]
        return status, raw.replace(envelope["MsgSignature"].encode(), b"f" * 40)

    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, forging)
    with pytest.raises(InvalidSignatureException):
        sim.say(OPENID, "hi")


def test_inbound_messages_parse_as_wechat_messages_with_unique_ids():
    sim = WeChatSimulator(TOKEN, APP_ID, None, _no_transport)

    first = parse_message(sim.text_xml(OPENID, "一 <b> & ]]> 尾"))
    second = parse_message(sim.text_xml(OPENID, "二", create_time=1700000000))
    click = parse_message(sim.event_xml(OPENID, "CLICK", "MENU_FILE"))
    location = parse_message(sim.event_xml(OPENID, "LOCATION"))
    image = parse_message(sim.image_xml(OPENID, media_id="m1"))
    job = parse_message(sim.event_xml(OPENID, "TEMPLATESENDJOBFINISH"))

    assert (first.source, first.target) == (OPENID, OFFICIAL_ACCOUNT_ID)
    assert first.content == "一 <b> & ]]> 尾"
    assert first.id != second.id
    assert second.create_time.timestamp() == 1700000000
    assert (click.event, click.key) == ("click", "MENU_FILE")
    assert location.event == "location" and location.latitude
    assert (image.type, image.media_id) == ("image", "m1")
    assert job.status == "success"


def test_url_handshake_query_carries_a_valid_signature_and_the_echostr():
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, _no_transport)

    query_string, expected = sim.verify_url("5837397520665436492")

    query = _query(query_string)
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    assert query["echostr"] == expected == "5837397520665436492"
