"""What staff hear when they send a photo (the signed 来访客户确认单), in Chinese.

Kept apart from ``handlers/replies.py`` only so the evidence feature's words sit together;
the same rules hold: phones appear as masks, and the window is the configured one.
"""

from __future__ import annotations

from datetime import timedelta

from models.evidence import ArrivalLabel
from models.policy.violation_wording import KIND_WORDS
from models.policy.violations import ViolationKind
from models.violation_evidence import ViolationLabel


def _minutes(window: timedelta) -> int:
    return int(window.total_seconds() // 60)


def photo_for_arrival(arrival: ArrivalLabel) -> str:
    """The photo follows an arrival this staff member registered within the window."""
    number = f"#{arrival.filing_id} " if arrival.filing_id is not None else ""
    return (
        f"已收到照片，将作为来访客户确认单附在 {number}{arrival.client_name} "
        f"{arrival.phone_mask} 的到访登记上。"
    )


def photo_before_arrival(window: timedelta) -> str:
    """No arrival registered just before: the next one within the window takes it."""
    minutes = _minutes(window)
    return (
        f"已收到照片。请在{minutes}分钟内登记到访（到访 #编号 手机号），照片将作为来访客户确认单"
        f"附在该到访登记上；{minutes}分钟内没有登记到访则不附。"
    )


def photo_for_violation(violation: ViolationLabel) -> str:
    """The photo follows a violation this manager recorded within the window (R11)."""
    kind = KIND_WORDS[ViolationKind(violation.kind)]
    return f"已收到照片，将作为证据附在对 {violation.distributor} 的违规记录（{kind}）上。"
