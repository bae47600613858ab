"""Rows of the sales system's exports, read into typed values (issue 19 item 2; R3, R9).

Pure: a row is a tuple of cells (str from CSV; str, int, float, datetime from XLSX) and
comes out as a ``KnownRow`` / ``SaleRow`` or a ``RowProblem`` naming why. The header row
is matched by the Chinese column names the sales systems (明源 and the like) export, with
common aliases, so an export is imported as it comes, without renaming columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from models.names import holds_number, normalise_name
from models.policy.import_wording import MISSING_COLUMNS, Problem, reason
from models.policy.rules import mask_phone

Cell = Any  # str | int | float | datetime | date | None, as the readers give them


@dataclass(frozen=True)
class Column:
    """One field of a row: the header names that mean it, the first one canonical."""

    field: str
    names: tuple[str, ...]
    required: bool = True

    @property
    def title(self) -> str:
        return self.names[0]


NAME = Column("name", ("客户姓名", "姓名", "客户名称", "客户", "客户名"))
PHONE = Column("phone", ("手机号", "手机号码", "手机", "联系电话", "电话", "客户电话", "联系方式"))
#: 来电来访: the sales system's call and visit records (R3 "销售系统内的来电来访记录").
VISIT_COLUMNS = (
    NAME,
    PHONE,
    Column(
        "first_at",
        (
            "首次来访时间",
            "首访时间",
            "首次到访时间",
            "来访时间",
            "到访时间",
            "来电时间",
            "首次来电时间",
            "首次接触时间",
            "登记时间",
        ),
        required=False,
    ),
    Column("source", ("来源", "客户来源", "来访渠道", "认知途径", "媒介"), required=False),
)
#: The site's own clients (自拓), referrals (老带新) and partners' clients.
KNOWN_COLUMNS = (NAME, PHONE, Column("note", ("备注", "说明"), required=False))
#: 明源's deal records (R9): one row per sale, keyed by the sales system's record id.
SALE_COLUMNS = (
    Column(
        "record_id",
        ("记录编号", "交易编号", "单据编号", "订单编号", "认购编号", "合同编号", "编号"),
    ),
    Column("name", ("买受人", "客户姓名", "购房人", "客户名称", "姓名", "客户")),
    PHONE,
    Column(
        "channel", ("来源渠道", "渠道", "成交渠道", "渠道来源", "客户来源", "媒介"), required=False
    ),
    Column("subscribed_on", ("认购日期", "认购时间"), required=False),
    Column("signed_on", ("签约日期", "签约时间"), required=False),
    Column("online_signed_on", ("网签日期", "网签时间", "备案日期"), required=False),
    Column("total_price", ("成交总价", "总价", "合同总价", "成交金额", "总房款"), required=False),
    Column("room", ("房号", "房间号", "房间", "房源", "房源名称"), required=False),
)

RECORD_ID_MAX, CHANNEL_MAX, ROOM_MAX, NAME_MAX = 64, 100, 64, 50


@dataclass(frozen=True)
class RowProblem:
    """A row not taken: its number in the file (header = 1) and why, in Chinese."""

    row: int
    why: str
    client: str = ""  # the name and masked phone when they could be read


@dataclass(frozen=True)
class KnownRow:
    """A client the case site knows (R3); ``full_phone`` is site data, never echoed."""

    row: int
    name: str
    full_phone: str
    first_at: datetime | None = None  # naive, the project's local time
    source: str = ""

    @property
    def phone_mask(self) -> str:
        return mask_phone(self.full_phone)

    @property
    def shown(self) -> str:
        return f"{self.name} {self.phone_mask}"


@dataclass(frozen=True)
class SaleRow:
    """One sales-system deal record (R9), what the monthly commission report compares."""

    row: int
    record_id: str
    name: str
    full_phone: str
    channel: str
    subscribed_on: date | None
    signed_on: date | None
    online_signed_on: date | None
    total_price: Decimal | None  # yuan, to the cent
    room: str

    @property
    def phone_mask(self) -> str:
        return mask_phone(self.full_phone)


class HeaderError(ValueError):
    """The header row lacks a required column; the message names it in Chinese."""


def _folded(title: Cell) -> str:
    """``' 手机号码* '`` / ``'手机号码（必填）'`` -> ``'手机号码'``: what exports add to titles."""
    text = unicodedata.normalize("NFKC", str(title or "")).strip().lstrip("\ufeff")
    text = re.sub(r"\(.*?\)|\s|\*", "", text)
    return text


def header_map(header: Sequence[Cell], columns: Sequence[Column]) -> dict[str, int]:
    """Which cell of a row holds which field; the first matching title wins."""
    titles = [_folded(cell) for cell in header]
    found: dict[str, int] = {}
    for column in columns:
        for name in column.names:
            if name in titles:
                found[column.field] = titles.index(name)
                break
    missing = [column for column in columns if column.required and column.field not in found]
    if missing:
        raise HeaderError(
            MISSING_COLUMNS.format(
                missing="、".join(column.title for column in missing),
                aliases="；".join(f"{c.title}={'/'.join(c.names)}" for c in missing),
            )
        )
    return found


def is_blank(cells: Sequence[Cell]) -> bool:
    """Trailing rows an export leaves empty are no rows at all."""
    return all(cell is None or str(cell).strip() == "" for cell in cells)


def _cell(cells: Sequence[Cell], mapping: dict[str, int], field: str) -> Cell:
    index = mapping.get(field)
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_phone(value: Cell) -> str | None:
    """``'138 1234 5678'``, ``'+86-13812345678'``, 13812345678 (an XLSX number) -> digits."""
    digits = re.sub(r"[\s\-()]", "", _text(value))
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    return digits if re.fullmatch(r"1\d{10}", digits) else None


_MOMENT = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"  # 2026-11-22, 2026/11/22, 2026年11月22日
    r"(?:[ T]*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?"  # 15:00, 15:00:00, 15时0分
)


def parse_moment(value: Cell) -> datetime | None:
    """A date-time as exports write it (or XLSX's own), naive; None when unreadable."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    match = _MOMENT.fullmatch(_text(value))
    if not match:
        return None
    parts = [int(part) if part else 0 for part in match.groups()]
    try:
        return datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def parse_price(value: Cell) -> Decimal | None:
    """``'1,234,567.00'``, ``'¥1234567'``, ``'123.5万'``, 1234567.0 -> yuan, to the cent."""
    text = re.sub(r"[,，\s¥￥元]", "", _text(value))
    scale = Decimal(10000) if text.endswith("万") else Decimal(1)
    try:
        price = Decimal(text.removesuffix("万")) * scale
    except InvalidOperation:
        return None
    return price.quantize(Decimal("0.01")) if price.is_finite() and price >= 0 else None


def _person(
    cells: Sequence[Cell], mapping: dict[str, int], row: int
) -> RowProblem | tuple[str, str]:
    """The client's name (as filings read names) and full phone, or why not."""
    name = normalise_name(_text(_cell(cells, mapping, "name")))
    phone = parse_phone(_cell(cells, mapping, "phone"))
    shown = f"{name} {mask_phone(phone)}" if phone else name
    if not name:
        return RowProblem(row, reason(Problem.NO_NAME), shown)
    if holds_number(name):
        return RowProblem(row, reason(Problem.NAME_HOLDS_NUMBER), "")
    if len(name) > NAME_MAX:
        return RowProblem(row, reason(Problem.TOO_LONG, column=NAME.title, limit=NAME_MAX), "")
    if phone is None:
        return RowProblem(row, reason(Problem.BAD_PHONE), name)
    return name, phone


def read_known_row(
    cells: Sequence[Cell], mapping: dict[str, int], row: int
) -> KnownRow | RowProblem:
    """A 来电来访 or own/partner row: the name and a full phone; a time if the column is there.

    A time that cannot be read is a bad row, not a silent blank: the channel team compares
    it with filing times when a distributor already protects the client."""
    person = _person(cells, mapping, row)
    if isinstance(person, RowProblem):
        return person
    name, phone = person
    raw_time = _cell(cells, mapping, "first_at")
    first_at = parse_moment(raw_time)
    if first_at is None and _text(raw_time):
        column = _title_of(VISIT_COLUMNS, "first_at")
        return RowProblem(
            row, reason(Problem.BAD_TIME, column=column), f"{name} {mask_phone(phone)}"
        )
    source = _text(_cell(cells, mapping, "source"))[:CHANNEL_MAX]
    return KnownRow(row, name, phone, first_at, source)


def _title_of(columns: Sequence[Column], field: str) -> str:
    return next(column.title for column in columns if column.field == field)


def _sale_dates(
    cells: Sequence[Cell], mapping: dict[str, int]
) -> dict[str, date | None] | tuple[Problem, str]:
    dates: dict[str, date | None] = {}
    for field in ("subscribed_on", "signed_on", "online_signed_on"):
        raw = _cell(cells, mapping, field)
        moment = parse_moment(raw)
        if moment is None and _text(raw):
            return Problem.BAD_DATE, _title_of(SALE_COLUMNS, field)
        dates[field] = moment.date() if moment else None
    return dates


def read_sale_row(cells: Sequence[Cell], mapping: dict[str, int], row: int) -> SaleRow | RowProblem:
    """One 明源 deal record: id, buyer, phone required; dates and price when given."""
    record_id = _text(_cell(cells, mapping, "record_id"))
    if not record_id:
        return RowProblem(row, reason(Problem.NO_RECORD_ID))
    if len(record_id) > RECORD_ID_MAX:
        return RowProblem(row, reason(Problem.TOO_LONG, column="记录编号", limit=RECORD_ID_MAX))
    person = _person(cells, mapping, row)
    if isinstance(person, RowProblem):
        return person
    name, phone = person
    shown = f"{name} {mask_phone(phone)}"
    dates = _sale_dates(cells, mapping)
    if isinstance(dates, tuple):
        return RowProblem(row, reason(dates[0], column=dates[1]), shown)
    raw_price = _cell(cells, mapping, "total_price")
    price = parse_price(raw_price)
    if price is None and _text(raw_price):
        column = _title_of(SALE_COLUMNS, "total_price")
        return RowProblem(row, reason(Problem.BAD_PRICE, column=column), shown)
    room = _text(_cell(cells, mapping, "room"))
    if len(room) > ROOM_MAX:
        return RowProblem(row, reason(Problem.TOO_LONG, column="房号", limit=ROOM_MAX), shown)
    channel = _text(_cell(cells, mapping, "channel"))[:CHANNEL_MAX]
    return SaleRow(row, record_id, name, phone, channel, total_price=price, room=room, **dates)
