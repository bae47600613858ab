"""R12 as a property: a phone typed anywhere, in any form, is never echoed, stored or logged.

Phone numbers in every form agents were seen to write (ASCII, full-width, Chinese numerals
一三八 and 壹叁捌, +86/0086 prefixes, separators ``- . _ /`` and spaces, emoji, zero-width
characters, parentheses) go into every field of every agent command (绑定's code and name;
报备's project, name, phone, type, time and note in the one-line, several-line and
labelled forms; 带看/改约, 查询, 取消, 帮助, unknown verbs), through the real webhook, signed
and encrypted. After each message: no reply, no log line of the service (everything the
root logger's handlers get, SQLAlchemy's statements included), and no stored agent-typed
text (filings, clients, agents' names, notes, decision-log entries, the replies kept for
retries in Redis and in ``inbound_messages``) holds the full number, nor its middle four
digits as a group of their own.

One app per store, built once per module: Redis for every field in every form, and both
Redis and the database (the store while Redis is down) for random phones.
"""

from __future__ import annotations

import logging
import random
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, String, cast, create_engine, func, select, text

from bot import create_app
from bot.fakeapi import FakeWeChatServer
from bot.simulator import WeChatSimulator, flask_transport
from models.db import Base
from models.entities import Agent, Client, DecisionLogEntry, Filing, InboundMessage, Staff
from models.privacy import digit_of
from tests.conftest import AES_KEY, APP_ID, BACKENDS, REDIS_URL, TOKEN
from tests.moments import at
from tests.people import Cast, Person

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="runs on PostgreSQL"),
]

Write = Callable[[str], str]


def _numerals(table: str) -> Write:
    return lambda phone: "".join(table[int(d)] for d in phone)


def _split(sep: str) -> Write:
    return lambda p: f"{p[:3]}{sep}{p[3:7]}{sep}{p[7:]}"


#: Every way of writing a phone that the probes used (and the obvious neighbours).
FORMS: dict[str, Write] = {
    "ascii": lambda p: p,
    "full-width": lambda p: p.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    "chinese": _numerals("〇一二三四五六七八九"),
    "capitals": _numerals("零壹贰叁肆伍陆柒捌玖"),
    "+86": lambda p: f"+86{p}",
    "+86 spaced": lambda p: f"+86 {_split(' ')(p)}",
    "0086": lambda p: f"0086{p}",
    "dashes": _split("-"),
    "dots": _split("."),
    "underscores": _split("_"),
    "slashes": _split("/"),
    "spaces": _split(" "),
    "emoji": _split("📞"),
    "zero-width": _split("\u200b"),
    "word joiner": _split("\u2060"),
    "parentheses": lambda p: f"({p[:3]}){p[3:7]}-{p[7:]}",
    "mixed": lambda p: f"{p[:3]}-{_numerals('〇一二三四五六七八九')(p[3:7])}-{p[7:]}",
}

#: Every field of every agent command; ``{p}`` is the phone as written, ``{n}`` a filing
#: of the agent's, ``{code}`` an unused invite code.
LINE = "李四 139****0000 本地 明天 15:00"
TEMPLATES: dict[str, str] = {
    "绑定 code": "绑定 {p} 王小明",
    "绑定 name": "绑定 {code} {p}",
    "报备 project": "报备 {p} 张三 138****5678 本地 明天 15:00",
    "报备 name": "报备 P1 {p} 138****5678 本地 明天 15:00",
    "报备 phone": "报备 P1 张三 {p} 本地 明天 15:00",
    "报备 type": "报备 P1 张三 138****5678 {p} 明天 15:00",
    "报备 time": "报备 P1 张三 138****5678 本地 {p}",
    "报备 note": "报备 P1 张三 138****5678 本地 明天 15:00 {p}",
    "报备 note after words": "报备 P1 张三 138****5678 本地 明天 15:00 家属电话{p}请联系",
    "lines project": "报备 {p}\n" + LINE,
    "lines name": "报备 P1\n{p} 138****5678 本地 明天 15:00\n" + LINE,
    "lines phone": "报备 P1\n张三 {p} 本地 明天 15:00\n" + LINE,
    "lines type": "报备 P1\n张三 138****5678 {p} 明天 15:00\n" + LINE,
    "lines time": "报备 P1\n张三 138****5678 本地 {p}\n" + LINE,
    "lines note": "报备 P1\n张三 138****5678 本地 明天 15:00 {p}\n" + LINE,
    "labelled project": (
        "报备\n项目：{p}\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00"
    ),
    "labelled name": "报备 P1\n客户：{p}\n电话：138****5678\n类型：本地\n到访：明天 15:00",
    "labelled phone": "报备 P1\n客户：张三\n电话：{p}\n类型：本地\n到访：明天 15:00",
    "labelled type": "报备 P1\n客户：张三\n电话：138****5678\n类型：{p}\n到访：明天 15:00",
    "labelled time": "报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：{p}",
    "labelled note": (
        "报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00\n备注：{p}"
    ),
    "带看 ref": "带看 {p}",
    "带看 time": "带看 #{n} {p}",
    "带看 name and time": "带看 王五 {p}",
    "改约 time": "改约 #{n} 明天 16:00 {p}",
    "查询": "查询 {p}",
    "取消": "取消 {p}",
    "取消 reason": "取消 #{n} {p}",
    "帮助": "帮助 {p}",
    "unknown verb": "{p}",
    "unknown verb after words": "你好 {p}",
}

#: 4-digit groups the service writes itself (the year, the help's example mask and code):
#: a phone whose middle four is one of them would be found where it never was typed.
SERVICE_GROUPS = frozenset({"2026", "2027", "5678", "1234", "0000", "3333"})
#: SQLAlchemy's own timing notes in its statement log ("[cached since 0.3415s ago]").
_MASK = re.compile(r"[0-9]{3}\*{4}[0-9]{4}")
_TIMINGS = re.compile(r"\[(?:generated in|cached since) [^\]]*\]")


def phone_numbers() -> st.SearchStrategy[str]:
    """Mainland mobile numbers whose middle four is no group the service writes."""
    digits = st.text("0123456789", min_size=9, max_size=9)
    phones = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"), digits)
    return phones.filter(lambda p: p[3:7] not in SERVICE_GROUPS and p[3:7] != p[7:])


def ascii_digits(text_: str) -> str:
    """Every digit of any script or numeral as ASCII, everything else as it was."""
    return "".join(str(d) if (d := digit_of(ch)) is not None else ch for ch in text_)


def leaks(phone: str, where: str) -> bool:
    """The full number in any disguise, or the middle four as a group of their own.

    Masks are set aside for the second test: a mask shows a last four, never a middle one
    (the phones drawn have a middle four unlike their last four).
    """
    plain = ascii_digits(where)
    if phone in re.sub(r"[^0-9]", "", plain):
        return True
    unmasked = _MASK.sub(" ", plain)
    return re.search(rf"(?<![0-9]){phone[3:7]}(?![0-9])", unmasked) is not None


class Records(logging.Handler):
    """The service's log output as its handlers write it (formatted, tracebacks too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(_TIMINGS.sub("", self.format(record)))


class Service:
    """One app, its WeChat side, an agent with a filing, and where its text may end up."""

    def __init__(self, app: Flask, records: Records, prefix: str, redis_up: bool) -> None:
        self.app = app
        self.records = records
        self.prefix = prefix
        self.redis_up = redis_up
        self.engine: Engine = app.extensions["baobei"]["services"].engine
        self.wechat = WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(app.test_client()))
        runner = app.test_cli_runner()
        self.cli = lambda *args: runner.invoke(args=list(args))
        self.cast = Cast(self.cli, self.wechat)
        self.cast.project("P1", "星河湾")
        self.cast.distributor("甲房产经纪有限公司")
        self.agent: Person = self.cast.agent("甲房产经纪有限公司")
        self.filing = self.agent.text("报备 P1 王五 137****0000 本地 明天 15:00")
        assert "报备成功 #" in self.filing
        self.number = int(re.search(r"#(\d+)", self.filing).group(1))  # type: ignore[union-attr]
        result = self.cli("distributor", "invite", "甲房产经纪有限公司")
        self.code = result.output.strip().splitlines()[-1]

    def say(self, template: str, written: str) -> tuple[str, int]:
        """Send one message; its reply and its MsgId (the key its reply is kept under)."""
        message = template.format(p=written, n=self.number, code=self.code)
        msg_id = self.wechat.next_msg_id()
        reply = self.agent.say(message, msg_id=msg_id)
        assert reply.status == 200, reply.raw
        return reply.text or "", msg_id

    def watermark(self) -> dict[str, int]:
        """The newest row of each table a message may add to."""
        with self.engine.connect() as conn:
            return {
                table: conn.scalar(select(func.max(column))) or 0
                for table, column in (
                    ("filings", Filing.id),
                    ("clients", Client.id),
                    ("decisions", DecisionLogEntry.id),
                )
            }

    def stored_since(self, mark: dict[str, int], msg_id: int) -> list[str]:
        """What one message left: its rows' agent-typed text, and the reply kept for it."""
        key = f"m{msg_id}"
        with self.engine.connect() as conn:
            filings = conn.execute(
                select(Filing.client_name, Filing.note).where(Filing.id > mark["filings"])
            ).all()
            found = [
                *(f"{row.client_name} {row.note or ''}" for row in filings),
                *conn.scalars(select(Client.name).where(Client.id > mark["clients"])),
                *conn.scalars(select(Agent.name)),  # rebinding renames in place
                *conn.scalars(select(Staff.name)),
                *conn.scalars(
                    select(DecisionLogEntry.explanation).where(
                        DecisionLogEntry.id > mark["decisions"]
                    )
                ),
                *conn.scalars(
                    select(cast(DecisionLogEntry.facts, String)).where(
                        DecisionLogEntry.id > mark["decisions"]
                    )
                ),
                *(
                    r or ""
                    for r in conn.scalars(
                        select(InboundMessage.reply).where(InboundMessage.key == key)
                    )
                ),
            ]
        if self.redis_up:
            client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
            try:
                found.append(client.get(f"{self.prefix}:msg:{key}") or "")
            finally:
                client.close()
        return found


REDIS, DATABASE = "redis", "database while redis is down"


@pytest.fixture(scope="module")
def service(
    request: pytest.FixtureRequest, pg_database: str, fake_wechat: FakeWeChatServer
) -> Iterator[Service]:
    redis_up = request.param == REDIS
    prefix = f"t{uuid.uuid4().hex[:12]}"
    records = Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)  # the app's logging set-up equips every root handler
    root.setLevel(logging.DEBUG)
    traveller = time_machine.travel(at(11, 22, 10, 0), tick=False)
    traveller.start()
    app = create_app(_settings(pg_database, prefix, fake_wechat, redis_up))
    try:
        yield Service(app, records, prefix, redis_up)
    finally:
        traveller.stop()
        root.removeHandler(records)
        root.setLevel(level)
        app.extensions["baobei"]["services"].engine.dispose()
        _empty(pg_database, prefix)


def _settings(database: str, prefix: str, fake: FakeWeChatServer, redis_up: bool) -> dict[str, Any]:
    return {
        "app": {"log_level": "DEBUG", "rate_limit_per_minute": 0},
        "database": {"url": database},
        "redis": {
            "url": REDIS_URL if redis_up else "redis://127.0.0.1:1/0",
            "prefix": prefix,
            "socket_timeout_seconds": 0.5,
        },
        "wechat": {
            "token": TOKEN,
            "app_id": APP_ID,
            "app_secret": "test-secret",
            "encoding_aes_key": AES_KEY,
            "api_base_url": fake.url,
        },
    }


def _empty(database: str, prefix: str) -> None:
    """Leave the shared database and Redis as the function-scoped fixtures expect them."""
    engine = create_engine(database)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _check(service: Service, phone: str, template: str, form: str) -> None:
    service.records.lines.clear()
    mark = service.watermark()
    written = FORMS[form](phone)
    reply, msg_id = service.say(TEMPLATES[template], written)
    where = f"{template} / {form} / {written!r}"
    assert not leaks(phone, reply), f"reply to {where}: {reply!r}"
    for line in service.records.lines:
        assert not leaks(phone, line), f"log line after {where}: {line!r}"
    for kept in service.stored_since(mark, msg_id):
        assert not leaks(phone, kept), f"stored after {where}: {kept!r}"


@pytest.mark.parametrize("service", [REDIS], indirect=True)
def test_every_form_in_every_field_is_kept_out_of_replies_logs_and_store(
    service: Service,
) -> None:
    """Every (field, form) pair once, each with its own random phone."""
    draw = random.Random(15)
    for template in TEMPLATES:
        for form in FORMS:
            middle = "2026"
            while middle in SERVICE_GROUPS:
                phone = f"1{draw.choice('3456789')}{draw.randrange(10**9):09d}"
                middle = phone[3:7] if phone[3:7] != phone[7:] else "2026"
            _check(service, phone, template, form)


@pytest.mark.parametrize("service", [REDIS, DATABASE], indirect=True)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    phone=phone_numbers(),
    template=st.sampled_from(sorted(TEMPLATES)),
    form=st.sampled_from(sorted(FORMS)),
)
def test_any_phone_in_any_form_anywhere_is_kept_out(
    service: Service, phone: str, template: str, form: str
) -> None:
    _check(service, phone, template, form)
