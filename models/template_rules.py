"""WeChat's rules for template message values since May 2023, as one pure check.

WeChat no longer shows ``first`` or ``remark``, ignores colours, and strips or folds a value
that is longer than 20 characters, breaks a line or carries an emoji, without telling the
sender. A push that would be shown broken is better not sent: the sender checks here first
(and the fake API answers 47003 by the same rules, so tests see what WeChat would do). The
middle four digits of a phone never appear in a push, whatever the rules of WeChat allow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_VALUE_CHARS = 20
RETIRED_KEYWORDS = frozenset({"first", "remark"})
# A full mainland mobile number, with or without spaces or dashes between its groups.
FULL_PHONE = re.compile(r"(?<!\d)1\d{2}[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols, flags
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats
    "\u2b00-\u2bff"  # arrows and stars used as emoji
    "\ufe0f\u200d"  # variation selector and joiner that turn text into emoji
    "]"
)


def value_problem(value: Any) -> str | None:
    """Why one template value would not be shown as written, or None when it is fine."""
    if not isinstance(value, str):
        return "not text"
    if "\n" in value or "\r" in value:
        return "a line break"
    if len(value) > MAX_VALUE_CHARS:
        return f"{len(value)} characters (at most {MAX_VALUE_CHARS})"
    if EMOJI.search(value):
        return "an emoji"
    if FULL_PHONE.search(value):
        return "a full phone number"
    return None


def data_problems(data: Mapping[str, Any]) -> list[str]:
    """What breaks WeChat's rules in a template send's ``data``: ``[]`` when it may go.

    ``data`` is as posted: ``{"thing1": {"value": "..."}}``.
    """
    problems = []
    if not data:
        problems.append("no keyword values")
    for keyword, entry in data.items():
        if keyword in RETIRED_KEYWORDS:
            problems.append(f"{keyword}: no longer shown since May 2023")
            continue
        if not isinstance(entry, Mapping) or set(entry) - {"value"}:
            problems.append(f"{keyword}: only a value, no colour or other attributes")
            continue
        why = value_problem(entry.get("value"))
        if why:
            problems.append(f"{keyword}: {why}")
    return problems


def text_problem(text: str) -> str | None:
    """A customer-service text may be long; it may never carry a full phone number."""
    return "a full phone number" if FULL_PHONE.search(text) else None
