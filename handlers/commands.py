"""Typed commands: what a message asks for, once the grammar has understood it.

The grammar (``handlers/grammar.py``) turns text into one of these, or into a
``ParseError``; handlers act on them. Keeping them plain frozen dataclasses means the
parser is tested without a database and a handler never re-reads raw text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from models.requests import Buyer, ClientEntry, FilingRef


class ParseProblem(Enum):
    """Why a message could not be understood; ``replies.py`` words each one."""

    EMPTY = "empty"
    UNKNOWN_VERB = "unknown_verb"
    MISSING_FIELDS = "missing_fields"
    BAD_PHONE = "bad_phone"
    BAD_TIME = "bad_time"
    BAD_TYPE = "bad_type"  # neither 本地 nor 异地
    BAD_NAME = "bad_name"
    BAD_NUMBER = "bad_number"  # a filing number that is not #digits
    TOO_MANY_LINES = "too_many_lines"
    NOTE_TOO_LONG = "note_too_long"  # longer than the note column (NOTE_MAX_CHARS)
    BAD_ID_NUMBER = "bad_id_number"  # not 18 characters, or its GB 11643 check fails
    BUYER_WORD_MISSING = "buyer_word_missing"  # a deal's phone/ID typed without 买受人


@dataclass(frozen=True)
class ParseError:
    """The text could not be understood; ``verb`` selects the usage example shown."""

    problem: ParseProblem
    verb: str | None = None  # canonical verb, e.g. "报备", "带看"; None = general help
    detail: str | None = None  # the offending fragment, safe to echo (never a full phone)


@dataclass(frozen=True)
class Bind:
    """``绑定 <邀请码> <姓名>``: bind the sender as agent or staff."""

    code: str
    name: str


@dataclass(frozen=True)
class FileClients:
    """``报备 ...``: one or several clients for one project, each answered (R1)."""

    project: str  # project code or name, as typed
    entries: tuple[ClientEntry | ParseError, ...]


@dataclass(frozen=True)
class Query:
    """``查询 [页码]`` or ``查询 <手机号>``: the sender's own filings (R12)."""

    page: int = 1
    phone_mask: str | None = None


@dataclass(frozen=True)
class Cancel:
    """``取消 #<编号>``: the agent withdraws one of their own filings."""

    filing_no: int


@dataclass(frozen=True)
class Help:
    """``帮助`` (and the menu's help button)."""

    topic: str | None = None


@dataclass(frozen=True)
class ReportVisit:
    """``带看|到访报备|改约 <#编号|姓名|手机号> [到访时间]`` (R5's visit report).

    ``at`` None means "now"; the handler fills it from the clock.
    """

    ref: FilingRef
    at: datetime | None = None


@dataclass(frozen=True)
class RegisterArrival:
    """``到访 #<编号> <11位手机号> [到访时间] [本地|异地] [顾问 <姓名>]``, or
    ``到访 <项目> <姓名> <11位手机号> [...]`` (the filing found by name and mask, else a
    walk-in): the front desk registers an arrival (staff only, R5).

    The full phone is needed at arrival (R3: it is decisive there); it is site data, never
    shown in a repr. ``at`` None: the message's time; a typed time is a late registration.
    ``remote`` None: as filed; else the desk's correction (R1). Agents who send it are
    told that staff register arrivals.
    """

    filing_no: int | None
    full_phone: str = field(repr=False)
    project: str | None = None  # the name form: project code or name, as typed
    client_name: str | None = None  # the name form: the client's name, normalised
    at: datetime | None = None
    remote: bool | None = None
    consultant: str | None = None  # 置业顾问


@dataclass(frozen=True)
class DayVisits:
    """``今日`` (menu ``STAFF_TODAY``): the day's expected and reported visits (staff)."""


@dataclass(frozen=True)
class ChannelStats:
    """``统计`` (menu ``STAFF_STATS``): per distributor, today and this week (managers)."""


@dataclass(frozen=True)
class Approve:
    """``通过 #<编号> [例外 <理由>]`` (managers): the pending arrival of that filing is a
    valid visit (R5, R7); ``例外`` accepts a natural one as an exception to R2's notice."""

    filing_no: int
    exception: str | None = None  # the manager's reason, phones masked


@dataclass(frozen=True)
class Reject:
    """``驳回 #<编号> <理由>`` (managers): the pending arrival is a natural visit (R5)."""

    filing_no: int
    reason: str


@dataclass(frozen=True)
class RecordDeal:
    """``认筹|认购|签约 #<编号> [总价] [日期] [买受人 姓名 手机号 身份证号]`` (front desk
    or manager of the filing's project): a deal event of the filing's client (R9), or
    ``认筹|认购|签约 <11位手机号> <姓名> […]`` for a client with no filing (``filing_no``
    None; ``client_phone`` the full number, site data). ``kind`` a ``DealKind`` value;
    ``amount`` the total price in yuan; ``at`` None: when the message was sent; ``buyer``
    the buyer's details, if typed (site data)."""

    kind: str
    filing_no: int | None
    amount: int | None = None
    at: datetime | None = None
    buyer: Buyer | None = None
    client_phone: str | None = None
    client_name: str | None = None


@dataclass(frozen=True)
class VoidDeal:
    """``退定 #<编号> <理由>`` (managers): the client's deals no longer count (R9)."""

    filing_no: int
    reason: str


@dataclass(frozen=True)
class RecordViolation:
    """``违规 <分销商全称> 截客 <说明>`` or ``违规 <分销商全称> 违约报备 #<编号> <说明>``
    (managers): R11. ``distributor`` is the full name as typed (spaces dropped, compared
    normalised); ``kind`` a ``ViolationKind`` value; ``filing_no`` the false filing's."""

    distributor: str
    kind: str
    description: str  # phones masked
    filing_no: int | None = None


@dataclass(frozen=True)
class ListViolations:
    """``违规记录`` (managers): the violations recorded in the manager's projects."""


@dataclass(frozen=True)
class ExcludeDeal:
    """``不计佣 #<编号> <理由>`` (managers): the client's live deals earn no commission
    (甩客, 藏客 …); the reason is required (R9)."""

    filing_no: int
    reason: str


@dataclass(frozen=True)
class MarkBulk:
    """``大宗 #<编号>`` (managers): R6's extension of a visited client, once."""

    filing_no: int


@dataclass(frozen=True)
class ListPending:
    """``待审`` and the staff menu's STAFF_PENDING: arrivals awaiting a ruling."""


@dataclass(frozen=True)
class FileClaim:
    """``撞单 #<编号> <理由>`` (agents): a conflict claim on the deal of the client of the
    agent's own filing ``filing_no`` (R10); the reason is required, phones masked."""

    filing_no: int
    reason: str


@dataclass(frozen=True)
class LinkClients:
    """``关联 #<编号> #<编号> <关系>`` (desk or manager): the two filings' clients are
    relatives or co-buyers (R10.4); ``relation`` one of 配偶 父母 子女 兄弟姐妹 共同购买."""

    first: int
    second: int
    relation: str


@dataclass(frozen=True)
class UnlinkClients:
    """``取消关联 #<编号> #<编号>`` (managers): remove a wrong link (R10.4)."""

    first: int
    second: int


@dataclass(frozen=True)
class RuleClaims:
    """``裁定 #<编号> [改判 <分销商全称> <理由>]`` (managers): the final ruling of the
    claims on the deal of that filing's client (R10); ``改判`` overrides it (R10.5)."""

    filing_no: int
    override_company: str | None = None
    override_reason: str | None = None


Command = (
    Bind
    | FileClients
    | Query
    | Cancel
    | Help
    | ReportVisit
    | RegisterArrival
    | DayVisits
    | ChannelStats
    | Approve
    | Reject
    | MarkBulk
    | ListPending
    | RecordDeal
    | VoidDeal
    | RecordViolation
    | ListViolations
    | ExcludeDeal
    | FileClaim
    | LinkClients
    | UnlinkClients
    | RuleClaims
)
