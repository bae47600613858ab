"""A message is judged when it was sent (its CreateTime), not when a worker got to it.

Through the webhook with the clock travelled: WeChat stamps the message at one instant,
the service processes it a little later; the rules read the stamp, in whole minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.moments import at
from tests.people import Person, filing_number

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]
FILING_AT_15 = "报备 P1 张三 13812345678 本地 15:00"


def stamp(moment: datetime) -> int:
    """WeChat's CreateTime for a message sent at ``moment``: whole seconds."""
    return int(moment.timestamp())


def test_a_filing_sent_at_14_00_00_and_processed_a_second_later_is_valid(
    travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 14, 0) + timedelta(seconds=1))
    reply = jia.say(FILING_AT_15, create_time=stamp(at(11, 22, 14, 0)))
    assert reply.text and "报备成功" in reply.text, reply.text


def test_a_filing_sent_at_any_second_of_14_00_is_a_14_00_filing(
    travel: Travel, jia: Person
) -> None:
    sent = at(11, 22, 14, 0) + timedelta(seconds=59)
    travel(sent + timedelta(seconds=1))  # processed at 14:01:00
    reply = jia.say(FILING_AT_15, create_time=stamp(sent))
    assert reply.text and "报备成功" in reply.text, reply.text


def test_tomorrow_sent_at_23_59_and_processed_after_midnight_is_the_day_after_sending(
    travel: Travel, jia: Person
) -> None:
    travel(at(11, 23, 0, 0) + timedelta(seconds=30))
    sent = stamp(at(11, 22, 23, 59))
    reply = jia.say("报备 P1 张三 13812345678 本地 明天 15:00", create_time=sent)
    assert reply.text and "报备成功" in reply.text, reply.text
    assert "预计到访：2026-11-23 15:00" in reply.text
    assert "保护至 2026-11-29" in reply.text  # protected from the sending day


@pytest.mark.parametrize("first_arrives", [True, False], ids=["both-arrive", "first-lost"])
def test_a_retry_five_seconds_later_gets_the_reply_the_first_attempt_got(
    travel: Travel, jia: Person, first_arrives: bool
) -> None:
    # sent 14:00:58 for 15:00: a worker's clock at 14:01:03 would refuse it (59 minutes)
    sent = at(11, 22, 14, 0) + timedelta(seconds=58)
    msg = {"msg_id": 660001, "create_time": stamp(sent)}
    first = None
    if first_arrives:
        travel(sent + timedelta(seconds=1))
        first = jia.say(FILING_AT_15, **msg).text
    travel(sent + timedelta(seconds=5))
    retry = jia.say(FILING_AT_15, **msg).text
    assert retry and "报备成功" in retry, retry
    if first_arrives:
        assert retry == first


def test_a_visit_report_is_judged_at_its_sending_minute(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text(FILING_AT_15))
    sent = at(11, 22, 15, 5) + timedelta(seconds=59)  # 15:05: 15:00 is within 5 minutes
    travel(sent + timedelta(seconds=2))  # a worker's 15:06:01 would call 15:00 past
    reply = jia.say(f"带看 #{number} 15:00", create_time=stamp(sent)).text
    assert reply and "到访报备成功" in reply, reply


def test_a_create_time_further_off_than_the_tolerance_is_judged_by_the_server_clock(
    travel: Travel, jia: Person
) -> None:
    travel(at(11, 22, 14, 10))
    reply = jia.say(FILING_AT_15, create_time=stamp(at(11, 22, 13, 59))).text  # 11 min off
    assert reply and "报备失败" in reply and "2026-11-22 15:10" in reply, reply
