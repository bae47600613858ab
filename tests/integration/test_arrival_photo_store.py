"""The photo store's settlements on both backends: a hash kept exactly, each photo settled
once even when two schedulers race (issue 17 item 3)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from models import evidence
from models.arrival_entities import Arrival, ArrivalStatus
from models.db import make_session_factory
from models.entities import DecisionLogEntry, Project, Staff
from models.evidence_entities import ArrivalPhoto, PhotoStatus
from models.privacy import scrub
from tests.moments import TZ, at

pytestmark = pytest.mark.integration

WINDOW = timedelta(minutes=10)


def phone_like_content() -> bytes:
    """Bytes whose sha256 in hex holds eleven digits the phone scrubber would mask."""
    for i in itertools.count():
        content = f"confirmation form {i}".encode()
        digest = hashlib.sha256(content).hexdigest()
        if scrub(digest) != digest:
            return content
    raise AssertionError("unreachable")


def setup_desk_and_arrival(engine: Engine) -> int:
    """Staff 7 (o_desk) of project 1 registered an arrival at 11-23 15:00."""
    with make_session_factory(engine).begin() as session:
        session.add(
            Staff(
                id=7,
                openid="o_desk",
                project_id=1,
                role="frontdesk",
                name="李前台",
                bound_at=at(11, 1),
            )
        )
        arrival = Arrival(
            project_id=1,
            filing_id=12,
            staff_id=7,
            arrived_at=at(11, 23, 15),
            registered_at=at(11, 23, 15),
            late_registration=False,
            full_phone="13812345678",
            client_name="张三",
            remote=False,
            remote_corrected=False,
            reported=True,
            proposed="valid",
            proposed_rule="R2",
            proposed_reason="accepted",
            explanation="",
            status=ArrivalStatus.PENDING,
            override=False,
            policy={},
        )
        session.add(arrival)
        session.flush()
        return arrival.id


def test_a_hash_the_scrubber_would_take_for_a_phone_is_logged_exactly(engine: Engine) -> None:
    with make_session_factory(engine).begin() as session:
        session.add(Project(id=1, code="P1", name="星河湾", policy={}, created_at=at(11, 1)))
    arrival_id = setup_desk_and_arrival(engine)
    evidence.record_photo(
        engine,
        msg_key="m1",
        openid="o_desk",
        media_id="MEDIA",
        pic_url="",
        sent_at=at(11, 23, 15, 5),
        tz=TZ,
    )
    (photo,) = evidence.due_fetches(engine, at(11, 23, 15, 6))
    assert evidence.claim_fetch(engine, photo, at(11, 23, 15, 11))
    assert not evidence.claim_fetch(engine, photo, at(11, 23, 15, 11))  # taken already
    content = phone_like_content()
    digest = evidence.store_fetched(engine, photo.id, content, at(11, 23, 15, 6))
    assert digest == hashlib.sha256(content).hexdigest() and scrub(digest) != digest

    assert evidence.link_stored(engine, at(11, 23, 15, 7), WINDOW) == 1
    assert evidence.link_stored(engine, at(11, 23, 15, 8), WINDOW) == 0  # settled once

    with make_session_factory(engine)() as session:
        (logged,) = session.scalars(
            select(DecisionLogEntry).where(DecisionLogEntry.action == "arrival_photo")
        ).all()
        stored = session.scalars(select(ArrivalPhoto)).one()
        assert (stored.status, stored.arrival_id) == (PhotoStatus.ATTACHED, arrival_id)
        assert stored.content == content
    assert logged.facts["sha256"] == digest
    assert (logged.subject, logged.project_id) == (f"arrival:{arrival_id}", 1)
