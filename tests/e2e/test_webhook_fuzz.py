"""Property tests of the XML entry point: odd input never crashes and never leaks a phone."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.simulator import WeChatSimulator, flask_transport
from handlers import replies
from models.entities import Filing
from tests.conftest import AES_KEY, APP_ID, TOKEN, Rig
from tests.people import agent_of

pytestmark = pytest.mark.e2e

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ELEVEN_DIGITS = re.compile(r"\d{11}")
GRAMMAR_BITS = st.sampled_from(
    [
        "报备",
        "带看",
        "改约",
        "查询",
        "取消",
        "绑定",
        "到访",
        "帮助",
        "P1",
        "#",
        "＃12",
        "本地",
        "异地",
        "明天",
        "下午3点",
        "15:00",
        "２０２６-１１-２２",
        "138****5678",
        "13812345678",
        "，",
        "：",
        "\n",
        " ",
        "客户：",
        "电话：",
        "]]>",
        "<xml>",
        "&amp;",
        "😀",
    ]
)


@pytest.fixture
def fuzz_app(custom_app: Callable[..., Rig]) -> Flask:
    """A bound agent (o_fuzz) with a project, so fuzzed commands reach the handlers."""
    rig = custom_app(app={"rate_limit_per_minute": 0})
    agent_of(rig)  # project P1 and distributor 甲
    code = rig.cli("distributor", "invite", "甲房产经纪有限公司").output.split()[-1]
    assert "绑定成功" in (rig.wechat.say("o_fuzz", f"绑定 {code} 王小明").text or "")
    return rig.app


def filings(app: Flask) -> int:
    with app.extensions["baobei"]["services"].engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Filing)) or 0


@FUZZ
@given(body=st.binary(max_size=2000))
def test_any_signed_body_gets_200_or_4xx_and_a_4xx_stores_nothing(
    fuzz_app: Flask, body: bytes
) -> None:
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(fuzz_app.test_client()))
    query, _ = sim.sign_and_wrap(sim.text_xml("o_fuzz", "x"))
    before = filings(fuzz_app)
    response = fuzz_app.test_client().post(f"/wechat?{query}", data=body)
    assert response.status_code == 200 or 400 <= response.status_code < 500
    if response.status_code != 200:
        assert filings(fuzz_app) == before


# XML 1.0 cannot carry control characters, so WeChat never sends them.
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.just("\n"), max_size=300)


@FUZZ
@given(
    content=st.one_of(
        XML_TEXT,
        st.lists(GRAMMAR_BITS, max_size=12).map("".join),
        st.lists(GRAMMAR_BITS, max_size=12).map(" ".join),
    )
)
def test_any_text_an_agent_sends_gets_a_reply_and_no_full_phone(
    fuzz_app: Flask, content: str
) -> None:
    sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(fuzz_app.test_client()))
    reply = sim.say("o_fuzz", content)
    assert reply.status == 200
    assert reply.text, "every text message is answered"
    assert reply.text != replies.SYSTEM_BUSY, f"a handler crashed on {content!r}"
    assert not ELEVEN_DIGITS.search(reply.text)
    assert len(reply.text.encode()) <= replies.REPLY_LIMIT_BYTES
