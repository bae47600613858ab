"""Taking one field at a time out of a tokenised message: phones, numbers, names, notes.

Pure, shared by every verb's parser (``handlers/grammar.py``, ``handlers/filing_grammar.py``).
Each ``take_*`` looks at the tokens from ``start`` and returns what it read with the number
of tokens it used (``Taken``), or None, so a parser can go on after it.

Privacy (R1, R12): a phone typed in full becomes its mask here (``take_phone_mask``);
only ``take_phone_digits`` keeps the digits, for the staff command ``到访`` where the
full number is the point. No ``ParseError.detail`` ever holds a phone's digits: a fragment
with four digits or more, in any script or as Chinese numerals, is not echoed at all
(``safe_detail``). Notes go through the one scrubber (``models.privacy.scrub``); names
are read the one way names are (``models.names.normalise_name``) and hold no number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Generic, NamedTuple, TypeVar

from handlers.commands import ParseError, ParseProblem
from handlers.timeparse import BadTime
from models.names import holds_number, normalise_name
from models.policy import mask_phone
from models.privacy import count_digits, scrub
from models.requests import NAME_MAX_CHARS, NOTE_MAX_CHARS

#: A detail echoed back is at most this long (and holds fewer than 4 digits).
DETAIL_LENGTH = 10

_SEPARATORS = re.compile(r"[、,;\s]+")
_MASK = re.compile(r"[0-9]{3}\*{4}[0-9]{4}")
_FULL_PHONE = re.compile(r"(1[0-9]{2})-?([0-9]{4})-?([0-9]{4})")
_PHONE_PARTS = (re.compile(r"1[0-9]{2}"), re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{4}"))
_NUMBER = re.compile(r"#?([0-9]{1,8})")
_NAME_FORBIDDEN = re.compile(r"[*#:@]")
_LONG_DIGITS = re.compile(r"[0-9]{9,}")

#: 本地 / 异地 as typed -> remote (R1: the agent declares it).
TYPES = {"本地": False, "异地": True, "外地": True}
BULK = "大宗"
_RESERVED_NAMES = frozenset({*TYPES, BULK, "今天", "今日", "明天", "明日", "后天"})

Tokens = list[str]
T = TypeVar("T")


class Taken(NamedTuple, Generic[T]):
    """A field read from the tokens and how many tokens it took."""

    value: T
    used: int


def tokenize(text: str) -> list[Tokens]:
    """NFKC (full-width digits and ，：＃ become ASCII), then non-blank lines of fields.

    Fields are separated by 、,; and whitespace, so agents may type either.
    """
    lines = unicodedata.normalize("NFKC", text).splitlines()
    split = ([t for t in _SEPARATORS.split(line) if t] for line in lines)
    return [tokens for tokens in split if tokens]


def safe_detail(fragment: str) -> str | None:
    """A fragment fit to echo: cut to 10 characters, dropped if it holds 4+ digits.

    Four digits could be a phone's middle four (R12), so no such fragment is echoed,
    whatever script or numerals they are written in (``一二三四``, ``壹贰叁肆``).
    """
    if count_digits(fragment) >= 4:  # before the cut: a phone's end must not survive it
        return None
    return fragment[:DETAIL_LENGTH] or None


def field_error(problem: ParseProblem, verb: str, fragment: str | None = None) -> ParseError:
    """A ParseError whose detail has passed ``safe_detail``."""
    detail = None if fragment is None else safe_detail(fragment)
    return ParseError(problem, verb=verb, detail=detail)


def time_error(tokens: Sequence[str], bad: BadTime, verb: str) -> ParseError:
    """BAD_TIME naming the impossible time, or the safe start of what was typed."""
    if bad.fragment is not None:
        return ParseError(ParseProblem.BAD_TIME, verb=verb, detail=bad.fragment)
    return field_error(ParseProblem.BAD_TIME, verb, " ".join(tokens))


def take_phone_digits(tokens: Sequence[str], start: int) -> Taken[str] | None:
    """A full mobile number at ``start``: 11 digits in a row, ``138-1234-5678`` or
    ``138 1234 5678`` (three fields). Returns the 11 digits and the fields used."""
    parts = tokens[start : start + 3]
    if len(parts) == 3 and all(p.fullmatch(t) for p, t in zip(_PHONE_PARTS, parts, strict=True)):
        return Taken("".join(parts), 3)
    if start >= len(tokens):
        return None
    match = _FULL_PHONE.fullmatch(tokens[start])
    return Taken("".join(match.groups()), 1) if match else None


def take_phone_mask(tokens: Sequence[str], start: int) -> Taken[str] | None:
    """A phone at ``start`` as its mask: typed masked (``138****5678``) or in full."""
    if start < len(tokens) and _MASK.fullmatch(tokens[start]):
        return Taken(tokens[start], 1)
    digits = take_phone_digits(tokens, start)
    return Taken(mask_phone(digits.value), digits.used) if digits else None


def take_number(tokens: Sequence[str], start: int) -> Taken[int] | None:
    """A filing number at ``start``: ``#12``, ``12`` or ``#`` ``12``; short, never a phone."""
    if start >= len(tokens):
        return None
    used = 1
    text = tokens[start]
    if text == "#" and start + 1 < len(tokens):
        text, used = "#" + tokens[start + 1], 2
    match = _NUMBER.fullmatch(text)
    if match is None or int(match.group(1)) < 1:
        return None
    return Taken(int(match.group(1)), used)


def numbered(args: Sequence[str], verb: str, start: int = 0) -> Taken[int] | ParseError:
    """The filing number at ``start`` (``#12``, ``12``): a staff command starts with one."""
    if start >= len(args):
        return ParseError(ParseProblem.MISSING_FIELDS, verb=verb)
    number = take_number(args, start)
    if number is None:
        return field_error(ParseProblem.BAD_NUMBER, verb, args[start])
    return number


def check_name(typed: str, verb: str) -> str | ParseError:
    """A person's name in its one form (``赵 六`` is ``赵六``, ``Lily`` is ``lily``):
    1-20 characters, no number of any script (so never a phone), not 本地/异地."""
    name = normalise_name(typed)
    if (
        not 1 <= len(name) <= NAME_MAX_CHARS
        or _NAME_FORBIDDEN.search(name)
        or holds_number(name)
        or name in _RESERVED_NAMES
    ):
        return field_error(ParseProblem.BAD_NAME, verb, name)
    return name


def take_note(typed: str, verb: str) -> str | ParseError | None:
    """A free-text note, every phone in it masked (R12: middle four never stored), and
    no longer than its column: a longer one is refused naming the limit."""
    note = scrub(typed.strip())
    if len(note) > NOTE_MAX_CHARS:
        return ParseError(ParseProblem.NOTE_TOO_LONG, verb=verb)
    return note or None


def required_note(tokens: Sequence[str], verb: str) -> str | ParseError:
    """A reason the command cannot go without (the agent, the manager or the log is told
    why): none typed is MISSING_FIELDS, so the reply shows the verb's usage."""
    note = take_note(" ".join(tokens), verb)
    return ParseError(ParseProblem.MISSING_FIELDS, verb=verb) if note is None else note


def numbered_with_reason(args: Sequence[str], verb: str) -> tuple[int, str] | ParseError:
    """``<verb> #<编号> <理由>`` (驳回, 退定, 不计佣, 撞单): a number, then the reason."""
    number = numbered(args, verb)
    if isinstance(number, ParseError):
        return number
    reason = required_note(args[number.used :], verb)
    return reason if isinstance(reason, ParseError) else (number.value, reason)


def looks_like_phone(token: str) -> bool:
    """Digits-only of 9+ or with a ``*``: meant as a phone, so a bad one is BAD_PHONE."""
    return "*" in token or _LONG_DIGITS.fullmatch(token) is not None
