"""Staff photos of the signed 来访客户确认单 attached to arrivals (issue 17 item 3), through
the webhook, fetched by ``flask --app bot scheduler run-once`` from the fake WeChat API.

The arrivals are registered with ``到访 #<编号> <手机号>`` through the webhook, as a desk does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.fakeapi import FAKE_JPEG, FakeWeChatServer
from handlers import replies
from models.arrival_entities import Arrival
from models.db import make_session_factory
from models.entities import DecisionLogEntry
from models.evidence_entities import ArrivalPhoto, PhotoStatus
from tests.conftest import Rig
from tests.moments import at
from tests.people import Cast, Person, files

pytestmark = pytest.mark.e2e
Travel = Callable[[datetime], None]
PHONE = "13812345678"
HASH = hashlib.sha256(FAKE_JPEG).hexdigest()


@pytest.fixture
def fake(fake_wechat: FakeWeChatServer) -> Iterator[FakeWeChatServer]:
    """The fake API, with no injected failure left behind for the next test."""
    yield fake_wechat
    fake_wechat.state.reset()


@pytest.fixture
def filed(travel: Travel, jia: Person) -> int:
    """张三, filed by 甲's agent on 11-22 10:00 (local, expected 11-23 15:00)."""
    travel(at(11, 22, 10, 0))
    return files(jia, f"报备 P1 张三 {PHONE} 本地 明天 15:00")


def send_photo(person: Person, media_id: str = "MEDIA_confirmation_form") -> str:
    reply = person.wechat.send(person.wechat.image_xml(person.openid, media_id=media_id))
    assert reply.status == 200 and reply.text is not None, reply.raw
    return reply.text


def register(desk: Person, engine: Engine, number: int) -> int:
    """The desk registers 张三's arrival now; the arrival's id."""
    reply = desk.text(f"到访 #{number} {PHONE}")
    assert "到访登记" in reply or "有效" in reply or "自然到访" in reply, reply
    with engine.connect() as conn:
        found = conn.scalar(
            select(Arrival.id).where(Arrival.filing_id == number).order_by(Arrival.id.desc())
        )
    assert found is not None, reply
    return int(found)


def run_once(cli: Callable[..., Any], travel: Travel, moment: datetime) -> None:
    travel(moment)
    result = cli("scheduler", "run-once")
    assert result.exit_code == 0, result.output


def photos(engine: Engine) -> list[ArrivalPhoto]:
    with make_session_factory(engine)() as session:
        return list(session.scalars(select(ArrivalPhoto).order_by(ArrivalPhoto.id)))


def photo_decisions(engine: Engine) -> list[DecisionLogEntry]:
    with make_session_factory(engine)() as session:
        query = select(DecisionLogEntry).where(DecisionLogEntry.action == "arrival_photo")
        return list(session.scalars(query.order_by(DecisionLogEntry.id)))


def stored_content(engine: Engine, photo_id: int) -> bytes | None:
    with engine.connect() as conn:
        return conn.scalar(select(ArrivalPhoto.content).where(ArrivalPhoto.id == photo_id))


def assert_attached(engine: Engine, arrival_id: int) -> None:
    (photo,) = photos(engine)
    assert (photo.status, photo.arrival_id, photo.sha256) == (
        PhotoStatus.ATTACHED,
        arrival_id,
        HASH,
    )
    assert stored_content(engine, photo.id) == FAKE_JPEG
    (logged,) = photo_decisions(engine)
    assert (logged.subject, logged.rule, logged.outcome) == (
        f"arrival:{arrival_id}",
        "R5",
        "attached",
    )
    assert logged.facts["sha256"] == HASH and logged.facts["photo_id"] == photo.id
    assert logged.policy == {"photo_window_minutes": 10}
    assert PHONE not in str(logged.facts) + logged.explanation


def test_a_photo_then_an_arrival_by_the_same_desk_is_attached_with_its_hash_logged(
    cli: Callable[..., Any], travel: Travel, desk: Person, filed: int, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 14, 57))
    reply = send_photo(desk)
    assert reply.startswith("已收到照片。请在10分钟内登记到访"), reply
    (photo,) = photos(engine)
    assert (photo.status, photo.openid, photo.media_id) == (
        PhotoStatus.PENDING,
        desk.openid,
        "MEDIA_confirmation_form",
    )
    assert photo.sent_at == at(11, 23, 14, 57)

    travel(at(11, 23, 15, 0))
    arrival = register(desk, engine, filed)
    run_once(cli, travel, at(11, 23, 15, 1))

    assert_attached(engine, arrival)


def test_an_arrival_then_a_photo_names_the_arrival_and_is_attached(
    cli: Callable[..., Any], travel: Travel, desk: Person, filed: int, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 15, 0))
    arrival = register(desk, engine, filed)
    travel(at(11, 23, 15, 5))

    reply = send_photo(desk)

    assert reply == f"已收到照片，将作为来访客户确认单附在 #{filed} 张三 138****5678 的到访登记上。"
    run_once(cli, travel, at(11, 23, 15, 6))
    assert_attached(engine, arrival)


def test_a_photo_eleven_minutes_after_the_arrival_is_not_attached(
    cli: Callable[..., Any], travel: Travel, desk: Person, filed: int, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 15, 0))
    register(desk, engine, filed)
    travel(at(11, 23, 15, 11))
    assert send_photo(desk).startswith("已收到照片。请在10分钟内登记到访")

    run_once(cli, travel, at(11, 23, 15, 12))
    (photo,) = photos(engine)
    assert (photo.status, photo.sha256) == (PhotoStatus.STORED, HASH)  # an arrival may come

    run_once(cli, travel, at(11, 23, 15, 22))
    (photo,) = photos(engine)
    assert (photo.status, photo.arrival_id) == (PhotoStatus.UNATTACHED, None)
    (logged,) = photo_decisions(engine)
    assert (logged.subject, logged.outcome) == (f"photo:{photo.id}", "unattached")
    assert logged.facts["sha256"] == HASH


def test_a_photo_from_another_desk_is_not_attached_to_this_desks_arrival(
    cli: Callable[..., Any],
    travel: Travel,
    cast: Cast,
    desk: Person,
    filed: int,
    engine: Engine,
    fake: Any,
) -> None:
    other = cast.staff("P1", "frontdesk", "王前台")
    travel(at(11, 23, 15, 0))
    register(desk, engine, filed)
    travel(at(11, 23, 15, 2))

    assert send_photo(other).startswith("已收到照片。请在10分钟内登记到访")

    run_once(cli, travel, at(11, 23, 15, 14))
    (photo,) = photos(engine)
    assert (photo.openid, photo.status, photo.arrival_id) == (
        other.openid,
        PhotoStatus.UNATTACHED,
        None,
    )


def test_an_image_from_an_agent_or_a_stranger_gets_the_text_only_reply_and_is_not_kept(
    travel: Travel, jia: Person, wechat: Any, engine: Engine
) -> None:
    travel(at(11, 23, 15, 0))
    stranger = Person("o_stranger_photo", wechat)

    assert send_photo(jia) == replies.UNSUPPORTED
    assert send_photo(stranger) == replies.UNSUPPORTED
    assert photos(engine) == []


def test_a_failing_fetch_is_retried_after_its_backoff_then_attached(
    cli: Callable[..., Any], travel: Travel, desk: Person, filed: int, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 15, 0))
    arrival = register(desk, engine, filed)
    travel(at(11, 23, 15, 3))
    send_photo(desk)
    fake.state.fail("media/get", -1)  # WeChat busy, once

    run_once(cli, travel, at(11, 23, 15, 4))
    (photo,) = photos(engine)
    assert (photo.status, photo.attempts) == (PhotoStatus.PENDING, 1)
    assert photo.next_attempt_at == at(11, 23, 15, 5)  # 60 s later
    assert photo.last_error is not None and photo.last_error.startswith("-1")
    run_once(
        cli,
        travel,
        at(
            11,
            23,
            15,
            4,
        )
        + timedelta(seconds=30),
    )  # not due yet
    assert photos(engine)[0].attempts == 1

    run_once(cli, travel, at(11, 23, 15, 5))

    assert_attached(engine, arrival)


def test_a_fetch_failing_until_the_media_expired_is_given_up_and_logged(
    cli: Callable[..., Any], travel: Travel, desk: Person, filed: int, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 15, 0))
    register(desk, engine, filed)
    send_photo(desk)
    fake.state.fail_http("media/get", 502, times=100)

    run_once(cli, travel, at(11, 23, 15, 1))
    run_once(cli, travel, at(11, 23, 15, 3))
    assert photos(engine)[0].attempts == 2

    run_once(cli, travel, at(11, 26, 15, 0))  # WeChat kept the media 72 hours

    (photo,) = photos(engine)
    assert (photo.status, photo.arrival_id, photo.sha256) == (PhotoStatus.GIVEN_UP, None, None)
    (logged,) = photo_decisions(engine)
    assert (logged.subject, logged.outcome) == (f"photo:{photo.id}", "given_up")
    assert logged.facts["media_id"] == "MEDIA_confirmation_form"


def test_a_media_id_wechat_refuses_is_given_up_at_once(
    cli: Callable[..., Any], travel: Travel, desk: Person, engine: Engine, fake: Any
) -> None:
    travel(at(11, 23, 15, 0))
    send_photo(desk)
    fake.state.fail("media/get", 40007)  # invalid media_id

    run_once(cli, travel, at(11, 23, 15, 1))

    (photo,) = photos(engine)
    assert photo.status == PhotoStatus.GIVEN_UP and photo.last_error.startswith("40007")


def test_with_the_window_off_a_staff_photo_gets_the_text_only_reply(
    custom_app: Callable[..., Rig],
) -> None:
    rig = custom_app(evidence={"photo_window_minutes": 0})
    cast = Cast(rig.cli, rig.wechat)
    cast.project("P1", "星河湾")
    desk = cast.staff("P1", "frontdesk", "李前台")

    assert send_photo(desk) == replies.UNSUPPORTED
    assert photos(rig.engine) == []
