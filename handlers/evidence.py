"""A staff member's photo: recorded at once, fetched and attached by the scheduler (R5).

Only staff send evidence: an image from an agent or a stranger, or any image while the
feature is off (``evidence.photo_window_minutes = 0``), gets the usual text-only reply and
nothing is stored. The webhook's 5 seconds cover one lookup of the sender, one insert and
one indexed read of their latest arrival; the download happens in ``scheduler.evidence``.
"""

from __future__ import annotations

from typing import Any

from handlers import replies, replies_evidence
from handlers.context import Inbound
from models import evidence, violation_evidence
from models.identity import identify
from models.services import Services


def receive_photo(message: Any, services: Services, inbound: Inbound) -> str:
    """Record a staff photo for the scheduler and say which record it will join: the
    sender's most recent, a violation a manager just recorded (R11) or an arrival."""
    window = services.settings.evidence.window
    if window is None or not identify(services.engine, inbound.openid).is_staff:
        return replies.UNSUPPORTED
    evidence.record_photo(
        services.engine,
        msg_key=inbound.msg_key,
        openid=inbound.openid,
        media_id=str(message.media_id or ""),
        pic_url=str(message.image or ""),
        sent_at=inbound.now,
        tz=services.tz,
    )
    violation = violation_evidence.recent_violation(
        services.engine, inbound.openid, inbound.now, window
    )
    if violation is not None:
        return replies_evidence.photo_for_violation(violation)
    arrival = evidence.recent_arrival(services.engine, inbound.openid, inbound.now, window)
    if arrival is not None:
        return replies_evidence.photo_for_arrival(arrival)
    return replies_evidence.photo_before_arrival(window)
