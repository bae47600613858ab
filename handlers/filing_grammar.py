"""The grammar of ``报备``, the one verb with several forms (R1).

One client on the verb's line (``报备 P1 张三 138****5678 本地 明天 15:00``), a header line
then one client a line, or labelled lines (``客户：张三`` ...) as agents paste them from a
form; a repeated label starts the next client. Each client is read on its own, so one bad
line is answered as that line's error while the others are filed.

Names are read without spaces (``models.names``), so on a client's line the name is every
token before the phone: ``赵 六 138****5678`` files 赵六, as ``客户：赵 六`` does. The project
as typed is echoed when no project has it, so it is scrubbed of phones here.
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.commands import FileClients, ParseError, ParseProblem
from handlers.fields import (
    BULK,
    TYPES,
    Taken,
    Tokens,
    check_name,
    field_error,
    take_note,
    take_phone_mask,
    time_error,
)
from handlers.timeparse import BadTime, parse_time, take_time
from models.privacy import scrub
from models.requests import ClientEntry

VERB = "报备"
#: A message files at most this many clients; more is refused as a whole.
MAX_CLIENT_LINES = 10  # ten compact results fit in one 2,048-byte reply
#: A name typed with spaces spans at most this many tokens (``Mary Ann Lee Smith``).
MAX_NAME_TOKENS = 4

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
_PHONE_ISH = re.compile(r"[0-9*]")
_FIELD_LABELS = {"name": "客户", "phone": "电话", "type": "类型", "time": "到访"}
_YES = frozenset({"是", "有", "y", "yes", "true", "1", "大宗"})


def parse_filing(lines: list[Tokens], now: datetime) -> FileClients | ParseError:
    """``报备``: one line, a header then one client a line, or labelled lines."""
    head, body = lines[0][1:], lines[1:]
    if body and len(head) <= 1 and _LABEL.fullmatch(body[0][0]):
        return _parse_labelled(head, body, now)
    if not head:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    client_lines = ([head[1:]] if len(head) > 1 else []) + body
    if len(client_lines) > MAX_CLIENT_LINES:  # refused before any line is read
        return ParseError(ParseProblem.TOO_MANY_LINES, verb=VERB)
    return _file(head[0], [_parse_client_line(line, now) for line in client_lines])


def _file(project: str | None, entries: list[ClientEntry | ParseError]) -> FileClients | ParseError:
    """Wrap the entries; a lone failing client is the message's error, not an entry."""
    if project is None or not entries:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    if len(entries) > MAX_CLIENT_LINES:
        return ParseError(ParseProblem.TOO_MANY_LINES, verb=VERB)
    if len(entries) == 1 and isinstance(entries[0], ParseError):
        return entries[0]
    return FileClients(scrub(project), tuple(entries))


def _parse_client_line(tokens: Tokens, now: datetime) -> ClientEntry | ParseError:
    """``<姓名> <手机号> <本地|异地> <到访时间> [备注] [大宗]``."""
    if len(tokens) < 4:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    read = _take_name_and_phone(tokens)
    if isinstance(read, ParseError):
        return read
    name, phone, kind = read
    if kind >= len(tokens):
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    if tokens[kind] not in TYPES:
        return field_error(ParseProblem.BAD_TYPE, VERB, tokens[kind])
    rest = [t for t in tokens[kind + 1 :] if t != BULK]
    if not rest:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB)
    when = take_time(rest, now)
    if isinstance(when, BadTime):
        return time_error(rest, when, VERB)
    note = take_note(" ".join(rest[when[1] :]), VERB)
    if isinstance(note, ParseError):
        return note
    bulk = BULK in tokens[kind + 1 :]
    return ClientEntry(name, phone.value, TYPES[tokens[kind]], when[0], note, bulk)


def _take_name_and_phone(tokens: Tokens) -> tuple[str, Taken[str], int] | ParseError:
    """The name (every token before the phone), the phone, and where the type stands.

    A name is read without its spaces, so ``赵 六 138****5678`` is 赵六 and not a bad phone
    ``六``. A token with a digit or ``*`` after the first is a mistyped phone, not a name's
    part. Without a phone, the name is checked first (the agent hears the line's first
    mistake), then the phone is what is wrong.
    """
    for index in range(1, min(len(tokens), MAX_NAME_TOKENS + 1)):
        phone = take_phone_mask(tokens, index)
        if phone is not None:
            name = check_name(" ".join(tokens[:index]), VERB)
            if isinstance(name, ParseError):
                return name
            return name, phone, index + phone.used
        if tokens[index] in TYPES or _PHONE_ISH.search(tokens[index]):
            break  # a mistyped phone or the type: no part of a name
    name = check_name(tokens[0], VERB)
    return name if isinstance(name, ParseError) else ParseError(ParseProblem.BAD_PHONE, verb=VERB)


def _parse_labelled(head: Tokens, body: list[Tokens], now: datetime) -> FileClients | ParseError:
    """``报备 [项目]`` then ``客户：张三`` lines; a repeated label starts the next client."""
    project = head[0] if head else None
    blocks: list[dict[str, Tokens]] = [{}]
    for line in body:
        match = _LABEL.fullmatch(line[0])
        if match is None:
            return field_error(ParseProblem.MISSING_FIELDS, VERB, line[0])
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
        return ParseError(ParseProblem.MISSING_FIELDS, verb=VERB, detail=",".join(missing))
    name = check_name(" ".join(fields["name"]), VERB)
    if isinstance(name, ParseError):
        return name
    phone = take_phone_mask(fields["phone"], 0)
    if phone is None or phone.used != len(fields["phone"]):
        return ParseError(ParseProblem.BAD_PHONE, verb=VERB)
    kind = " ".join(fields["type"])
    if kind not in TYPES:
        return field_error(ParseProblem.BAD_TYPE, VERB, kind)
    when = parse_time(" ".join(fields["time"]), now)
    if isinstance(when, BadTime):
        return time_error(fields["time"], when, VERB)
    note = take_note(" ".join(fields.get("note", [])), VERB)
    if isinstance(note, ParseError):
        return note
    bulk = " ".join(fields.get("bulk", [])).lower() in _YES
    return ClientEntry(name, phone.value, TYPES[kind], when, note, bulk)
