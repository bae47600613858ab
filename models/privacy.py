"""One scrubber for every phone number a user could slip into text (R12).

The middle four digits of a client's phone never reach an agent, a push, a log line or a
stored agent-typed field. Agents do not only type ``13812345678``: they paste
``+86 138-1234-5678``, ``(138)1234-5678``, ``008613812345678``, split the digits with
``_``, ``/``, emoji or zero-width characters, or write them in full-width digits or in
Chinese numerals (一三八…, 壹叁捌…). ``scrub`` reads all of these as the same eleven
digits and masks them to ``138****5678``; every echo (``handlers/replies.py`` and the
webhook's last step), every store of typed text (notes, names, the replies kept for
WeChat's retries, the decision log) and every log line (``ScrubFilter``) goes through it.

What counts as a phone: eleven digits starting with 1 (as the grammar reads a phone;
mobile prefixes 13-19 first where two readings overlap), in one run of digits joined only
by separators (spaces, ``-._/()+``, dashes, emoji and other symbols, invisible format
characters), optionally after ``86``/``0086``. Newlines, letters, ``:`` ``#`` ``*`` and
Chinese words end a run, so the service's own dates, times, filing numbers and masks are
never mistaken for one (``2026-11-30 15:00`` is ten digits).

Pure: the standard library only; import-linter's ``pure-modules`` contract guards it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

#: Chinese numerals as phone digits are read out or written (幺 = 1, 两 = 2; capitals too).
CHINESE_DIGITS: dict[str, int] = {
    **dict.fromkeys("〇零", 0),
    **dict.fromkeys("一幺壹", 1),
    **dict.fromkeys("二两貳贰", 2),
    **dict.fromkeys("三叁參", 3),
    **dict.fromkeys("四肆", 4),
    **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陆陸", 6),
    **dict.fromkeys("七柒", 7),
    **dict.fromkeys("八捌", 8),
    **dict.fromkeys("九玖", 9),
}
#: Characters that may stand between the digits of one phone (after NFKC).
_JOINERS = frozenset(" -._/()+\t\u00a0\u3000~")
#: Unicode categories that may stand between digits: spaces, dashes, invisible format
#: characters (zero-width, bidi), combining marks and variation selectors, symbols (emoji).
_JOINER_CATEGORIES = frozenset({"Zs", "Cf", "Pd", "Mn", "Me", "So", "Sk"})
#: Where joiners and the digits that are not decimal (①, ¹) are looked for, once at
#: import (20,000 code points, milliseconds): Latin to CJK symbols, the half- and
#: full-width forms and variation selectors, the emoji planes, the tag characters.
#: Decimal digits of every script are matched anywhere (``\d``).
_SCANNED = (
    range(0x0000, 0x3400),
    range(0xFE00, 0x10000),
    range(0x1F000, 0x1FB00),
    range(0xE0000, 0xE0200),
)
#: A contiguous run of more digits than the longest phone (0086 + 11) is an identifier
#: (a WeChat MsgId, a timestamp in ms), left alone by ``scrub(..., keep_ids=True)``.
LONGEST_PHONE_RUN = 15
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_ELEVEN = re.compile(r"1[0-9]{10}")
MASK_STARS = "****"


def _joins(char: str) -> bool:
    """A character that may sit between two digits of one phone number."""
    if char in "\n\r" or unicodedata.digit(char, None) is not None:
        return False
    if char in _JOINERS:
        return True
    folded = unicodedata.normalize("NFKC", char)
    if folded and all(c in _JOINERS for c in folded):
        return True
    return unicodedata.category(char) in _JOINER_CATEGORIES


def _char_class(points: list[int]) -> str:
    """A regular-expression class body for these code points, as ranges."""
    parts: list[str] = []
    start = previous = None
    for point in [*points, -2]:
        if previous is not None and point == previous + 1:
            previous = point
            continue
        if start is not None and previous is not None:
            parts.append(re.escape(chr(start)))
            if previous > start:
                parts.append("-" + re.escape(chr(previous)))
        start = previous = point
    return "".join(parts)


def _classes() -> tuple[str, str]:
    """The digit class (decimal digits, other digits, Chinese numerals) and the joiners."""
    points = [point for block in _SCANNED for point in block]
    others = [p for p in points if not chr(p).isdecimal() and unicodedata.digit(chr(p), None)
              is not None]  # fmt: skip
    joiners = [p for p in points if _joins(chr(p))]
    numerals = "".join(sorted(CHINESE_DIGITS))
    return f"[\\d{_char_class(others)}{numerals}]", f"[{_char_class(joiners)}]"


_DIGIT_CLASS, _JOINER_CLASS = _classes()
_DIGIT = re.compile(_DIGIT_CLASS)
#: A run of digits joined only by joiners: where a phone may hide.
_RUN = re.compile(f"{_DIGIT_CLASS}(?:{_JOINER_CLASS}*{_DIGIT_CLASS})*")


def digit_of(char: str) -> int | None:
    """The digit a character stands for: any script's digit (ASCII, full-width, Arabic,
    circled ...) or a Chinese numeral; None for every other character."""
    if not _DIGIT.match(char):
        return None
    value = CHINESE_DIGITS.get(char)
    return value if value is not None else unicodedata.digit(char)


def count_digits(text: str) -> int:
    """How many characters of ``text`` stand for a digit, in any script or as numerals."""
    return len(_DIGIT.findall(text))


def mask_digits(digits: str) -> str:
    """``13812345678`` -> ``138****5678``: the first three and the last four."""
    return f"{digits[:3]}{MASK_STARS}{digits[7:]}"


def _runs(text: str) -> Iterator[list[tuple[int, int, bool]]]:
    """Each run that could hold a phone: (position, digit, joined-before) of its digits."""
    for match in _RUN.finditer(text):
        if match.end() - match.start() < 11 or len(_DIGIT.findall(match.group())) < 11:
            continue  # a date, a time, a filing number: too few digits for a phone
        run: list[tuple[int, int, bool]] = []
        joined = False
        for position in range(match.start(), match.end()):
            value = digit_of(text[position])
            if value is None:
                joined = True
            else:
                run.append((position, value, joined))
                joined = False
        if len(run) >= 11:
            yield run


def _is_identifier(run: list[tuple[int, int, bool]], start: int, end: int) -> bool:
    """Whether digits ``start..end`` lie inside one unbroken stretch longer than a phone."""
    left = start
    while left > 0 and not run[left][2]:
        left -= 1
    right = end
    while right + 1 < len(run) and not run[right + 1][2]:
        right += 1
    unbroken = all(not run[i][2] for i in range(start + 1, end + 1))
    return unbroken and right - left + 1 > LONGEST_PHONE_RUN


def _phones(run: list[tuple[int, int, bool]], keep_ids: bool) -> list[tuple[int, int, str]]:
    """The phones of one run: (first position, last position, their eleven digits).

    Mobile prefixes (13-19) are taken first, so ``1 13812345678`` masks the number the
    agent meant, then any other eleven digits starting with 1 (the grammar's phone).
    """
    digits = "".join(str(value) for _, value, _ in run)
    taken: list[tuple[int, int]] = []
    for pattern in (_MOBILE, _ELEVEN):
        index = 0
        while index + 11 <= len(digits):
            end = index + 10
            free = all(end < start or index > stop for start, stop in taken)
            if free and pattern.match(digits, index):
                if not (keep_ids and _is_identifier(run, index, end)):
                    taken.append((index, end))
                    index += 11
                    continue
            index += 1
    return [(run[i][0], run[j][0], digits[i : j + 1]) for i, j in sorted(taken)]


def scrub(text: str, keep_ids: bool = False) -> str:
    """``text`` with every phone number in it masked to ``138****5678`` (ASCII digits).

    ``keep_ids`` leaves unbroken runs of more than 15 digits alone: log lines carry
    WeChat's 19-digit MsgIds, which would otherwise be cut up; user text never needs it.
    """
    if len(text) < 11:  # too short to hold a phone: most fields, at no cost
        return text
    pieces: list[str] = []
    last = 0
    for run in _runs(text):
        for first, final, digits in _phones(run, keep_ids):
            pieces += [text[last:first], mask_digits(digits)]
            last = final + 1
    return "".join(pieces) + text[last:] if pieces else text


def scrub_json(value: Any) -> Any:
    """A JSON document (a decision's facts) with every string in it scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(item) for item in value]
    return value


class ScrubFilter(logging.Filter):
    """Masks phones in a log record before any handler writes it (R12: never logged).

    Attached to the service's log handlers where logging is configured, so a message, its
    arguments, a traceback or a stack carry no phone, whoever logged them (our code, a
    library, an exception quoting a value).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit: keep what can be kept
            message = str(record.msg)
        record.msg, record.args = scrub(message, keep_ids=True), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, keep_ids=True)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, keep_ids=True)
        return True


def install_log_scrubber(logger: logging.Logger | None = None) -> None:
    """Give every handler of ``logger`` (the root by default) a ``ScrubFilter``, once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
