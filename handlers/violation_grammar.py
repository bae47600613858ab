"""The grammar of R11's violations: ``违规 <分销商全称> 截客 <说明>`` and
``违规 <分销商全称> 违约报备 #<编号> <说明>`` (managers), and ``违规记录``.

The distributor is named by its full name, which may hold spaces (``甲 房产``): every token
before the kind word is the name, so the kind word is what splits the message. The
description is required (R11: each violation is recorded with a reason) and stored with
every phone masked. Pure: the standard library, the command types and the field readers.
"""

from __future__ import annotations

from datetime import datetime

from handlers.commands import ListViolations, ParseError, ParseProblem, RecordViolation
from handlers.fields import Tokens, field_error, take_note, take_number
from models.names import normalise_name

VERB = "违规"
LIST_VERB = "违规记录"
#: The kind words, each a ``ViolationKind`` value (``models.policy.violations``).
KIND_WORDS: dict[str, str] = {
    "截客": "interception",
    "拦截": "interception",
    "翘客": "interception",
    "违约报备": "false_filing",
    "虚假报备": "false_filing",
}
USAGE = (
    "违规 分销商全称 截客 说明（案场经理）\n"
    "违规 分销商全称 违约报备 #编号 说明\n"
    "例如：违规 甲房产经纪有限公司 截客 售楼处门口拦截客户\n"
    "随后发送照片作为证据"
)
LIST_USAGE = "违规记录（本项目记录的违规，案场经理）"


def parse_violation(args: Tokens, now: datetime) -> RecordViolation | ParseError:
    """Name, kind word, (the false filing's number,) description: all required."""
    at = next((i for i, token in enumerate(args) if token in KIND_WORDS), None)
    if at is None or at == 0:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    name = normalise_name("".join(args[:at]))
    kind = KIND_WORDS[args[at]]
    rest = args[at + 1 :]
    number: int | None = None
    if kind == "false_filing":
        taken = take_number(rest, 0)
        if taken is None:
            fragment = rest[0] if rest else None
            return field_error(ParseProblem.BAD_NUMBER, VERB, fragment)
        number, rest = taken.value, rest[taken.used :]
    note = take_note(" ".join(rest), VERB)
    if note is None:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    if isinstance(note, ParseError):
        return note
    return RecordViolation(name, kind, note, number)


def parse_list(args: Tokens, now: datetime) -> ListViolations:
    """``违规记录`` (anything after it is ignored: there is one list per project)."""
    return ListViolations()
