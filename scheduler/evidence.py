"""The scheduler's photo job: fetch staff photos from WeChat, store them, attach them (R5).

Off the webhook's path: the webhook only recorded each image message. Every run

1. downloads each photo that is due (``media/get``), stores the file and its sha256 in the
   database. A download that fails for a reason that may pass (no answer, busy, a token
   that another process renewed) is tried again after ``fetch_backoff_seconds``, doubled
   per try up to ``fetch_backoff_max_seconds``. One WeChat refuses for good (40007: the
   media id is unknown or expired), or one still failing once WeChat no longer keeps the
   media (``media_keep_hours``, 3 days), is given up: logged and kept in the decision log.
2. attaches each stored photo to the arrival its sender registered within
   ``photo_window_minutes`` (``models.policy.evidence``), writing the hash in the decision
   log against the arrival; a photo with no arrival once the window closed is logged as
   unattached.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.wechat import DeliveryError, WeChatApi
from models import evidence
from models.evidence import PhotoToFetch
from models.policy.evidence import fetch_backoff, media_expired
from models.services import Services
from models.settings import EvidenceSettings
from scheduler.outbox import _redis as token_store

logger = logging.getLogger(__name__)
FETCH_LEASE = timedelta(minutes=5)  # a fetcher that died leaves its photo due again then


def fetch_and_attach_photos(services: Services, now: datetime) -> int:
    """The job: photos fetched plus photos settled (attached or not) in this run."""
    settings = services.settings.evidence
    if settings.window is None:
        return 0
    due = evidence.due_fetches(services.engine, now)
    fetched = 0
    if due:
        api = WeChatApi(services.settings, token_store(services.settings))
        fetched = sum(_fetch(services, api, photo, now, settings) for photo in due)
    return fetched + evidence.link_stored(services.engine, now, settings.window)


def _fetch(
    services: Services, api: WeChatApi, photo: PhotoToFetch, now: datetime, limits: EvidenceSettings
) -> bool:
    """One download, settled by its outcome; True when the file was stored."""
    engine = services.engine
    facts = {"media_id": photo.media_id, "sent_at": photo.sent_at.isoformat()}
    if media_expired(photo.sent_at, now, limits.keep):
        evidence.give_up(engine, photo, "media expired before it was fetched", now, facts)
        return False
    if not evidence.claim_fetch(engine, photo, now + FETCH_LEASE):
        return False  # another scheduler took it
    try:
        content = api.download_media(photo.media_id)
    except DeliveryError as error:
        why = f"{error.errcode} {error.errmsg}"
        if not error.retryable:
            evidence.give_up(engine, photo, why, now, {**facts, "errcode": error.errcode})
            return False
        retry_at = now + fetch_backoff(photo.attempts + 1, limits.backoff_base, limits.backoff_cap)
        evidence.fetch_failed(engine, photo, why, retry_at)
        logger.info("photo %s fetch failed (%s), next try at %s", photo.id, why, retry_at)
        return False
    evidence.store_fetched(engine, photo.id, content, now)
    # the hash goes to the decision log, not here: the log scrubber could mask part of it
    logger.info("photo %s fetched: %d bytes", photo.id, len(content))
    return True
