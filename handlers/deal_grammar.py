"""The deal verbs' grammar (issue 18 item 1, R9): ``认筹|认购|签约`` and ``退定``.

``认筹|认购|签约 #<编号> [总价] [日期] [买受人 <姓名> <手机号> <身份证号>]``, or with
``<11位手机号> <姓名>`` in place of ``#<编号>`` for a client with no filing: the price and
the date come first, in either order; everything after the word ``买受人`` (or ``买方``)
is the buyer's, in any order, so an 11-digit phone or an 18-character ID number can never
be read as a price (at most 10 digits) or a date. A phone or an ID number typed before
``买受人`` is refused naming the missing word rather than guessed at. The buyer's phone
must be the full 11 digits and the ID number pass GB 11643's check
(``models.policy.id_numbers``): R10.2 compares them, so a typo must not be stored.

``不计佣 #<编号> <理由>`` (a manager's commission exclusion) and ``退定 #<编号> <理由>``
need their reasons.

Pure, as ``handlers/grammar.py`` (which holds the ``Verb`` entries): no clock, ``now``
is an argument. No ``ParseError`` detail ever holds the digits of a phone or an ID number
(``field_error`` drops any fragment with four digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from handlers.commands import (
    Command,
    ExcludeDeal,
    ParseError,
    ParseProblem,
    RecordDeal,
    VoidDeal,
)
from handlers.fields import (
    Tokens,
    check_name,
    field_error,
    looks_like_phone,
    numbered,
    numbered_with_reason,
    take_phone_digits,
)
from handlers.timeparse import BadTime, take_time
from models.policy.id_numbers import normalise_id_number, valid_id_number
from models.requests import Buyer

__all__ = ["BUYER_WORDS", "DEAL_KINDS", "deal_parser", "parse_exclude", "parse_void"]

#: The deal words, each a ``DealKind`` value (``models.policy.deals``).
DEAL_KINDS: dict[str, str] = {"认筹": "pledge", "认购": "subscription", "签约": "contract"}
#: The word after which the buyer's details follow; the first is the one usage shows.
BUYER_WORDS = ("买受人", "买方")

# a deal's total price in yuan: 3500000, 350万, 350.5万 (a comma splits tokens: not taken)
_AMOUNT = re.compile(r"(?P<yuan>[0-9]{1,10})(?:元)?|(?P<wan>[0-9]{1,6}(?:\.[0-9]{1,4})?)万(?:元)?")
# a deal's date as staff type it: 2026-11-25, 11-25, 11/25, 11月25日
_DATE = re.compile(r"(?:(?P<y>[0-9]{4})[-/.年])?(?P<m>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})日?")
# 昨天 / 前天 before a time or alone: that many days before the message (今天 is timeparse's)
_DAYS_BACK = {"昨天": 1, "昨日": 1, "前天": 2}
# meant as an ID number: 15 digits or more, an X last (a bad one is BAD_ID_NUMBER)
_ID_LIKE = re.compile(r"[0-9]{15,}[0-9Xx]?")

DealParser = Callable[[Tokens, datetime], Command | ParseError]


def _amount(token: str) -> int | None:
    match = _AMOUNT.fullmatch(token)
    if match is None:
        return None
    if match.group("wan") is not None:
        return round(float(match.group("wan")) * 10_000)
    return int(match.group("yuan"))


def _deal_date(tokens: Tokens, now: datetime) -> tuple[datetime, int] | None:
    """A typed date (the day's last instant, the message's own time for today) or time;
    ``昨天``/``前天`` read as that day's date, so ``昨天 10:00`` and ``前天`` both work."""
    if tokens[0] in _DAYS_BACK:
        day = (now - timedelta(days=_DAYS_BACK[tokens[0]])).date()
        tokens = [f"{day.year}-{day.month}-{day.day}", *tokens[1:]]
    timed = take_time(tokens, now)
    if not isinstance(timed, BadTime):
        return timed
    match = _DATE.fullmatch(tokens[0])
    if match is None:
        return None
    try:
        day = datetime(
            int(match.group("y") or now.year), int(match.group("m")), int(match.group("d")),
            23, 59, 59, 999999, tzinfo=now.tzinfo,
        )  # fmt: skip
    except ValueError:
        return None
    if day.date() == now.date():
        return now, 1
    return day, 1


def _split_buyer(rest: Tokens) -> tuple[Tokens, Tokens | None]:
    """The tokens before the buyer word, and the buyer's (None: no buyer word)."""
    for index, token in enumerate(rest):
        word = next((w for w in BUYER_WORDS if token.startswith(w)), None)
        if word is not None:
            attached = token[len(word) :].lstrip(":")
            return rest[:index], ([attached] if attached else []) + rest[index + 1 :]
    return rest, None


def _buyer(tokens: Tokens, verb: str) -> Buyer | ParseError:
    """``<姓名> <手机号> <身份证号>`` in any order, each at most once, at least one."""
    phone: str | None = None
    id_number: str | None = None
    names: Tokens = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        digits = take_phone_digits(tokens, index)
        if _ID_LIKE.fullmatch(token):
            id_number = normalise_id_number(token)
            if not valid_id_number(id_number):
                return ParseError(ParseProblem.BAD_ID_NUMBER, verb=verb)
        elif digits is not None and phone is None:
            phone, index = digits.value, index + digits.used - 1
        elif looks_like_phone(token) or any(ch.isdigit() for ch in token):
            return ParseError(ParseProblem.BAD_PHONE, verb=verb)
        else:
            names.append(token)
        index += 1
    name = check_name(" ".join(names), verb) if names else None
    if isinstance(name, ParseError):
        return name
    if name is None and phone is None and id_number is None:
        return ParseError(ParseProblem.MISSING_FIELDS, verb=verb)
    return Buyer(name, phone, id_number)


def _price_and_date(
    tokens: Tokens, now: datetime, verb: str
) -> tuple[int | None, datetime | None] | ParseError:
    """The price and the date, in either order; never a date in the future (R9)."""
    amount: int | None = None
    at: datetime | None = None
    rest = list(tokens)
    while rest:
        if amount is None and (value := _amount(rest[0])) is not None:
            amount, rest = value, rest[1:]
            continue
        if looks_like_phone(rest[0]) or _ID_LIKE.fullmatch(rest[0]):
            return ParseError(ParseProblem.BUYER_WORD_MISSING, verb=verb)
        dated = _deal_date(rest, now) if at is None else None
        if dated is None:
            return field_error(ParseProblem.BAD_TIME, verb, rest[0])
        at, rest = dated[0], rest[dated[1] :]
        if at > now:
            return ParseError(ParseProblem.BAD_TIME, verb=verb)
    return amount, at


def _client(args: Tokens, verb: str) -> tuple[int | None, str, str, int] | ParseError:
    """Who the deal is of: ``#<编号>``, or ``<11位手机号> <姓名>`` for a client with no
    filing; with the number of tokens used. A masked phone is no client's full number."""
    phone = take_phone_digits(args, 0)
    if phone is None:
        if args and looks_like_phone(args[0]):
            return ParseError(ParseProblem.BAD_PHONE, verb=verb)
        number = numbered(args, verb)
        return number if isinstance(number, ParseError) else (number.value, "", "", number.used)
    if phone.used >= len(args) or args[phone.used].startswith(BUYER_WORDS):
        return ParseError(ParseProblem.MISSING_FIELDS, verb=verb)  # the client's name
    name = check_name(args[phone.used], verb)
    return name if isinstance(name, ParseError) else (None, phone.value, name, phone.used + 1)


def deal_parser(verb: str) -> DealParser:
    """The parser of one deal word (``认筹``, ``认购`` or ``签约``)."""

    def parse_deal(args: Tokens, now: datetime) -> RecordDeal | ParseError:
        """``认筹|认购|签约 #<编号>|<11位手机号 姓名> [总价] [日期] [买受人 …]``: the
        date is when sent unless typed, never in the future (R9)."""
        client = _client(args, verb)
        if isinstance(client, ParseError):
            return client
        number, phone, name, used = client
        before, buyer_tokens = _split_buyer(list(args[used:]))
        priced = _price_and_date(before, now, verb)
        if isinstance(priced, ParseError):
            return priced
        buyer = None if buyer_tokens is None else _buyer(buyer_tokens, verb)
        if isinstance(buyer, ParseError):
            return buyer
        return RecordDeal(
            DEAL_KINDS[verb], number, *priced, buyer=buyer,
            client_phone=phone or None, client_name=name or None,
        )  # fmt: skip

    return parse_deal


def parse_void(args: Tokens, now: datetime) -> VoidDeal | ParseError:
    """``退定 #<编号> <理由>``: the reason is required."""
    taken = numbered_with_reason(args, "退定")
    return taken if isinstance(taken, ParseError) else VoidDeal(*taken)


def parse_exclude(args: Tokens, now: datetime) -> ExcludeDeal | ParseError:
    """``不计佣 #<编号> <理由>``: the reason (甩客, 藏客 …) is required."""
    taken = numbered_with_reason(args, "不计佣")
    return taken if isinstance(taken, ParseError) else ExcludeDeal(*taken)
