"""One reading of a person's name, so that names which look alike are one name.

A client is known by name + masked phone (R3). If ``赵 六``, ``赵\u200b六`` (a zero-width
space), ``赵六\u2060`` or ``\u200f赵六`` (a bidi mark) were other names than ``赵六``, a second
distributor could file a client another protects and hear 报备成功; so could ``Lily`` for
``lily``. Every name is therefore compared, and stored, as ``normalise_name`` makes it:
NFKC (full-width letters, compatibility forms), without spaces, control, format (zero-width,
bidi) and other invisible characters, case folded. The grammar applies it to every name
it reads (client and agent names alike) and the models to any name they compare.

Pure: the standard library only.
"""

from __future__ import annotations

import unicodedata

from models.privacy import CHINESE_DIGITS

#: Categories that are never a visible part of a name: separators (spaces), controls,
#: format characters (zero-width, bidi marks, word joiners), surrogates, private use,
#: unassigned code points.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"})
#: Default-ignorable characters of other categories: combining grapheme joiner, Hangul
#: fillers, Khmer and Mongolian invisibles, variation selectors.
_IGNORABLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
#: A name with this many Chinese numerals in a row is a number, not a name: four is a
#: phone's middle four (R12). Fewer stay allowed, as real names have them (伍六一, 陆一).
NUMERAL_RUN = 4


def _visible(char: str) -> bool:
    """Not space, control, format or ignorable (``str.isprintable`` is false for the
    categories, which lets ``normalise_name`` skip this for a name that has none)."""
    return char not in _IGNORABLE and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def normalise_name(name: str) -> str:
    """The one form of a name: ``' Lily\u200b '`` -> ``'lily'``, ``'赵 六'`` -> ``'赵六'``."""
    folded = unicodedata.normalize("NFKC", name)
    if not (folded.isprintable() and " " not in folded and _IGNORABLE.isdisjoint(folded)):
        folded = "".join(char for char in folded if _visible(char))  # the rare look-alike
    return unicodedata.normalize("NFKC", folded.casefold())


def holds_number(name: str) -> bool:
    """A digit of any script (after NFKC: ``①`` is ``1``), or four Chinese numerals in a
    row (一三八一...): a name never carries a number, so never a phone's digits."""
    run = 0
    for char in unicodedata.normalize("NFKC", name):
        if char in CHINESE_DIGITS:
            run += 1
            if run >= NUMERAL_RUN:
                return True
            continue
        run = 0
        if unicodedata.digit(char, None) is not None or unicodedata.decimal(char, None) is not None:
            return True
    return False
