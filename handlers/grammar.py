"""The message grammar: raw WeChat text to a typed command (``handlers/commands.py``).

One registry (``REGISTRY``) holds every verb: its word and other words for it, its parser
and its usage text. Parsing, the usage shown after a mistake and the help are all read
from it (errbot's lesson: build the usage hint from the same table that parses), so adding
a verb is one entry. The usage texts are the grammar's own syntax, which is why they live
beside the parsers rather than in ``handlers/replies.py``; the replies frame them.

Pure: only the standard library, the command types and the field readers; ``now`` is an
argument, never read from a clock. ``parse`` never raises, whatever it is sent: it returns
a ``ParseError`` naming the problem and the verb whose usage to show. Privacy rules for
phones are kept by the field readers (``handlers/fields.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from handlers.claim_grammar import parse_claim, parse_link, parse_rule, parse_unlink
from handlers.commands import (
    Approve,
    Bind,
    Cancel,
    ChannelStats,
    Command,
    DayVisits,
    Help,
    ListPending,
    MarkBulk,
    ParseError,
    ParseProblem,
    Query,
    RegisterArrival,
    Reject,
    ReportVisit,
)
from handlers.deal_grammar import DEAL_KINDS, deal_parser, parse_exclude, parse_void
from handlers.fields import (
    TYPES,
    Taken,
    Tokens,
    check_name,
    field_error,
    looks_like_phone,
    numbered,
    numbered_with_reason,
    required_note,
    safe_detail,
    take_number,
    take_phone_digits,
    take_phone_mask,
    time_error,
    tokenize,
)
from handlers.filing_grammar import parse_filing
from handlers.timeparse import BadTime, take_time
from handlers.violation_grammar import LIST_USAGE, LIST_VERB, parse_list, parse_violation
from handlers.violation_grammar import USAGE as VIOLATION_USAGE
from handlers.violation_grammar import VERB as VIOLATION_VERB
from models.requests import INVITE_LENGTH, FilingRef

LinesParser = Callable[[list[Tokens], datetime], Command | ParseError]
ArgsParser = Callable[[Tokens, datetime], Command | ParseError]

# a page as agents write it: 2, 第2页, 第2, 2页, 第二页 (tokens joined: 第 2 页 too)
_PAGE = re.compile(r"第?(?:(?P<n>[0-9]{1,4})|(?P<cn>[一二三四五六七八九十]))页?")
_CN_PAGES = {ch: n for n, ch in enumerate("一二三四五六七八九十", 1)}
_CODE = re.compile(rf"[A-Za-z0-9]{{{INVITE_LENGTH}}}")


@dataclass(frozen=True)
class Verb:
    """One verb of the grammar, everything about it in one place."""

    word: str  # the canonical verb, as commands and ParseError name it
    parse: LinesParser  # the message's lines, the verb first
    usage: str | None = None  # shown after a mistake and for 帮助 <verb>
    summary: str | None = None  # its line in the general help; None = not listed
    synonyms: tuple[str, ...] = ()  # other words for it (matched lower-case)
    staff_summary: str | None = None  # its line in the staff's help; None = not listed


def parse(text: str, now: datetime) -> Command | ParseError:
    """Understand one message; ``now`` (aware) anchors relative times like ``明天``."""
    lines = tokenize(text)
    if not lines:
        return ParseError(ParseProblem.EMPTY)
    first = lines[0][0]
    verb = canonical_verb(first)
    if verb is None:
        return ParseError(ParseProblem.UNKNOWN_VERB, detail=safe_detail(first))
    return BY_WORD[verb].parse(lines, now)


def canonical_verb(word: str) -> str | None:
    """The canonical verb for a word (``改约`` -> ``带看``), or None if it is none."""
    if word in BY_WORD:
        return word
    return SYNONYMS.get(word.lower())


def usage(verb: str | None) -> str | None:
    """The usage text of a verb or its synonym, or None (no such verb, or no usage)."""
    entry = BY_WORD.get(canonical_verb(verb) or "") if verb else None
    return entry.usage if entry else None


def _flat(parser: ArgsParser) -> LinesParser:
    """A verb that reads its arguments as one run of tokens, whatever the lines."""

    def parse_lines(lines: list[Tokens], now: datetime) -> Command | ParseError:
        return parser([token for line in lines for token in line][1:], now)

    return parse_lines


# ---------------------------------------------------------------- the verbs but 报备


def _parse_bind(args: Tokens, now: datetime) -> Bind | ParseError:
    """``绑定 <邀请码> <姓名>``; the code is ``INVITE_LENGTH`` letters and digits."""
    if len(args) < 2:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="绑定")
    if not _CODE.fullmatch(args[0]):
        return field_error(ParseProblem.BAD_NUMBER, "绑定", args[0])
    name = check_name(" ".join(args[1:]), "绑定")
    return name if isinstance(name, ParseError) else Bind(args[0].upper(), name)


def _parse_query(args: Tokens, now: datetime) -> Query | ParseError:
    """``查询``, ``查询 <页码>`` (``2``, ``第2页``) or ``查询 <手机号>`` (masked first)."""
    if not args:
        return Query()
    one_page = len(args) == 1 or args[0].startswith("第") or args[-1].endswith("页")
    page = _page("".join(args)) if one_page else None
    if page is not None:
        return Query(page=page)
    phone = take_phone_mask(args, 0)
    if phone is not None and phone.used == len(args):
        return Query(phone_mask=phone.value)
    if looks_like_phone("".join(args)):
        return ParseError(ParseProblem.BAD_PHONE, verb="查询")
    return field_error(ParseProblem.BAD_NUMBER, "查询", args[0])


def _page(text: str) -> int | None:
    """A page number of ``查询`` (1 or more), or None when the text is no page."""
    match = _PAGE.fullmatch(text)
    if match is None:
        return None
    number = int(match["n"]) if match["n"] else _CN_PAGES[match["cn"]]
    return number if number >= 1 else None


def _parse_cancel(args: Tokens, now: datetime) -> Cancel | ParseError:
    """``取消 #12`` (or ``取消 12``); words after the number are the agent's reason."""
    if not args:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="取消")
    number = take_number(args, 0)
    if number is None:
        return field_error(ParseProblem.BAD_NUMBER, "取消", args[0])
    return Cancel(number.value)


def _parse_help(args: Tokens, now: datetime) -> Help:
    """``帮助 [命令]``; a topic that is no verb gets the general help."""
    topic = canonical_verb(args[0]) if args else None
    return Help(topic=topic)


def _parse_visit(args: Tokens, now: datetime) -> ReportVisit | ParseError:
    """``带看 <#编号|姓名|手机号> [时间]``; the whole rest must be one time."""
    ref = _take_ref(args, now)
    if isinstance(ref, ParseError):
        return ref
    rest = args[ref.used :]
    if not rest:
        return ReportVisit(ref.value)
    when = take_time(rest, now)
    if isinstance(when, BadTime):
        return time_error(rest, when, "带看")
    if when[1] < len(rest):  # words after the time: refused rather than half-read
        return field_error(ParseProblem.BAD_TIME, "带看", " ".join(rest[when[1] :]))
    return ReportVisit(ref.value, when[0])


def _take_ref(args: Tokens, now: datetime) -> Taken[FilingRef] | ParseError:
    """How the agent names a filing: a phone, then a number, else a client's name."""
    if not args or not isinstance(take_time(args, now), BadTime):
        return ParseError(ParseProblem.MISSING_FIELDS, verb="带看")
    phone = take_phone_mask(args, 0)
    if phone is not None:
        return Taken(FilingRef(phone_mask=phone.value), phone.used)
    number = take_number(args, 0)
    if number is not None:
        return Taken(FilingRef(number=number.value), number.used)
    if args[0].startswith("#"):
        return field_error(ParseProblem.BAD_NUMBER, "带看", args[0])
    if looks_like_phone(args[0]):
        return ParseError(ParseProblem.BAD_PHONE, verb="带看")
    name = check_name(args[0], "带看")
    return name if isinstance(name, ParseError) else Taken(FilingRef(name=name), 1)


def _parse_arrival(args: Tokens, now: datetime) -> RegisterArrival | ParseError:
    """``到访 #<编号> <11位手机号> [时间] [本地|异地] [顾问 <姓名>]`` or
    ``到访 <项目> <姓名> <11位手机号> [...]`` (staff): the full number is kept, R3 needs it."""
    if len(args) < 2:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="到访")
    number = take_number(args, 0)
    if number is not None:
        if number.used >= len(args):
            return ParseError(ParseProblem.MISSING_FIELDS, verb="到访")
        phone = take_phone_digits(args, number.used)
        if phone is None:
            return ParseError(ParseProblem.BAD_PHONE, verb="到访")
        extras = _arrival_extras(args[number.used + phone.used :], now)
        if isinstance(extras, ParseError):
            return extras
        return RegisterArrival(number.value, phone.value, None, None, *extras)
    at_phone = next((i for i in range(2, len(args)) if take_phone_digits(args, i)), None)
    if at_phone is None:
        if len(args) == 2 and looks_like_phone(args[1]):  # meant as ``#编号 手机号``
            return field_error(ParseProblem.BAD_NUMBER, "到访", args[0])
        if any(looks_like_phone(token) for token in args):
            return ParseError(ParseProblem.BAD_PHONE, verb="到访")
        return ParseError(ParseProblem.MISSING_FIELDS, verb="到访")
    name = check_name(" ".join(args[1:at_phone]), "到访")
    if isinstance(name, ParseError):
        return name
    phone = take_phone_digits(args, at_phone)
    assert phone is not None
    extras = _arrival_extras(args[at_phone + phone.used :], now)
    if isinstance(extras, ParseError):
        return extras
    return RegisterArrival(None, phone.value, args[0], name, *extras)


_CONSULTANT = "顾问"


def _arrival_extras(
    rest: Tokens, now: datetime
) -> tuple[datetime | None, bool | None, str | None] | ParseError:
    """What may follow the phone, in any order: a time, 本地/异地, ``顾问 <姓名>``."""
    remote: bool | None = None
    consultant: str | None = None
    timed: Tokens = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if token in TYPES:
            remote = TYPES[token]
        elif token.startswith(_CONSULTANT):
            typed = token[len(_CONSULTANT) :].lstrip(":")
            if not typed and index + 1 < len(rest):
                index += 1
                typed = rest[index]
            checked = check_name(typed, "到访")
            if isinstance(checked, ParseError):
                return checked
            consultant = checked
        else:
            timed.append(token)
        index += 1
    if not timed:
        return None, remote, consultant
    when = take_time(timed, now)
    if isinstance(when, BadTime):
        return time_error(timed, when, "到访")
    if when[1] < len(timed):
        return field_error(ParseProblem.BAD_TIME, "到访", " ".join(timed[when[1] :]))
    return when[0], remote, consultant


def _parse_day(args: Tokens, now: datetime) -> DayVisits:
    """``今日`` (staff): words after it are ignored, there is nothing to choose."""
    return DayVisits()


def _parse_stats(args: Tokens, now: datetime) -> ChannelStats:
    """``统计`` (managers)."""
    return ChannelStats()


def _parse_approve(args: Tokens, now: datetime) -> Approve | ParseError:
    """``通过 #<编号>`` or ``通过 #<编号> 例外 <理由>`` (an R2 exception needs its reason)."""
    number = numbered(args, "通过")
    if isinstance(number, ParseError):
        return number
    rest = args[number.used :]
    if not rest:
        return Approve(number.value)
    if rest[0] != "例外" or len(rest) < 2:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="通过")
    reason = required_note(rest[1:], "通过")
    return reason if isinstance(reason, ParseError) else Approve(number.value, reason)


def _parse_reject(args: Tokens, now: datetime) -> Reject | ParseError:
    """``驳回 #<编号> <理由>``: the agent is told why, so the reason is required."""
    taken = numbered_with_reason(args, "驳回")
    return taken if isinstance(taken, ParseError) else Reject(*taken)


def _parse_bulk(args: Tokens, now: datetime) -> MarkBulk | ParseError:
    """``大宗 #<编号>``."""
    number = numbered(args, "大宗")
    if isinstance(number, ParseError):
        return number
    if number.used != len(args):
        return field_error(ParseProblem.BAD_NUMBER, "大宗", " ".join(args[number.used :]))
    return MarkBulk(number.value)


def _parse_pending(args: Tokens, now: datetime) -> ListPending:
    """``待审`` (anything after it is ignored: there is one list)."""
    return ListPending()


# ---------------------------------------------------------------- the registry

#: Every verb, in the order the general help lists them.
REGISTRY: tuple[Verb, ...] = (
    Verb(
        "报备",
        parse_filing,
        usage=(
            "报备 项目 客户姓名 手机号 本地/异地 到访时间\n"
            "例如：报备 P1 张三 138****5678 本地 明天 15:00\n"
            "手机号可写11位或 138****5678；多位客户可每行一位，第一行写「报备 项目」"
        ),
        summary=(
            "报备客户：报备 项目 客户姓名 手机号 本地/异地 到访时间\n"
            "   例：报备 P1 张三 138****5678 本地 明天 15:00"
        ),
    ),
    Verb(
        "带看",
        _flat(_parse_visit),
        usage="带看 #编号 到访时间（不写时间即现在）\n例如：带看 #12 15:00、带看 张三 明天 10:00",
        summary="到访当天带看报备：带看 #编号 [时间]",
        synonyms=("到访报备", "改约"),
    ),
    Verb(
        "查询",
        _flat(_parse_query),
        usage="查询（我的客户）、查询 2 或 查询 第2页（翻页）、查询 138****5678",
        summary="我的客户：查询（或 查询 2 翻页、查询 手机号）",
        staff_summary="查客户：查询 手机号（11位或 138****5678）；只发「查询」即今日到访",
    ),
    Verb(
        "取消",
        _flat(_parse_cancel),
        usage="取消 #编号\n例如：取消 #12",
        summary="取消报备：取消 #编号",
    ),
    Verb(
        "绑定",
        _flat(_parse_bind),
        usage="绑定 邀请码 姓名\n例如：绑定 K7M2Q9XD 王小明",
        summary="绑定：绑定 邀请码 姓名",
    ),
    Verb(
        "帮助",
        _flat(_parse_help),
        synonyms=("help", "?", "？"),
        staff_summary="本帮助：帮助",
    ),
    Verb(
        "到访",
        _flat(_parse_arrival),
        usage=(
            "到访 #编号 11位手机号 [到访时间] [本地/异地] [顾问 姓名]（案场人员使用）\n"
            "例如：到访 #12 客户完整手机号、到访 #12 客户完整手机号 14:30 异地 顾问 李娜\n"
            "没有编号时：到访 项目 客户姓名 11位手机号"
        ),
        staff_summary="登记到访：到访 #编号 11位手机号 [时间] [本地/异地] [顾问 姓名]",
    ),
    Verb(
        "今日",
        _flat(_parse_day),
        usage="今日（本项目今天预计和已带看的到访）",
        staff_summary="今日到访：今日",
        synonyms=("今日到访",),
    ),
    Verb(
        "统计",
        _flat(_parse_stats),
        usage="统计（各分销商今日、本周的报备、到访与有效率，案场经理使用）",
        staff_summary="渠道统计：统计（案场经理）",
    ),
    Verb(
        "通过",
        _flat(_parse_approve),
        usage="通过 #编号（案场经理审核到访）\n例外通过自然到访须写理由：通过 #编号 例外 理由",
        synonyms=("审核通过",),
        staff_summary="审核通过：通过 #编号（例外：通过 #编号 例外 理由）（案场经理）",
    ),
    Verb(
        "驳回",
        _flat(_parse_reject),
        usage="驳回 #编号 理由（案场经理）\n例如：驳回 #12 客户未到场",
        staff_summary="驳回到访：驳回 #编号 理由（案场经理）",
    ),
    Verb(
        "大宗",
        _flat(_parse_bulk),
        usage="大宗 #编号（案场经理：已到访客户延长保护期一次）",
        staff_summary="大宗延期：大宗 #编号（案场经理）",
    ),
    Verb(
        "待审",
        _flat(_parse_pending),
        usage="待审（待审核的到访）",
        synonyms=("待审核",),
        staff_summary="待审核到访：待审",
    ),
    *(
        Verb(
            word,
            _flat(deal_parser(word)),
            usage=(
                f"{word} #编号 [总价] [日期] [买受人 姓名 11位手机号 身份证号]"
                "（案场前台或经理；日期不写即现在，可写 11-25、昨天 10:00）\n"
                f"例如：{word} #12 350万 11-25 买受人 张三 买受人完整手机号 买受人身份证号\n"
                f"没有报备的客户：{word} 11位手机号 客户姓名 [总价] [日期]"
            ),
            staff_summary=f"登记{word}：{word} #编号 [总价] [日期] [买受人 姓名 手机号 身份证号]",
        )
        for word in DEAL_KINDS
    ),
    Verb(
        "退定",
        _flat(parse_void),
        usage="退定 #编号 理由（案场经理：该客户的成交作废）\n例如：退定 #12 客户退房",
        staff_summary="退定：退定 #编号 理由（案场经理）",
    ),
    Verb(
        VIOLATION_VERB,
        _flat(parse_violation),
        usage=VIOLATION_USAGE,
        staff_summary="记录违规：违规 分销商全称 截客|违约报备 [#编号] 说明（案场经理）",
    ),
    Verb(
        LIST_VERB,
        _flat(parse_list),
        usage=LIST_USAGE,
        staff_summary="违规记录：违规记录（案场经理）",
    ),
    Verb(
        "不计佣",
        _flat(parse_exclude),
        usage="不计佣 #编号 理由（案场经理：该客户的成交不计佣金）\n例如：不计佣 #12 甩客",
        staff_summary="不计佣：不计佣 #编号 理由（案场经理）",
    ),
    Verb(
        "撞单",
        _flat(parse_claim),
        usage=(
            "撞单 #编号 理由（您报备的客户成交后归属其他渠道时，在规定天数内提出）\n"
            "例如：撞单 #12 客户11月20日由我司带看"
        ),
        summary="撞单申诉：撞单 #编号 理由",
    ),
    Verb(
        "关联",
        _flat(parse_link),
        usage=(
            "关联 #编号 #编号 配偶/父母/子女/兄弟姐妹/共同购买（案场前台或经理）\n"
            "例如：关联 #12 #15 配偶"
        ),
        staff_summary="关联亲属/共同购买人：关联 #编号 #编号 关系",
    ),
    Verb(
        "取消关联",
        _flat(parse_unlink),
        usage="取消关联 #编号 #编号（案场经理：删除错误的关联）",
        staff_summary="取消关联：取消关联 #编号 #编号（案场经理）",
    ),
    Verb(
        "裁定",
        _flat(parse_rule),
        usage=(
            "裁定 #编号（案场经理：按规则裁定该成交的撞单，裁定为最终结果）\n"
            "改判须写分销商全称和理由：裁定 #编号 改判 分销商全称 理由"
        ),
        staff_summary="撞单裁定：裁定 #编号（改判：裁定 #编号 改判 分销商全称 理由）（案场经理）",
    ),
)

BY_WORD: dict[str, Verb] = {verb.word: verb for verb in REGISTRY}
VERBS: tuple[str, ...] = tuple(BY_WORD)
#: Other words for a canonical verb (keys lower-case; ``？`` is ``?`` after NFKC).
SYNONYMS: dict[str, str] = {
    synonym.lower(): verb.word for verb in REGISTRY for synonym in verb.synonyms
}
