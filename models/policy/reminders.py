"""R4 and R8 over protection rows: which reminder is due, when the end is told, what the
end means. Pure, like every rule: the scheduler reads the rows and a ``now``, asks here,
and writes what it is told (``models.protections``, ``scheduler.jobs``).

- A filing protection (R4) is reminded ``filing_reminder_days`` before its end day (filed
  11-22, protected until 11-29 -> on 11-28); it lapses when its end passes, and the agent
  is told the day after (11-30).
- A visit, bulk or renewal protection (R8) is reminded ``visit_reminder_days`` before its
  end day (until 01-05 -> on 12-29 and 01-04); when it ends the client becomes 公客
  (unless ``expired_refile``), and the agent is told the day after (01-06).
A scheduler that was down catches up: the latest reminder already due goes out, late and
once, while its protection still holds; an earlier one it makes moot is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.policy.dates import local_day, reminder_days, renewal_window_start
from models.policy.states import ProtectionEnd, ProtectionKind, PushKind
from models.policy.values import Policy


@dataclass(frozen=True)
class Reminder:
    """A reminder due on ``due_day``, ``lead_days`` before the protection's end day."""

    kind: PushKind
    due_day: date
    lead_days: int
    renewal_opens: date | None = None  # R8: the first day of R7's window (None: no renewal)


@dataclass(frozen=True)
class EndRuling:
    """What the end of a protection decides: lapsed (R4) or expired (R8), and 公客 or not."""

    reason: ProtectionEnd
    rule: str
    notice: PushKind
    notice_day: date  # the day after the end day: the agent is told that morning
    public: bool  # R8: the client is now the case site's 公客 (refused by R3)


def lead_days(kind: str, policy: Policy) -> tuple[int, ...]:
    """The policy's lead days for a protection of ``kind``, largest first (empty = off)."""
    if kind == ProtectionKind.FILING:
        return (policy.filing_reminder_days,) if policy.filing_reminder_days > 0 else ()
    return policy.visit_reminder_leads


def reminder_due(
    kind: str, ends_at: datetime, now: datetime, policy: Policy, tz: ZoneInfo
) -> Reminder | None:
    """The latest reminder due by ``now``'s day, while the protection still holds.

    None when none is due yet, or when the protection has ended (its reminder is dropped
    with it: it announced a moment that has passed).
    """
    if now > ends_at:
        return None
    today, leads = local_day(now, tz), lead_days(kind, policy)
    days = zip(reminder_days(ends_at, leads, tz), leads, strict=True)  # leads hold no 0
    due = [(day, n) for day, n in days if day <= today]
    if not due:
        return None
    day, n = max(due)
    if kind == ProtectionKind.FILING:
        return Reminder(PushKind.FILING_LAPSE_REMINDER, day, n)
    opens = renewal_window_start(ends_at, policy, tz)
    return Reminder(PushKind.VISIT_END_REMINDER, day, n, opens)


def decide_end(
    kind: str, ends_at: datetime, now: datetime, policy: Policy, tz: ZoneInfo
) -> EndRuling | None:
    """Once a protection's last instant has passed: R4's lapse or R8's expiry; else None."""
    if now <= ends_at:
        return None
    notice_day = local_day(ends_at, tz) + timedelta(days=1)
    if kind == ProtectionKind.FILING:
        return EndRuling(ProtectionEnd.LAPSED, "R4", PushKind.FILING_LAPSED, notice_day, False)
    public = not policy.expired_refile
    return EndRuling(ProtectionEnd.EXPIRED, "R8", PushKind.VISIT_ENDED, notice_day, public)


def notice_in_time(notice_day: date, now: datetime, catch_up_days: int, tz: ZoneInfo) -> bool:
    """An end notice goes out on its day, or up to ``catch_up_days`` late, never later:
    told weeks after the fact (a scheduler long down, rows backfilled), it only confuses."""
    return local_day(now, tz) <= notice_day + timedelta(days=catch_up_days)


def send_after(day: date, morning_hour: int, now: datetime, tz: ZoneInfo) -> datetime:
    """Notices of the clock wait for the morning hour of their day (never before ``now``)."""
    morning = datetime(day.year, day.month, day.day, morning_hour, tzinfo=tz)
    return max(morning, now)
