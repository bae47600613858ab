"""Issue 15 items 3 and 4 through the webhook, with the inputs the probing used.

Look-alike names must not make another client (R3's key is name + mask), and a full phone
typed anywhere must never come back in a reply, be stored or be logged (R12).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from models.entities import Client, DecisionLogEntry, Filing
from tests.moments import at
from tests.people import Person

pytestmark = pytest.mark.e2e

Travel = Callable[[datetime], None]


@pytest.mark.parametrize(
    "name",
    ["赵 六", "赵\u200b六", "赵六\u2060", "\u200f赵六"],
    ids=["space", "zero-width space", "word joiner", "right-to-left mark"],
)
@pytest.mark.parametrize("form", ["one line", "labelled"])
def test_a_look_alike_name_is_the_protected_client(
    travel: Travel, jia: Person, yi: Person, engine: Engine, name: str, form: str
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 赵六 13800003333 本地 明天 15:00")
    message = (
        f"报备 P1 {name} 13800003333 本地 明天 15:00"
        if form == "one line"
        else f"报备 P1\n客户：{name}\n电话：138****3333\n类型：本地\n到访：明天 15:00"
    )
    reply = yi.text(message)
    assert "报备失败" in reply and "其他渠道" in reply and "保护至 2026-11-29" in reply
    with engine.connect() as conn:
        assert conn.scalars(select(Client.name)).all() == ["赵六"]


def test_a_latin_name_in_another_case_is_the_protected_client(
    travel: Travel, jia: Person, yi: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 lily 13800003333 本地 明天 15:00")
    reply = yi.text("报备 P1 Lily 13800003333 本地 明天 15:00")
    assert "报备失败" in reply and "其他渠道" in reply
    with engine.connect() as conn:
        assert conn.scalars(select(Client.name)).all() == ["lily"]


def test_a_name_with_a_space_on_one_line_is_read_as_the_name(travel: Travel, jia: Person) -> None:
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1 赵 六 13800003333 本地 明天 15:00")
    assert "报备成功" in reply and "客户：赵六 138****3333" in reply
    assert "手机号格式不对" not in reply


@pytest.mark.parametrize(
    "project",
    ["13812345678", "138-1234-5678", "+8613812345678", "１３８１２３４５６７８"],
    ids=["digits", "dashes", "+86", "full-width"],
)
def test_a_phone_typed_as_the_project_is_not_echoed(jia: Person, project: str) -> None:
    reply = jia.text(f"报备 {project} 张三 138****5678 本地 明天 15:00")
    assert "没有找到项目「" in reply
    assert "1234" not in reply and "138****5678" in reply


NOTE_FORMS = [
    "+8613812345678",
    "138.1234.5678",
    "(138)1234-5678",
    "008613812345678",
    "138_1234_5678",
    "138/1234/5678",
    "138📞1234📞5678",
    "138\u200b1234\u200b5678",
    "一三八一二三四五六七八",
    "壹叁捌壹贰叁肆伍陆柒捌",
]


def test_notes_keep_no_full_phone_in_any_form(travel: Travel, jia: Person, engine: Engine) -> None:
    travel(at(11, 22, 10, 0))
    for n, form in enumerate(NOTE_FORMS):
        name = "客户" + "甲乙丙丁戊己庚辛壬癸"[n]
        reply = jia.text(f"报备 P1 {name} 139****{n:04d} 本地 明天 15:00 家属{form}")
        assert "报备成功" in reply
    with engine.connect() as conn:
        notes = conn.scalars(select(Filing.note).order_by(Filing.id)).all()
    assert len(notes) == len(NOTE_FORMS)
    for note in notes:
        assert note is not None and "138****5678" in note, note
        assert "1234" not in note and "一二三四" not in note and "壹贰叁肆" not in note


@pytest.mark.parametrize(
    "text",
    [
        "报备 P1 一三八一二三四五六七八 138****5678 本地 明天 15:00",
        "绑定 K7M2Q9XD 壹叁捌壹贰叁肆伍陆柒捌",
    ],
    ids=["client name", "agent name"],
)
def test_names_in_chinese_numerals_are_refused_and_not_echoed(jia: Person, text: str) -> None:
    reply = jia.text(text)
    assert "姓名" in reply
    assert "一二三四" not in reply and "壹贰叁肆" not in reply


@pytest.mark.parametrize("verb", ["一三八一二三四五六七八", "壹叁捌壹贰叁肆伍陆柒捌"])
def test_an_unknown_verb_in_numerals_is_not_echoed(jia: Person, verb: str) -> None:
    reply = jia.text(verb)
    assert "没有看懂" in reply and "一二三四" not in reply and "壹贰叁肆" not in reply


def test_a_long_note_gets_a_clear_reply_and_logs_nothing_of_it(
    travel: Travel, jia: Person, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The probe: a 219-character note failed on PostgreSQL's 200-character column with
    系统繁忙 and the failing statement logged the note, phone and all."""
    travel(at(11, 22, 10, 0))
    caplog.set_level(logging.DEBUG)
    note = "电话13812345678" + "很" * 206
    assert len(note) == 219
    reply = jia.text(f"报备 P1 张三 138****5678 本地 明天 15:00 {note}")
    assert "备注太长" in reply and "200" in reply and "系统繁忙" not in reply
    assert "很很很" not in caplog.text and "1234" not in caplog.text
    with engine.connect() as conn:
        assert conn.scalars(select(Filing.id)).all() == []


def test_a_failing_statement_never_logs_its_values(engine: Engine) -> None:
    """``hide_parameters``: the error names the statement, not what was bound to it."""
    row = {"key": "k1", "reply": "13812345678", "created_at": at(11, 22, 10, 0)}
    insert = text(
        "INSERT INTO inbound_messages (key, reply, created_at) VALUES (:key, :reply, :created_at)"
    )
    with engine.begin() as conn:
        conn.execute(insert, row)
    with pytest.raises(DBAPIError) as failure, engine.begin() as conn:
        conn.execute(insert, row)
    assert "13812345678" not in str(failure.value)


def test_decisions_keep_no_phone_the_agent_typed(
    travel: Travel, jia: Person, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    jia.text("报备 P1 张三 13812345678 本地 明天 15:00 备注+86 138 1234 5678")
    with engine.connect() as conn:
        rows = conn.execute(select(DecisionLogEntry.explanation, DecisionLogEntry.facts)).all()
    assert rows and all("1234" not in f"{row.explanation}{row.facts}" for row in rows)
