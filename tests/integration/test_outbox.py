"""The outbox queues each push once per (subject, kind, due day), on both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from models import outbox
from models.push_entities import PushKind, PushStatus
from tests.moments import at

pytestmark = pytest.mark.integration


def _enqueue(conn, **changes):  # type: ignore[no-untyped-def]
    values = {
        "kind": PushKind.FILING_LAPSE_REMINDER,
        "subject": "filing:12",
        "due_day": date(2026, 11, 28),
        "openid": "o_agent",
        "text": "客户张三 13812345678 的报备保护明天到期",
        "fields": {"thing1": "张三 138****5678"},
        "send_after": at(11, 28, 9),
        "now": at(11, 28, 0, 5),
    } | changes
    return outbox.enqueue(conn, **values)


def test_an_enqueue_twice_queues_once(engine: Engine) -> None:
    with engine.begin() as conn:
        assert _enqueue(conn) is True
    with engine.begin() as conn:
        assert _enqueue(conn) is False  # a second run of the same job
        assert _enqueue(conn, due_day=date(2026, 11, 29)) is True  # another day: another push
    with engine.connect() as conn:
        rows = outbox.queued(conn, subject="filing:12")
    assert [(r.due_day, r.status, r.attempts) for r in rows] == [
        (date(2026, 11, 28), PushStatus.PENDING, 0),
        (date(2026, 11, 29), PushStatus.PENDING, 0),
    ]
    assert rows[0].next_attempt_at == at(11, 28, 9)


def test_the_text_never_carries_the_middle_four_digits(engine: Engine) -> None:
    with engine.begin() as conn:
        _enqueue(conn)
    with engine.connect() as conn:
        (row,) = outbox.queued(conn)
    assert "13812345678" not in row.text and "138****5678" in row.text


@pytest.mark.parametrize(
    "written", ["138.1234.5678", "+86 138-1234-5678", "１３８１２３４５６７８"]
)
def test_a_phone_written_any_way_is_masked_in_text_and_fields(engine: Engine, written: str) -> None:
    with engine.begin() as conn:
        _enqueue(conn, text=f"客户张三 {written} 明天到期", fields={"thing1": f"张 {written}"})
    with engine.connect() as conn:
        (row,) = outbox.queued(conn)
    for stored in (row.text, *row.fields.values()):
        assert "1234" not in stored and "138****5678" in stored, stored


def test_a_template_value_that_wechat_would_cut_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="thing1"):
        _enqueue(conn, fields={"thing1": "一行\n两行"})
    with engine.begin() as conn, pytest.raises(ValueError, match="thing2"):
        _enqueue(conn, fields={"thing2": "长" * 21})
