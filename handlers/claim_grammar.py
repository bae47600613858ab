"""The grammar of R10's verbs: 撞单, 关联, 取消关联, 裁定 (their parsers).

Kept beside ``grammar.py`` (which registers them with their usage) so that module does
not grow further. Pure like it: the standard library, the command types and the field
readers; every reason passes ``take_note`` (phones masked, length checked).
"""

from __future__ import annotations

from datetime import datetime

from handlers.commands import (
    FileClaim,
    LinkClients,
    ParseError,
    ParseProblem,
    RuleClaims,
    UnlinkClients,
)
from handlers.fields import Tokens, field_error, numbered, numbered_with_reason, required_note

#: R10.4's relations, as staff type them.
RELATIONS = ("配偶", "父母", "子女", "兄弟姐妹", "共同购买")


def parse_claim(args: Tokens, now: datetime) -> FileClaim | ParseError:
    """``撞单 #<编号> <理由>``: the reason is required (the manager weighs it)."""
    taken = numbered_with_reason(args, "撞单")
    return taken if isinstance(taken, ParseError) else FileClaim(*taken)


def _two_numbers(args: Tokens, verb: str) -> tuple[int, int, Tokens] | ParseError:
    first = numbered(args, verb)
    if isinstance(first, ParseError):
        return first
    second = numbered(args, verb, first.used)
    if isinstance(second, ParseError):
        return second
    return first.value, second.value, args[first.used + second.used :]


def parse_link(args: Tokens, now: datetime) -> LinkClients | ParseError:
    """``关联 #<编号> #<编号> 配偶|父母|子女|兄弟姐妹|共同购买``."""
    taken = _two_numbers(args, "关联")
    if isinstance(taken, ParseError):
        return taken
    first, second, rest = taken
    if not rest:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="关联")
    if len(rest) != 1 or rest[0] not in RELATIONS:
        return field_error(ParseProblem.BAD_TYPE, "关联", " ".join(rest))
    return LinkClients(first, second, rest[0])


def parse_unlink(args: Tokens, now: datetime) -> UnlinkClients | ParseError:
    """``取消关联 #<编号> #<编号>``."""
    taken = _two_numbers(args, "取消关联")
    if isinstance(taken, ParseError):
        return taken
    first, second, rest = taken
    if rest:
        return field_error(ParseProblem.BAD_NUMBER, "取消关联", " ".join(rest))
    return UnlinkClients(first, second)


def parse_rule(args: Tokens, now: datetime) -> RuleClaims | ParseError:
    """``裁定 #<编号>`` or ``裁定 #<编号> 改判 <分销商全称> <理由>`` (R10.5 needs both)."""
    number = numbered(args, "裁定")
    if isinstance(number, ParseError):
        return number
    rest = args[number.used :]
    if not rest:
        return RuleClaims(number.value)
    if rest[0] != "改判" or len(rest) < 3:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="裁定")
    reason = required_note(rest[2:], "裁定")
    if isinstance(reason, ParseError):
        return reason
    return RuleClaims(number.value, rest[1], reason)
