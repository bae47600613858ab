"""The rule book's day arithmetic (R4-R8, R10): when protections, windows and claims end.

All instants are time-zone aware. Day arithmetic happens in the project's time zone:
"7 days from the next day" ends at 23:59:59.999999 local time of the 7th day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.policy.values import Policy

END_OF_DAY = time(23, 59, 59, 999999)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of ``day`` in ``tz``: protections end "at 23:59:59" of a day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (staff statistics: "this week" starts on Monday)."""
    return day - timedelta(days=day.weekday())


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``."""
    return datetime.combine(day, time(), tzinfo=tz)


def filing_protection_end(filed_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R4: 自次日起7天: filed 11-22 10:00 -> protected until 11-29 23:59:59."""
    return end_of_day(local_day(filed_at, tz) + timedelta(days=policy.filing_protection_days), tz)


def visit_protection_end(arrived_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R5: 45 days, the arrival day is day 1: visited 11-22 -> until 01-05 23:59:59."""
    days = max(policy.visit_protection_days - 1, 0)
    return end_of_day(local_day(arrived_at, tz) + timedelta(days=days), tz)


def bulk_extension_end(current_end: datetime, policy: Policy, tz: ZoneInfo) -> datetime:
    """R6: +45 days once: until 01-05 -> until 02-19 23:59:59."""
    return end_of_day(local_day(current_end, tz) + timedelta(days=policy.bulk_extension_days), tz)


def renewal_window_start(current_end: datetime, policy: Policy, tz: ZoneInfo) -> date | None:
    """R7: the last N days of protection, the end day included (None when off)."""
    if policy.renewal_window_days <= 0:
        return None
    return local_day(current_end, tz) - timedelta(days=policy.renewal_window_days - 1)


def renewed_end(
    current_end: datetime, revisit_at: datetime, policy: Policy, tz: ZoneInfo
) -> datetime | None:
    """R7: a confirmed re-visit inside the window renews from the day after the old end.

    Returns the new end, or None when the re-visit is outside the window (nothing changes).
    """
    start = renewal_window_start(current_end, policy, tz)
    visit_day = local_day(revisit_at, tz)
    if start is None or not (start <= visit_day <= local_day(current_end, tz)):
        return None
    return end_of_day(local_day(current_end, tz) + timedelta(days=policy.visit_protection_days), tz)


def claim_deadline(deal_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime | None:
    """R10: 3 days, the deal day is day 1: deal 12-01 -> claims until 12-03 23:59:59.

    A window of 0 is seed 001's "no deadline" (None), like every other 0 in the policy
    values that switches a limit off; it is not "the deal day only" (that is 1).
    """
    if policy.claim_window_days <= 0:
        return None
    return end_of_day(local_day(deal_at, tz) + timedelta(days=policy.claim_window_days - 1), tz)


def reminder_days(protection_end: datetime, lead_days: tuple[int, ...], tz: ZoneInfo) -> list[date]:
    """R8: the days a reminder goes out, N days before the end day (7 and 1 by default)."""
    end_day = local_day(protection_end, tz)
    return [end_day - timedelta(days=n) for n in lead_days if n > 0]


def whole_minute(moment: datetime) -> datetime:
    """The rules compare whole minutes: a message sent at any second of 14:00 was sent at
    14:00. Arrival times are typed to the minute and WeChat stamps messages to the
    second, so without this a filing sent at 14:00:59 for 15:00 would have 59 minutes of
    notice and be refused for want of one second: filed 14:00:59 -> 14:00 (60 minutes to
    15:00, valid for a local client under R2's one hour).
    """
    return moment.replace(second=0, microsecond=0)


def ceil_to_minute(moment: datetime) -> datetime:
    """Arrival times are typed to the minute, so an earliest time is shown rounded up."""
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment
