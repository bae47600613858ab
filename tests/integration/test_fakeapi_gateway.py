"""The gateway against the fake WeChat API over real HTTP, with the token in real Redis."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
import requests

from bot.fakeapi import FAKE_JPEG, FakeState, FakeWeChatServer
from bot.wechat import DeliveryError, WeChatApi
from models.settings import Settings, load_settings
from tests.conftest import APP_ID as CONFTEST_APP_ID
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration

APP_ID = "wx1234567890abcdef"
SECRET = "s3cret"


@pytest.fixture
def fake() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer(FakeState(APP_ID, SECRET)) as server:
        yield server


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


def settings_for(url: str, prefix: str, secret: str = SECRET) -> Settings:
    return load_settings(
        overrides={
            "wechat": {
                "api_base_url": url,
                "app_id": APP_ID,
                "app_secret": secret,
                "api_timeout_seconds": 2.0,
            },
            "redis": {"prefix": prefix},
        },
        environ={},
    )


@pytest.fixture
def gateway(fake, redis_client, prefix) -> WeChatApi:
    return WeChatApi(settings_for(fake.url, prefix), redis_client)


def test_two_gateways_sharing_redis_fetch_the_token_once(fake, redis_client, prefix):
    web = WeChatApi(settings_for(fake.url, prefix), redis_client)
    scheduler = WeChatApi(settings_for(fake.url, prefix), redis_client)

    web.send_text("oA", "一")
    scheduler.send_text("oB", "二")
    web.send_text("oA", "三")

    assert fake.state.token_fetches == 1
    assert fake.state.stats() == {"token_fetches": 1, "sent_count": 3}


def test_the_fake_records_each_push_with_recipient_and_content(fake, gateway):
    gateway.send_text("oA", "报备成功：张三")
    msgid = gateway.send_template("oA", "TPL_1", {"thing1": {"value": "到访提醒"}}, url="https://x")

    text, template = fake.state.sends_to("oA")
    assert (text["kind"], text["touser"]) == ("custom", "oA")
    assert text["payload"]["text"]["content"] == "报备成功：张三"
    assert (template["kind"], template["payload"]["template_id"]) == ("template", "TPL_1")
    assert template["payload"]["data"]["thing1"]["value"] == "到访提醒"
    assert isinstance(msgid, int)


def test_an_invalid_credential_refreshes_once_and_the_message_arrives_once(fake, gateway):
    gateway.send_text("oA", "warm up")
    fake.state.fail("message/custom/send", 40001)

    gateway.send_text("oB", "after refresh")

    assert fake.state.token_fetches == 2
    assert [s["payload"]["text"]["content"] for s in fake.state.sends_to("oB")] == ["after refresh"]


def test_a_second_token_error_after_the_refresh_is_retryable(fake, gateway):
    fake.state.fail("message/custom/send", 42001, times=2)

    with pytest.raises(DeliveryError) as caught:
        gateway.send_text("oA", "x")

    assert (caught.value.errcode, caught.value.retryable) == (42001, True)
    assert fake.state.token_fetches == 2


def test_frequency_limit_is_retryable_and_nothing_is_recorded(fake, gateway):
    fake.state.fail("message/custom/send", 45009)

    with pytest.raises(DeliveryError) as caught:
        gateway.send_text("oA", "x")

    assert (caught.value.errcode, caught.value.retryable) == (45009, True)
    assert fake.state.sent == []


@pytest.mark.parametrize("errcode", [43004, 40003, 45015])
def test_recipient_errors_are_not_retryable(fake, gateway, errcode):
    fake.state.fail("message/custom/send", errcode)

    with pytest.raises(DeliveryError) as caught:
        gateway.send_text("oA", "x")

    assert (caught.value.errcode, caught.value.retryable) == (errcode, False)


def test_a_user_who_unfollowed_gets_43004_from_the_fake(fake, gateway):
    fake.state.unfollow("oGone")

    with pytest.raises(DeliveryError) as caught:
        gateway.send_template("oGone", "TPL_1", {})

    assert (caught.value.errcode, caught.value.retryable) == (43004, False)


def test_http_500_is_a_retryable_delivery_error(fake, gateway):
    fake.state.fail_http("message/template/send", 500)

    with pytest.raises(DeliveryError) as caught:
        gateway.send_template("oA", "TPL_1", {})

    assert (caught.value.errcode, caught.value.retryable) == (None, True)
    assert "500" in caught.value.errmsg


def test_an_unreachable_api_is_a_retryable_delivery_error(prefix):
    server = FakeWeChatServer()
    url = server.start()
    server.stop()

    with pytest.raises(DeliveryError) as caught:
        WeChatApi(settings_for(url, prefix)).send_text("oA", "x")

    assert caught.value.retryable


def test_an_unreachable_token_store_is_a_retryable_delivery_error(fake, prefix):
    nowhere = redis.Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.5)

    with pytest.raises(DeliveryError) as caught:
        WeChatApi(settings_for(fake.url, prefix), nowhere).send_text("oA", "x")

    assert caught.value.retryable
    assert fake.state.sent == []


def test_a_wrong_secret_is_not_retryable(fake, prefix):
    with pytest.raises(DeliveryError) as caught:
        WeChatApi(settings_for(fake.url, prefix, secret="wrong")).send_text("oA", "x")

    assert (caught.value.errcode, caught.value.retryable) == (40125, False)


def test_without_redis_sending_works_from_memory(fake, prefix):
    gateway = WeChatApi(settings_for(fake.url, prefix), None)

    gateway.send_text("oA", "一")
    gateway.send_text("oA", "二")

    assert fake.state.token_fetches == 1
    assert len(fake.state.sends_to("oA")) == 2


def test_unshared_tokens_knock_each_other_out_and_recover_through_a_refresh(fake, prefix):
    first = WeChatApi(settings_for(fake.url, prefix), None)
    second = WeChatApi(settings_for(fake.url, prefix), None)

    first.send_text("oA", "1")
    second.send_text("oA", "2")  # invalidates first's token
    first.send_text("oA", "3")

    assert fake.state.token_fetches == 3
    assert len(fake.state.sends_to("oA")) == 3


def test_threads_forcing_a_refresh_at_once_fetch_one_token(fake, redis_client, prefix):
    # Two would do; four makes a missing lock fail every time, not most times.
    gateways = [WeChatApi(settings_for(fake.url, prefix), redis_client) for _ in range(4)]
    stale = gateways[0].access_token()
    start = threading.Barrier(len(gateways))
    tokens: list[str] = []

    def refresh(gateway: WeChatApi) -> None:
        start.wait()
        tokens.append(gateway.refresh_token(stale=stale))

    threads = [threading.Thread(target=refresh, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert fake.state.token_fetches == 2  # the first fetch, then exactly one refresh
    assert len(set(tokens)) == 1 and tokens[0] != stale
    gateways[1].send_text("oA", "still works")
    assert fake.state.token_fetches == 2


def test_ensure_tag_is_idempotent_and_tags_users_in_batches(fake, gateway):
    tag_id = gateway.ensure_tag("分销商")
    assert gateway.ensure_tag("分销商") == tag_id
    openids = [f"o{i:03d}" for i in range(120)]

    gateway.tag_users(tag_id, openids)

    assert len(fake.state.tags) == 1
    assert fake.state.tags[tag_id]["openids"] == set(openids)


def test_untagging_takes_the_tag_off_in_batches_and_an_invalid_tag_is_not_retryable(
    fake, gateway
):
    tag_id = gateway.ensure_tag("案场人员")
    openids = [f"o_{n}" for n in range(120)]
    gateway.tag_users(tag_id, openids)
    gateway.untag_users(tag_id, openids[:110])
    assert fake.state.tags[tag_id]["openids"] == set(openids[110:])
    assert [len(batch) for batch in fake.state.untag_batches] == [50, 50, 10]
    with pytest.raises(DeliveryError) as caught:
        gateway.untag_users(999999, ["o_1"])
    assert caught.value.errcode == 45159 and not caught.value.retryable


def test_menus_and_media(fake, gateway):
    button = {"type": "click", "name": "我的报备", "key": "MY_FILINGS"}
    gateway.create_menu({"button": [button]})
    menuid = gateway.add_conditional_menu({"button": [button], "matchrule": {"tag_id": "100"}})

    assert fake.state.menus["menu"] == {"button": [button]}
    assert fake.state.menus["conditional"][0]["menuid"] == menuid
    assert gateway.download_media("MEDIA_1") == FAKE_JPEG


def test_control_endpoints_steer_the_fake_from_another_process(fake, gateway):
    requests.post(
        f"{fake.url}/_fake/fail", json={"path": "message/custom/send", "errcode": 45009}, timeout=5
    )
    with pytest.raises(DeliveryError):
        gateway.send_text("oA", "x")
    gateway.send_text("oA", "y")

    sent = requests.get(f"{fake.url}/_fake/sent", params={"touser": "oA"}, timeout=5).json()
    assert [s["payload"]["text"]["content"] for s in sent] == ["y"]
    assert requests.get(f"{fake.url}/_fake/stats", timeout=5).json() == {
        "token_fetches": 1,
        "sent_count": 1,
    }
    requests.post(f"{fake.url}/_fake/reset", timeout=5)
    assert fake.state.stats() == {"token_fetches": 0, "sent_count": 0}


def test_the_fake_run_as_a_module_receives_a_push_and_shows_it(prefix):
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.fakeapi", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")

        WeChatApi(settings_for(url, prefix), None).send_text("oA", "报备成功 #1")

        sent = requests.get(f"{url}/_fake/sent", params={"touser": "oA"}, timeout=5).json()
        assert [s["payload"]["text"]["content"] for s in sent] == ["报备成功 #1"]
        stats = requests.get(f"{url}/_fake/stats", timeout=5).json()
        assert stats == {"token_fetches": 1, "sent_count": 1}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert process.returncode == 0


def test_an_api_timeout_of_zero_means_no_timeout_and_calls_go_through(
    fake_wechat: FakeWeChatServer,
) -> None:
    """0 = off: urllib3 refuses a timeout of 0, so "off" must reach it as no timeout."""
    settings = load_settings(
        overrides={
            "wechat": {
                "api_base_url": fake_wechat.url,
                "app_id": CONFTEST_APP_ID,
                "app_secret": "test-secret",
                "api_timeout_seconds": 0,
            },
            "redis": {"prefix": f"test-{uuid.uuid4().hex}"},
        },
        environ={},
    )
    openid = f"o_no_timeout_{uuid.uuid4().hex[:8]}"

    WeChatApi(settings, None).send_text(openid, "没有超时")

    sent = fake_wechat.state.sends_to(openid)
    assert [push["payload"]["text"]["content"] for push in sent] == ["没有超时"]


def test_an_uploaded_image_is_sent_as_a_customer_service_image(fake, gateway):
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    media_id = gateway.upload_image(picture, "funnel.png")
    gateway.send_image("o_manager", media_id)

    assert fake.state.uploads[media_id] == {
        "type": "image",
        "filename": "funnel.png",
        "data": picture,
    }
    (sent,) = fake.state.sends_to("o_manager")
    assert sent["payload"] == {
        "touser": "o_manager",
        "msgtype": "image",
        "image": {"media_id": media_id},
    }


def test_an_upload_refused_or_busy_and_an_unknown_image_are_told_apart(fake, gateway):
    fake.state.fail("media/upload", -1)
    with pytest.raises(DeliveryError) as busy:
        gateway.upload_image(b"png", "funnel.png")
    with pytest.raises(DeliveryError) as unknown:
        gateway.send_image("o_manager", "media-never-uploaded")
    fake.state.fail_http("media/upload", 502)
    with pytest.raises(DeliveryError) as down:
        gateway.upload_image(b"png", "funnel.png")

    assert (busy.value.errcode, busy.value.retryable) == (-1, True)
    assert (unknown.value.errcode, unknown.value.retryable) == (40007, False)
    assert (down.value.errcode, down.value.retryable) == (None, True)
    assert fake.state.uploads == {} and fake.state.sends_to("o_manager") == []
