"""The message grammar: raw WeChat text to a typed command (``handlers/commands.py``).

Pure: only the standard library, the command types and ``models.policy.mask_phone``;
``now`` is an argument, never read from a clock. ``parse`` never raises, whatever it is
sent: it returns a ``ParseError`` naming the problem and the verb whose usage to show.

Privacy (R1, R12): a phone typed in full becomes its mask here, except in the staff
command ``到访`` where the full number is the point. No ``ParseError.detail`` ever holds a
phone's digits: a fragment with four digits or more is not echoed at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime

from handlers.commands import (
    Bind,
    Cancel,
    Command,
    FileClients,
    Help,
    ParseError,
    ParseProblem,
    Query,
    RegisterArrival,
    ReportVisit,
)
from handlers.timeparse import BadTime, parse_time, take_time
from models.policy import mask_phone
from models.requests import ClientEntry, FilingRef

VERBS: tuple[str, ...] = ("绑定", "报备", "带看", "查询", "取消", "帮助", "到访")
#: Other words for a canonical verb (keys lower-case; ``？`` is ``?`` after NFKC).
SYNONYMS: dict[str, str] = {
    "help": "帮助",
    "?": "帮助",
    "？": "帮助",
    "到访报备": "带看",
    "改约": "带看",
}
#: A message files at most this many clients; more is refused as a whole.
MAX_CLIENT_LINES = 10  # ten compact results fit in one 2,048-byte reply
#: A detail echoed back is at most this long (and holds fewer than 4 digits).
DETAIL_LENGTH = 10

_SEPARATORS = re.compile(r"[、,;\s]+")
_MASK = re.compile(r"[0-9]{3}\*{4}[0-9]{4}")
_FULL_PHONE = re.compile(r"(1[0-9]{2})-?([0-9]{4})-?([0-9]{4})")
_PHONE_PARTS = (re.compile(r"1[0-9]{2}"), re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{4}"))
_NUMBER = re.compile(r"#?([0-9]{1,8})")
_PAGE = re.compile(r"[0-9]{1,4}")
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_NAME_FORBIDDEN = re.compile(r"[0-9*#:@]")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{3})[- ]?[0-9]{4}[- ]?([0-9]{4})(?![0-9])")
_TYPES = {"本地": False, "异地": True, "外地": True}
_RESERVED_NAMES = frozenset({*_TYPES, "大宗", "今天", "今日", "明天", "明日", "后天"})
_BULK = "大宗"
_LABELS = {
    "项目": "project",
    "客户姓名": "name",
    "客户": "name",
    "姓名": "name",
    "手机号码": "phone",
    "手机号": "phone",
    "手机": "phone",
    "电话": "phone",
    "类型": "type",
    "到访时间": "time",
    "到访": "time",
    "时间": "time",
    "备注": "note",
    "大宗": "bulk",
}
_LABEL = re.compile("(" + "|".join(sorted(_LABELS, key=len, reverse=True)) + "):(.*)")
_FIELD_LABELS = {"name": "客户", "phone": "电话", "type": "类型", "time": "到访"}
_YES = frozenset({"是", "有", "y", "yes", "true", "1", "大宗"})

Tokens = list[str]


def parse(text: str, now: datetime) -> Command | ParseError:
    """Understand one message; ``now`` (aware) anchors relative times like ``明天``."""
    lines = tokenize(text)
    if not lines:
        return ParseError(ParseProblem.EMPTY)
    first = lines[0][0]
    verb = canonical_verb(first)
    if verb is None:
        return ParseError(ParseProblem.UNKNOWN_VERB, detail=safe_detail(first))
    if verb == "报备":
        return _parse_filing(lines, now)
    args = [token for line in lines for token in line][1:]
    return _VERB_PARSERS[verb](args, now)


def tokenize(text: str) -> list[Tokens]:
    """NFKC (full-width digits and ，：＃ become ASCII), then non-blank lines of fields.

    Fields are separated by 、,; and whitespace, so agents may type either.
    """
    lines = unicodedata.normalize("NFKC", text).splitlines()
    split = ([t for t in _SEPARATORS.split(line) if t] for line in lines)
    return [tokens for tokens in split if tokens]


def canonical_verb(word: str) -> str | None:
    """The canonical verb for a word (``改约`` -> ``带看``), or None if it is none."""
    if word in VERBS:
        return word
    return SYNONYMS.get(word.lower())


def safe_detail(fragment: str) -> str | None:
    """A fragment fit to echo: cut to 10 characters, dropped if it holds 4+ digits.

    Four digits could be a phone's middle four (R12), so no such fragment is echoed.
    """
    cut = fragment[:DETAIL_LENGTH]
    if sum(ch.isdecimal() for ch in cut) >= 4:  # any script's digits, not only ASCII
        return None
    return cut or None


def _error(problem: ParseProblem, verb: str, fragment: str | None = None) -> ParseError:
    """A ParseError whose detail has passed ``safe_detail``."""
    detail = None if fragment is None else safe_detail(fragment)
    return ParseError(problem, verb=verb, detail=detail)


# ---------------------------------------------------------------- fields


def take_phone_digits(tokens: Sequence[str], start: int) -> tuple[str, int] | None:
    """A full mobile number at ``start``: 11 digits in a row, ``138-1234-5678`` or
    ``138 1234 5678`` (three fields). Returns the 11 digits and the fields used."""
    parts = tokens[start : start + 3]
    if len(parts) == 3 and all(p.fullmatch(t) for p, t in zip(_PHONE_PARTS, parts, strict=True)):
        return "".join(parts), 3
    if start >= len(tokens):
        return None
    match = _FULL_PHONE.fullmatch(tokens[start])
    return ("".join(match.groups()), 1) if match else None


def take_phone_mask(tokens: Sequence[str], start: int) -> tuple[str, int] | None:
    """A phone at ``start`` as its mask: typed masked (``138****5678``) or in full."""
    if start < len(tokens) and _MASK.fullmatch(tokens[start]):
        return tokens[start], 1
    digits = take_phone_digits(tokens, start)
    return (mask_phone(digits[0]), digits[1]) if digits else None


def take_number(tokens: Sequence[str], start: int) -> tuple[int, int] | None:
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
    return int(match.group(1)), used


def check_name(name: str, verb: str) -> str | ParseError:
    """A person's name: 1-20 characters, no digits (so never a phone), not 本地/异地."""
    if not 1 <= len(name) <= 20 or _NAME_FORBIDDEN.search(name) or name in _RESERVED_NAMES:
        return _error(ParseProblem.BAD_NAME, verb, name)
    return name


def scrub_note(note: str) -> str | None:
    """A free-text note, any phone in it masked (R12: middle four never stored)."""
    masked = _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", note)
    return masked or None


def _looks_like_phone(token: str) -> bool:
    """Digits-only of 9+ or with a ``*``: meant as a phone, so a bad one is BAD_PHONE."""
    return "*" in token or re.fullmatch(r"[0-9]{9,}", token) is not None


def _time_error(tokens: Sequence[str], bad: BadTime, verb: str) -> ParseError:
    """BAD_TIME naming the impossible time, or the safe start of what was typed."""
    if bad.fragment is not None:
        return ParseError(ParseProblem.BAD_TIME, verb=verb, detail=bad.fragment)
    return _error(ParseProblem.BAD_TIME, verb, " ".join(tokens))


# ---------------------------------------------------------------- 报备


def _parse_filing(lines: list[Tokens], now: datetime) -> FileClients | ParseError:
    """``报备``: one line, a header then one client a line, or labelled lines."""
    head, body = lines[0][1:], lines[1:]
    if body and len(head) <= 1 and _LABEL.fullmatch(body[0][0]):
        return _parse_labelled(head, body, now)
    if not head:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备")
    client_lines = ([head[1:]] if len(head) > 1 else []) + body
    if len(client_lines) > MAX_CLIENT_LINES:  # refused before any line is read
        return ParseError(ParseProblem.TOO_MANY_LINES, verb="报备")
    return _file(head[0], [_parse_client_line(line, now) for line in client_lines])


def _file(project: str | None, entries: list[ClientEntry | ParseError]) -> FileClients | ParseError:
    """Wrap the entries; a lone failing client is the message's error, not an entry."""
    if project is None or not entries:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备")
    if len(entries) > MAX_CLIENT_LINES:
        return ParseError(ParseProblem.TOO_MANY_LINES, verb="报备")
    if len(entries) == 1 and isinstance(entries[0], ParseError):
        return entries[0]
    return FileClients(project, tuple(entries))


def _parse_client_line(tokens: Tokens, now: datetime) -> ClientEntry | ParseError:
    """``<姓名> <手机号> <本地|异地> <到访时间> [备注] [大宗]``."""
    if len(tokens) < 4:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备")
    name = check_name(tokens[0], "报备")
    if isinstance(name, ParseError):
        return name
    phone = take_phone_mask(tokens, 1)
    if phone is None:
        return ParseError(ParseProblem.BAD_PHONE, verb="报备")
    kind = 1 + phone[1]
    if kind >= len(tokens):
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备")
    if tokens[kind] not in _TYPES:
        return _error(ParseProblem.BAD_TYPE, "报备", tokens[kind])
    rest = [t for t in tokens[kind + 1 :] if t != _BULK]
    if not rest:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备")
    when = take_time(rest, now)
    if isinstance(when, BadTime):
        return _time_error(rest, when, "报备")
    note = scrub_note(" ".join(rest[when[1] :]))
    bulk = _BULK in tokens[kind + 1 :]
    return ClientEntry(name, phone[0], _TYPES[tokens[kind]], when[0], note, bulk)


def _parse_labelled(head: Tokens, body: list[Tokens], now: datetime) -> FileClients | ParseError:
    """``报备 [项目]`` then ``客户：张三`` lines; a repeated label starts the next client."""
    project = head[0] if head else None
    blocks: list[dict[str, Tokens]] = [{}]
    for line in body:
        match = _LABEL.fullmatch(line[0])
        if match is None:
            return _error(ParseProblem.MISSING_FIELDS, "报备", line[0])
        field, value = _LABELS[match.group(1)], [match.group(2), *line[1:]]
        value = [t for t in value if t]
        if field == "project":
            project = " ".join(value) or project
            continue
        if field in blocks[-1]:
            blocks.append({})
        blocks[-1][field] = value
    entries = [_client_from_fields(block, now) for block in blocks if block]
    return _file(project, entries)


def _client_from_fields(fields: dict[str, Tokens], now: datetime) -> ClientEntry | ParseError:
    """One labelled client: every required label present and each value valid."""
    missing = [label for key, label in _FIELD_LABELS.items() if not fields.get(key)]
    if missing:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="报备", detail=",".join(missing))
    name = check_name(" ".join(fields["name"]), "报备")
    if isinstance(name, ParseError):
        return name
    phone = take_phone_mask(fields["phone"], 0)
    if phone is None or phone[1] != len(fields["phone"]):
        return ParseError(ParseProblem.BAD_PHONE, verb="报备")
    kind = " ".join(fields["type"])
    if kind not in _TYPES:
        return _error(ParseProblem.BAD_TYPE, "报备", kind)
    when = parse_time(" ".join(fields["time"]), now)
    if isinstance(when, BadTime):
        return _time_error(fields["time"], when, "报备")
    note = scrub_note(" ".join(fields.get("note", [])))
    bulk = " ".join(fields.get("bulk", [])).lower() in _YES
    return ClientEntry(name, phone[0], _TYPES[kind], when, note, bulk)


# ---------------------------------------------------------------- other verbs


def _parse_bind(args: Tokens, now: datetime) -> Bind | ParseError:
    """``绑定 <邀请码> <姓名>``; the code is letters and digits, stored upper-case."""
    if len(args) < 2:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="绑定")
    if not _CODE.fullmatch(args[0]):
        return _error(ParseProblem.BAD_NUMBER, "绑定", args[0])
    name = check_name(" ".join(args[1:]), "绑定")
    return name if isinstance(name, ParseError) else Bind(args[0].upper(), name)


def _parse_query(args: Tokens, now: datetime) -> Query | ParseError:
    """``查询``, ``查询 <页码>`` or ``查询 <手机号>`` (masked before it goes further)."""
    if not args:
        return Query()
    if len(args) == 1 and _PAGE.fullmatch(args[0]) and int(args[0]) >= 1:
        return Query(page=int(args[0]))
    phone = take_phone_mask(args, 0)
    if phone is not None and phone[1] == len(args):
        return Query(phone_mask=phone[0])
    if _looks_like_phone("".join(args)):
        return ParseError(ParseProblem.BAD_PHONE, verb="查询")
    return _error(ParseProblem.BAD_NUMBER, "查询", args[0])


def _parse_cancel(args: Tokens, now: datetime) -> Cancel | ParseError:
    """``取消 #12`` (or ``取消 12``); words after the number are the agent's reason."""
    if not args:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="取消")
    number = take_number(args, 0)
    if number is None:
        return _error(ParseProblem.BAD_NUMBER, "取消", args[0])
    return Cancel(number[0])


def _parse_help(args: Tokens, now: datetime) -> Help:
    """``帮助 [命令]``; a topic that is no verb gets the general help."""
    topic = canonical_verb(args[0]) if args else None
    return Help(topic=topic)


def _parse_visit(args: Tokens, now: datetime) -> ReportVisit | ParseError:
    """``带看 <#编号|姓名|手机号> [时间]``; the whole rest must be one time."""
    ref = _take_ref(args, now)
    if isinstance(ref, ParseError):
        return ref
    rest = args[ref[1] :]
    if not rest:
        return ReportVisit(ref[0])
    when = take_time(rest, now)
    if isinstance(when, BadTime):
        return _time_error(rest, when, "带看")
    if when[1] < len(rest):  # words after the time: refused rather than half-read
        return _error(ParseProblem.BAD_TIME, "带看", " ".join(rest[when[1] :]))
    return ReportVisit(ref[0], when[0])


def _take_ref(args: Tokens, now: datetime) -> tuple[FilingRef, int] | ParseError:
    """How the agent names a filing: a phone, then a number, else a client's name."""
    if not args or not isinstance(take_time(args, now), BadTime):
        return ParseError(ParseProblem.MISSING_FIELDS, verb="带看")
    phone = take_phone_mask(args, 0)
    if phone is not None:
        return FilingRef(phone_mask=phone[0]), phone[1]
    number = take_number(args, 0)
    if number is not None:
        return FilingRef(number=number[0]), number[1]
    if args[0].startswith("#"):
        return _error(ParseProblem.BAD_NUMBER, "带看", args[0])
    if _looks_like_phone(args[0]):
        return ParseError(ParseProblem.BAD_PHONE, verb="带看")
    name = check_name(args[0], "带看")
    return name if isinstance(name, ParseError) else (FilingRef(name=name), 1)


def _parse_arrival(args: Tokens, now: datetime) -> RegisterArrival | ParseError:
    """``到访 #<编号> <11位手机号>`` (staff): the full number is kept, R3 needs it."""
    if len(args) < 2:
        return ParseError(ParseProblem.MISSING_FIELDS, verb="到访")
    number = take_number(args, 0)
    if number is None:
        return _error(ParseProblem.BAD_NUMBER, "到访", args[0])
    if number[1] >= len(args):
        return ParseError(ParseProblem.MISSING_FIELDS, verb="到访")
    phone = take_phone_digits(args, number[1])
    if phone is None or number[1] + phone[1] != len(args):
        return ParseError(ParseProblem.BAD_PHONE, verb="到访")
    return RegisterArrival(number[0], phone[0])


_VERB_PARSERS: dict[str, Callable[[Tokens, datetime], Command | ParseError]] = {
    "绑定": _parse_bind,
    "查询": _parse_query,
    "取消": _parse_cancel,
    "帮助": _parse_help,
    "带看": _parse_visit,
    "到访": _parse_arrival,
}
