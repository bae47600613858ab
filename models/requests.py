"""What an agent asks the models to act on, as plain values the grammar produces.

They live here, not beside the other commands in ``handlers/commands.py``, because the
models take them as arguments (``models.filings.file_one``, ``models.visits.resolve``) and
the models import nothing from the layer above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

#: An invite code as ``models.accounts`` makes it and an agent types it (``绑定 <邀请码>``):
#: the grammar and the replies read the length from here, so they never promise another.
INVITE_LENGTH = 8
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
#: The longest note a filing keeps (the ``filings.note`` column); a longer one is refused.
NOTE_MAX_CHARS = 200
#: The longest person's name, once normalised (the name columns hold 50).
NAME_MAX_CHARS = 20


@dataclass(frozen=True)
class ClientEntry:
    """One client of a filing (R1). ``phone_mask`` is always ``138****5678``."""

    name: str
    phone_mask: str
    remote: bool  # True = 异地 (out of town), False = 本地
    arrival: datetime  # aware, project time zone
    note: str | None = None
    bulk_claim: bool = False  # the agent's 大宗 claim; the case site decides (R6)


@dataclass(frozen=True)
class FilingRef:
    """How an agent names one of their filings: by number, client name or masked phone."""

    number: int | None = None
    name: str | None = None
    phone_mask: str | None = None


@dataclass(frozen=True)
class Buyer:
    """The buyer as the case site records them on a deal (R9): site data that R10.2
    compares with the filings' masks and names. ``phone`` is 11 digits and
    ``id_number`` a checked GB 11643 number; neither is ever echoed or logged in full."""

    name: str | None = None
    phone: str | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class DealRequest:
    """One deal event as staff typed it (R9): of a filing's client (``filing_no``), or of
    the client ``client_name`` with the full phone ``client_phone`` (no filing needed)."""

    kind: str  # a DealKind value
    filing_no: int | None
    client_phone: str | None = None
    client_name: str | None = None
    amount: int | None = None  # total price in yuan
    at: datetime | None = None  # typed; None: when the message was sent
    buyer: Buyer | None = None
