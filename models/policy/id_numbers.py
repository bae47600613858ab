"""Resident ID numbers (居民身份证号码, GB 11643-1999) as the case site types them.

Staff may record a buyer's ID number on a deal (R9) so that R10.2 can tell a record with
the client's correct details from one with wrong ones. A mistyped number would make that
comparison lie, so the 18th character, the check digit, is verified here. The number is
site data: only its mask (``mask_id_number``) is ever echoed or logged.

Pure: the standard library only.
"""

from __future__ import annotations

import re

__all__ = ["ID_NUMBER_LENGTH", "mask_id_number", "normalise_id_number", "valid_id_number"]

ID_NUMBER_LENGTH = 18
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
#: GB 11643: the weight of each of the first 17 digits (2^(18-i) mod 11).
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: GB 11643: the check character for each remainder of the weighted sum modulo 11.
_CHECK = "10X98765432"


def normalise_id_number(typed: str) -> str:
    """The one form of a typed ID number: the final ``x`` upper-case."""
    return typed.strip().upper()


def valid_id_number(number: str) -> bool:
    """18 characters, 17 digits then a digit or X, whose check character agrees."""
    if not _SHAPE.fullmatch(number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _WEIGHTS, strict=False))
    return _CHECK[total % 11] == number[-1]


def mask_id_number(number: str) -> str:
    """Keep the first 3 and last 4 characters: 110***********1234 (never the birth date)."""
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"
