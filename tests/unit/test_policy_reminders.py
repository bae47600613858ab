"""R4's and R8's reminders and ends, as the rule book's sentences (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest

from models.policy import Policy, ProtectionEnd, ProtectionKind, PushKind
from models.policy import push_wording as words
from models.policy import reminders as due
from tests.moments import TZ, at, end_of

pytestmark = pytest.mark.unit

FILING, VISIT = ProtectionKind.FILING, ProtectionKind.VISIT


def test_a_filing_is_reminded_the_day_before_it_lapses() -> None:
    # filed 11-22 10:00 -> protected until 11-29 -> reminded on 11-28
    assert due.reminder_due(FILING, end_of(11, 29), at(11, 27, 23), Policy(), TZ) is None
    reminder = due.reminder_due(FILING, end_of(11, 29), at(11, 28, 0, 1), Policy(), TZ)
    assert reminder == due.Reminder(PushKind.FILING_LAPSE_REMINDER, date(2026, 11, 28), 1)


def test_a_reminder_falls_away_with_the_protection_it_announced() -> None:
    assert due.reminder_due(FILING, end_of(11, 29), at(11, 30, 0, 1), Policy(), TZ) is None


def test_the_filing_reminder_can_be_switched_off() -> None:
    policy = Policy(filing_reminder_days=0)
    assert due.reminder_due(FILING, end_of(11, 29), at(11, 29, 12), policy, TZ) is None


def test_a_visit_protection_is_reminded_7_days_and_1_day_before_its_end() -> None:
    # until 01-05 -> on 12-29 (the renewal window opens 12-30) and on 01-04
    ends = end_of(1, 5, year=2027)
    assert due.reminder_due(VISIT, ends, at(12, 28, 23), Policy(), TZ) is None
    first = due.reminder_due(VISIT, ends, at(12, 29, 8), Policy(), TZ)
    assert first == due.Reminder(
        PushKind.VISIT_END_REMINDER, date(2026, 12, 29), 7, date(2026, 12, 30)
    )
    assert due.reminder_due(VISIT, ends, at(1, 3, 12, year=2027), Policy(), TZ) == first
    last = due.reminder_due(VISIT, ends, at(1, 4, 8, year=2027), Policy(), TZ)
    assert last is not None and (last.due_day, last.lead_days) == (date(2027, 1, 4), 1)


def test_a_scheduler_down_for_both_reminder_days_sends_only_the_latest() -> None:
    ends = end_of(1, 5, year=2027)
    late = due.reminder_due(VISIT, ends, at(1, 5, 10, year=2027), Policy(), TZ)
    assert late is not None and late.due_day == date(2027, 1, 4)


def test_the_renewal_window_follows_the_policy_not_a_fixed_7() -> None:
    ends = end_of(1, 5, year=2027)
    reminder = due.reminder_due(VISIT, ends, at(12, 29, 8), Policy(renewal_window_days=3), TZ)
    assert reminder is not None and reminder.renewal_opens == date(2027, 1, 3)
    off = due.reminder_due(VISIT, ends, at(12, 29, 8), Policy(renewal_window_days=0), TZ)
    assert off is not None and off.renewal_opens is None


def test_the_end_of_a_filing_protection_is_a_lapse_told_the_next_day() -> None:
    assert due.decide_end(FILING, end_of(11, 29), end_of(11, 29), Policy(), TZ) is None
    ruling = due.decide_end(FILING, end_of(11, 29), at(11, 30, 0, 0), Policy(), TZ)
    assert ruling == due.EndRuling(
        ProtectionEnd.LAPSED, "R4", PushKind.FILING_LAPSED, date(2026, 11, 30), False
    )


def test_the_end_of_a_visit_protection_makes_the_client_public_unless_expired_refile() -> None:
    ends, after = end_of(1, 5, year=2027), at(1, 6, 0, 1, year=2027)
    public = due.decide_end(VISIT, ends, after, Policy(), TZ)
    assert public is not None and (public.rule, public.public) == ("R8", True)
    assert public.notice_day == date(2027, 1, 6)
    free = due.decide_end(VISIT, ends, after, Policy(expired_refile=True), TZ)
    assert free is not None and (free.reason, free.public) == (ProtectionEnd.EXPIRED, False)


def test_an_end_notice_is_sent_up_to_the_catch_up_days_late_and_no_later() -> None:
    assert due.notice_in_time(date(2026, 11, 30), at(12, 3, 9), 3, TZ)
    assert not due.notice_in_time(date(2026, 11, 30), at(12, 4, 9), 3, TZ)


def test_notices_of_the_clock_wait_for_the_morning_hour() -> None:
    assert due.send_after(date(2026, 11, 28), 9, at(11, 28, 0, 1), TZ) == at(11, 28, 9)
    assert due.send_after(date(2026, 11, 28), 9, at(11, 29, 14), TZ) == at(11, 29, 14)


FACTS = words.PushFacts("星河湾", "张三", "138****5678", 12, VISIT, end_of(1, 5, year=2027))


def test_the_7_day_reminder_says_when_the_renewal_window_opens() -> None:
    reminder = due.Reminder(PushKind.VISIT_END_REMINDER, date(2026, 12, 29), 7, date(2026, 12, 30))
    text, fields = words.reminder_message(reminder, FACTS)
    assert "2027-01-05" in text and "续期窗口 2026-12-30 起开放" in text
    assert fields == {
        "project": "星河湾",
        "client": "张三 138****5678",
        "number": "#12",
        "ends": "2027-01-05",
        "status": "到访保护7天后到期",
    }


def test_template_values_stay_within_wechats_twenty_characters() -> None:
    long = words.PushFacts("长" * 30, "王" * 30, "138****5678", None, FILING, end_of(11, 29))
    reminder = due.Reminder(PushKind.FILING_LAPSE_REMINDER, date(2026, 11, 28), 1)
    _, fields = words.reminder_message(reminder, long)
    assert all(len(value) <= 20 and "\n" not in value for value in fields.values())
    assert fields["project"].endswith("…") and fields["number"] == "-"
