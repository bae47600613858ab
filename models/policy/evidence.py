"""Which arrival a staff member's photo belongs to, and when its fetch is given up (R5, R10).

The case site's evidence of a visit is the client's signed 来访客户确认单 (seed 000): the
front desk photographs it and sends the photo to the account around the time it registers
the arrival, before or after. A photo is attached to an arrival the same staff member
registered within the window around the photo's sending time; the arrival's registration
time (when the desk sent ``到访``) is what counts, not a late-typed arrival time. When
several arrivals qualify, the desk's usual order decides: register, then photograph the
signed form, so the latest arrival registered before the photo wins; failing that, the
first one registered after it.

A manager photographs the scene of a violation (R11) after recording it with ``违规``: a
photo goes to its sender's most recent record, so a violation the sender recorded within
the window before the photo takes it, unless they registered an arrival later still.

WeChat keeps a user's media for 3 days: a fetch that keeps failing is retried with a
doubling wait and given up once the media has expired. Pure: times are arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: A photo's window is judged closed this long after it ends, so an arrival sent at the
#: window's last second but stored a moment later is still seen.
WINDOW_GRACE = timedelta(minutes=1)
EVIDENCE_RULE = "R5"  # the confirmation of a visit; R10.2 weighs it in a claim
VIOLATION_RULE = "R11"  # the evidence of a violation


class PhotoOutcome(StrEnum):
    """How a photo ended: attached to an arrival, or why not."""

    ATTACHED = "attached"
    UNATTACHED = "unattached"  # no arrival by its sender within the window
    GIVEN_UP = "given_up"  # never fetched: the media expired, or WeChat refused it for good


@dataclass(frozen=True)
class Registered:
    """An arrival as the photo rule sees it: which, and when the desk registered it."""

    arrival_id: int
    registered_at: datetime


@dataclass(frozen=True)
class Recorded:
    """A violation as the photo rule sees it: which, and when its manager recorded it."""

    violation_id: int
    recorded_at: datetime


@dataclass(frozen=True)
class PhotoRuling:
    """Where a photo goes, under which rule, with the decision log's words."""

    outcome: PhotoOutcome
    arrival_id: int | None = None
    rule: str = EVIDENCE_RULE
    violation_id: int | None = None

    def explanation(self, window: timedelta | None) -> str:
        minutes = int(window.total_seconds() // 60) if window is not None else 0
        if self.violation_id is not None:
            return f"现场照片作为违规证据附于违规记录（同一案场经理{minutes}分钟内记录）"
        if self.outcome is PhotoOutcome.ATTACHED:
            return f"来访客户确认单照片附于到访登记（同一案场人员前后{minutes}分钟内登记）"
        if self.outcome is PhotoOutcome.UNATTACHED:
            return f"照片前后{minutes}分钟内没有同一案场人员登记的到访，未附于任何到访登记"
        return "照片未能从微信下载（媒体文件已过期或被拒绝），放弃下载"


def photo_arrival(
    photo_at: datetime, arrivals: Sequence[Registered], window: timedelta
) -> Registered | None:
    """The arrival a photo sent at ``photo_at`` belongs to, among its sender's arrivals.

    Window 10 min. Registered 10:20, photo 10:25 -> that arrival; photo 10:12, registered
    10:20 -> that arrival (photographed first); photo 10:31 -> none (11 min after).
    Registered 10:20 and 10:24, photo 10:26 -> the 10:24 one (latest before the photo);
    photo 10:18, registered 10:20 and 10:27 -> the 10:20 one (first after it).
    """
    before = [a for a in arrivals if photo_at - window <= a.registered_at <= photo_at]
    if before:
        return max(before, key=lambda a: (a.registered_at, a.arrival_id))
    after = [a for a in arrivals if photo_at < a.registered_at <= photo_at + window]
    return min(after, key=lambda a: (a.registered_at, a.arrival_id)) if after else None


def photo_violation(
    photo_at: datetime,
    arrivals: Sequence[Registered],
    violations: Sequence[Recorded],
    window: timedelta,
) -> Recorded | None:
    """The violation a photo is evidence of: the latest its sender recorded within
    ``window`` before it, unless they registered an arrival after that violation and
    before the photo (the sender's most recent record takes the photo).

    Window 10 min. 违规 10:20, photo 10:25 -> the violation; photo 10:31 -> none (11 min);
    违规 10:20, arrival 10:22, photo 10:25 -> the arrival's; arrival 10:20, 违规 10:22,
    photo 10:25 -> the violation. A photo before the 违规 is not its evidence.
    """
    before = [v for v in violations if photo_at - window <= v.recorded_at <= photo_at]
    if not before:
        return None
    latest = max(before, key=lambda v: (v.recorded_at, v.violation_id))
    if any(latest.recorded_at < a.registered_at <= photo_at for a in arrivals):
        return None
    return latest


def attach_ruling(
    photo_at: datetime,
    arrivals: Sequence[Registered],
    window: timedelta,
    now: datetime,
    violations: Sequence[Recorded] = (),
) -> PhotoRuling | None:
    """Attach to the sender's violation or arrival when one qualifies; ``UNATTACHED``
    once none can any more (the window closed, with ``WINDOW_GRACE``); None while an
    arrival may still come."""
    violation = photo_violation(photo_at, arrivals, violations, window)
    if violation is not None:
        return PhotoRuling(
            PhotoOutcome.ATTACHED, rule=VIOLATION_RULE, violation_id=violation.violation_id
        )
    found = photo_arrival(photo_at, arrivals, window)
    if found is not None:
        return PhotoRuling(PhotoOutcome.ATTACHED, found.arrival_id)
    if now >= photo_at + window + WINDOW_GRACE:
        return PhotoRuling(PhotoOutcome.UNATTACHED)
    return None


def media_expired(sent_at: datetime, now: datetime, keep: timedelta) -> bool:
    """Sent 11-22 10:00, kept 72 h -> expired from 11-25 10:00: the fetch is given up."""
    return now >= sent_at + keep


def fetch_backoff(attempts: int, base: timedelta, cap: timedelta | None) -> timedelta:
    """The wait after the ``attempts``-th failed fetch: base, 2x base, 4x base... capped."""
    wait: timedelta = base * (2 ** max(attempts - 1, 0))
    return min(wait, cap) if cap is not None else wait
