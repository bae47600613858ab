"""Staff photos of the signed 来访客户确认单: recorded at once, fetched and attached later.

The webhook only records the image message (``record_photo``, one insert) and names the
arrival it will most likely join (``recent_arrival``); everything slow happens in the
scheduler (``scheduler.evidence``): ``due_fetches``/``claim_fetch`` hand it the photos to
download, ``store_fetched``/``fetch_failed``/``give_up`` settle each download, and
``link_stored`` attaches stored photos to their arrivals by the pure rule in
``models.policy.evidence``, writing each photo's sha256 into the decision log against the
arrival. Every settlement is a compare-and-set on the photo's status, so two schedulers
(a leader and a ``run-once``) never fetch, attach or log one photo twice.

Privacy: the arrival's full phone is read only to be masked for the staff's reply; no
log line or decision log entry carries it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import clock
from models.arrival_entities import Arrival
from models.db import make_session_factory, table_of
from models.entities import DecisionLogEntry
from models.evidence_entities import ArrivalPhoto, PhotoStatus
from models.policy.evidence import PhotoOutcome, PhotoRuling, Recorded, Registered, attach_ruling
from models.privacy import mask_digits, scrub, scrub_json
from models.violation_evidence import arrivals_of, violation_for

logger = logging.getLogger(__name__)
PHOTOS = table_of(ArrivalPhoto)
ERROR_MAX_CHARS = 200


@dataclass(frozen=True)
class ArrivalLabel:
    """An arrival as the staff's reply names it (masked phone, never the full one)."""

    filing_id: int | None
    client_name: str
    phone_mask: str


@dataclass(frozen=True)
class PhotoToFetch:
    id: int
    media_id: str
    sent_at: datetime
    attempts: int
    next_attempt_at: datetime


def record_photo(
    engine: Engine,
    *,
    msg_key: str,
    openid: str,
    media_id: str,
    pic_url: str,
    sent_at: datetime,
    tz: ZoneInfo,
) -> None:
    """Keep an image message for the scheduler; a retry of the message records nothing.

    ``sent_at`` is the message's time (what the window is judged by); the clock's time of
    receipt is kept beside it."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(PHOTOS)
        .values(
            msg_key=msg_key,
            openid=openid,
            media_id=media_id,
            pic_url=pic_url,
            sent_at=sent_at,
            received_at=clock.now(tz),
            status=PhotoStatus.PENDING,
            attempts=0,
            next_attempt_at=sent_at,
        )
        .on_conflict_do_nothing(index_elements=["msg_key"])
    )
    with engine.begin() as conn:
        conn.execute(statement)


def recent_arrival(
    engine: Engine, openid: str, at: datetime, window: timedelta
) -> ArrivalLabel | None:
    """The latest arrival this staff member registered within ``window`` before ``at``: the
    one a photo sent at ``at`` joins (``models.policy.evidence.photo_arrival``)."""
    with make_session_factory(engine)() as session:
        arrival = session.scalars(
            arrivals_of(openid, at - window, at)
            .order_by(Arrival.registered_at.desc(), Arrival.id.desc())
            .limit(1)
        ).first()
        if arrival is None:
            return None
        return ArrivalLabel(arrival.filing_id, arrival.client_name, mask_digits(arrival.full_phone))


def due_fetches(engine: Engine, now: datetime, limit: int = 50) -> list[PhotoToFetch]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                PHOTOS.c.id,
                PHOTOS.c.media_id,
                PHOTOS.c.sent_at,
                PHOTOS.c.attempts,
                PHOTOS.c.next_attempt_at,
            )
            .where(PHOTOS.c.status == PhotoStatus.PENDING, PHOTOS.c.next_attempt_at <= now)
            .order_by(PHOTOS.c.next_attempt_at, PHOTOS.c.id)
            .limit(limit)
        ).all()
    return [
        PhotoToFetch(row.id, row.media_id, row.sent_at, row.attempts, row.next_attempt_at)
        for row in rows
    ]


def claim_fetch(engine: Engine, photo: PhotoToFetch, lease_until: datetime) -> bool:
    """Take the photo for one download (a fetcher that dies leaves it due at ``lease_until``)."""
    return _settle(
        engine, photo.id, PhotoStatus.PENDING, photo.next_attempt_at, next_attempt_at=lease_until
    )


def store_fetched(engine: Engine, photo_id: int, content: bytes, now: datetime) -> str:
    """Keep the file and its sha256 (returned); the photo waits for its arrival."""
    digest = hashlib.sha256(content).hexdigest()
    _settle(
        engine,
        photo_id,
        PhotoStatus.PENDING,
        None,
        status=PhotoStatus.STORED,
        content=content,
        size=len(content),
        sha256=digest,
        fetched_at=now,
        last_error=None,
    )
    return digest


def fetch_failed(engine: Engine, photo: PhotoToFetch, error: str, retry_at: datetime) -> None:
    """A failed download, tried again at ``retry_at``."""
    _settle(
        engine,
        photo.id,
        PhotoStatus.PENDING,
        None,
        attempts=photo.attempts + 1,
        next_attempt_at=retry_at,
        last_error=error[:ERROR_MAX_CHARS],
    )


def give_up(engine: Engine, photo: PhotoToFetch, why: str, now: datetime, facts: dict) -> bool:
    """Never fetched (the media expired, or WeChat refused it for good): logged, kept."""
    ruling = PhotoRuling(PhotoOutcome.GIVEN_UP)
    with make_session_factory(engine).begin() as session:
        done = session.execute(
            update(PHOTOS)
            .where(PHOTOS.c.id == photo.id, PHOTOS.c.status == PhotoStatus.PENDING)
            .values(status=PhotoStatus.GIVEN_UP, decided_at=now, last_error=why[:ERROR_MAX_CHARS])
        ).rowcount
        if done:
            _log(session, now, f"photo:{photo.id}", ruling, {**facts, "why": why}, None)
    if done:
        logger.warning("photo %s given up after %d fetches: %s", photo.id, photo.attempts, why)
    return bool(done)


def link_stored(engine: Engine, now: datetime, window: timedelta) -> int:
    """Attach each stored photo to its arrival, or settle it unattached once its window
    closed; the number of photos settled."""
    with engine.connect() as conn:
        stored = conn.execute(
            select(PHOTOS.c.id, PHOTOS.c.openid, PHOTOS.c.sent_at).where(
                PHOTOS.c.status == PhotoStatus.STORED
            )
        ).all()
    return sum(_link_one(engine, row.id, row.openid, row.sent_at, now, window) for row in stored)


def _link_one(
    engine: Engine, photo_id: int, openid: str, sent_at: datetime, now: datetime, window: timedelta
) -> bool:
    with make_session_factory(engine).begin() as session:
        arrivals = {
            a.id: a
            for a in session.scalars(arrivals_of(openid, sent_at - window, sent_at + window))
        }
        violation = violation_for(session, openid, sent_at, window)
        ruling = attach_ruling(
            sent_at,
            [Registered(a.id, a.registered_at) for a in arrivals.values()],
            window,
            now,
            [Recorded(violation.id, violation.recorded_at)] if violation is not None else [],
        )
        if ruling is None:
            return False  # an arrival may still come
        status = (
            PhotoStatus.ATTACHED
            if ruling.outcome is PhotoOutcome.ATTACHED
            else PhotoStatus.UNATTACHED
        )
        photo = session.execute(
            update(PHOTOS)
            .where(PHOTOS.c.id == photo_id, PHOTOS.c.status == PhotoStatus.STORED)
            .values(
                status=status,
                arrival_id=ruling.arrival_id,
                violation_id=ruling.violation_id,
                decided_at=now,
            )
            .returning(PHOTOS.c.sha256, PHOTOS.c.size, PHOTOS.c.media_id)
        ).first()
        if photo is None:
            return False  # another scheduler settled it first
        arrival = arrivals.get(ruling.arrival_id) if ruling.arrival_id is not None else None
        subject = f"arrival:{arrival.id}" if arrival is not None else f"photo:{photo_id}"
        facts = _link_facts(photo_id, photo, sent_at, arrival)
        project_id = arrival.project_id if arrival is not None else None
        if ruling.violation_id is not None:
            subject, project_id = f"violation:{violation.id}", violation.project_id
            facts["violation_id"] = violation.id
        _log(session, now, subject, ruling, facts, project_id, window)
    logger.info(
        "photo %s %s (arrival %s, violation %s)",
        photo_id,
        status,
        ruling.arrival_id,
        ruling.violation_id,
    )
    return True


def _link_facts(
    photo_id: int, photo: Any, sent_at: datetime, arrival: Arrival | None
) -> dict[str, Any]:
    """What the decision log keeps of a photo's linking: the file's fingerprint and times."""
    facts = {
        "photo_id": photo_id,
        "sha256": photo.sha256,
        "size": photo.size,
        "media_id": photo.media_id,
        "sent_at": sent_at.isoformat(),
    }
    if arrival is not None:
        facts |= {
            "filing_id": arrival.filing_id,
            "registered_at": arrival.registered_at.isoformat(),
        }
    return facts


def _log(
    session: Any,
    now: datetime,
    subject: str,
    ruling: PhotoRuling,
    facts: dict[str, Any],
    project_id: int | None,
    window: timedelta | None = None,
) -> None:
    """Keep the photo's fate in the decision log (R12), its sha256 exactly as computed.

    ``log_decision`` would pass every fact through the phone scrubber, which reads a run of
    eleven decimal digits starting with 1 inside a hex digest as a phone (about one hash in
    forty) and would mask the evidence's own fingerprint; the digest is ours, not typed
    text, so it is kept as is and only the other facts are scrubbed."""
    digest = facts.pop("sha256", None)
    minutes = int(window.total_seconds() // 60) if window is not None else None
    session.add(
        DecisionLogEntry(
            at=now,
            actor="scheduler",
            action="violation_photo" if ruling.violation_id is not None else "arrival_photo",
            subject=subject,
            rule=ruling.rule,
            outcome=ruling.outcome,
            explanation=scrub(ruling.explanation(window)),
            facts={**scrub_json(facts), **({"sha256": digest} if digest else {})},
            project_id=project_id,
            policy={"photo_window_minutes": minutes} if minutes is not None else None,
        )
    )


def _settle(
    engine: Engine,
    photo_id: int,
    current: PhotoStatus,
    due: datetime | None,
    **values: Any,
) -> bool:
    """Update a photo still in ``current`` status (and still due at ``due``, when given)."""
    statement = update(PHOTOS).where(PHOTOS.c.id == photo_id, PHOTOS.c.status == current)
    if due is not None:
        statement = statement.where(PHOTOS.c.next_attempt_at == due)
    with engine.begin() as conn:
        return bool(conn.execute(statement.values(**values)).rowcount)
