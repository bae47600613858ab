"""R9: a deal earns commission only when the WeChat filing, the front desk's registration
and the sales system's record (明源, imported) agree. What "agree" means, field by field:

- name: the filing's client name, the desk's registered name and the record's buyer name
  are one name (``models.names.normalise_name``: spaces, width and case do not count);
- phone: the filing's mask, the mask of the desk's full number and the record's mask are
  one mask (the full numbers are site data: compared as masks, never shown);
- channel: the record's source channel tag names the attributed distributor: equal to its
  full name, or containing it (``渠道-甲房产经纪有限公司``), after the same normalising;
- price: the record's total price is the deal's (签约's) total price, to the fen; a 签约
  recorded without a price takes the record's (nothing contradicts it), and one with no
  price on either side cannot be paid;
- date: the record's 网签 date is the deal's 签约 date (a local date).

A missing source is a mismatch of its own (no filing, no registration, no sales record,
no price). Each mismatch is listed for the channel team, and the deal is not paid until
it is resolved. Example: filed as 张三 138****5678, registered as 张三 13812345678, the
record says 张叁 138****5678 tagged 乙 -> two mismatches: name and channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.names import normalise_name


class Field(StrEnum):
    """What disagrees (or is missing) between the three sources."""

    NAME = "name"
    PHONE = "phone"
    CHANNEL = "channel"
    PRICE = "price"
    DATE = "date"
    NO_FILING = "no_filing"
    NO_REGISTRATION = "no_registration"
    NO_SALES_RECORD = "no_sales_record"
    NO_PRICE = "no_price"


@dataclass(frozen=True)
class SalesFacts:
    """The sales system's record of the deal, as imported (masks only)."""

    buyer_name: str
    phone_mask: str
    channel: str
    price_cents: int | None
    online_signed_on: date | None


@dataclass(frozen=True)
class DealSources:
    """One deal as each source tells it; None where a source has no record."""

    company: str  # the distributor the deal is attributed to (R9)
    price_yuan: int | None  # the 签约's total price
    signed_on: date  # the 签约's date
    filing_name: str | None
    filing_mask: str | None
    desk_name: str | None
    desk_mask: str | None
    sales: SalesFacts | None


@dataclass(frozen=True)
class Mismatch:
    """One disagreement, with what each source says ("" where it says nothing)."""

    field: Field
    filing: str = ""
    desk: str = ""
    sales: str = ""


def _same(*values: str) -> bool:
    return len({normalise_name(value) for value in values}) == 1


def names_channel(tag: str, company: str) -> bool:
    """The tag names the distributor: its full name, alone or within the tag."""
    return normalise_name(company) in normalise_name(tag)


def mismatches(deal: DealSources) -> list[Mismatch]:
    """Every way the three sources disagree about the deal, in the order of the fields."""
    found = [Mismatch(f) for f, present in _presence(deal) if not present]
    sales = deal.sales
    names = [n for n in (deal.filing_name, deal.desk_name, sales and sales.buyer_name) if n]
    if not _same(*names):
        found.append(Mismatch(Field.NAME, deal.filing_name or "", deal.desk_name or "",
                              sales.buyer_name if sales else ""))  # fmt: skip
    masks = [m for m in (deal.filing_mask, deal.desk_mask, sales and sales.phone_mask) if m]
    if len(set(masks)) > 1:
        found.append(Mismatch(Field.PHONE, deal.filing_mask or "", deal.desk_mask or "",
                              sales.phone_mask if sales else ""))  # fmt: skip
    if sales is None:
        return found
    if not names_channel(sales.channel, deal.company):
        found.append(Mismatch(Field.CHANNEL, deal.company, "", sales.channel))
    if None not in (deal.price_yuan, sales.price_cents) and sales.price_cents != price_cents(deal):
        shown = "" if sales.price_cents is None else f"{sales.price_cents / 100:.2f}"
        found.append(Mismatch(Field.PRICE, f"{deal.price_yuan:.2f}", "", shown))
    if sales.online_signed_on != deal.signed_on:
        shown = f"{sales.online_signed_on}" if sales.online_signed_on else ""
        found.append(Mismatch(Field.DATE, f"{deal.signed_on}", "", shown))
    return found


def price_cents(deal: DealSources) -> int | None:
    """The price commission is paid on, in fen: the 签约's, else the sales record's."""
    if deal.price_yuan is not None:
        return deal.price_yuan * 100
    return deal.sales.price_cents if deal.sales else None


def _presence(deal: DealSources) -> list[tuple[Field, bool]]:
    return [
        (Field.NO_FILING, deal.filing_name is not None),
        (Field.NO_REGISTRATION, deal.desk_name is not None),
        (Field.NO_SALES_RECORD, deal.sales is not None),
        (Field.NO_PRICE, price_cents(deal) is not None),
    ]
