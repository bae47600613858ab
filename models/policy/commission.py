"""R9's monthly commission, as arithmetic over plain values (issue 19 item 3).

Deals whose 网签 (签约) date falls in month M are reported in month M+1, per distributor.
Seed 001's rates are the defaults: 1.6% of the total price (``commission_rate_bp`` = 160
basis points), 1.5% (``commission_low_rate_bp`` = 150) for a distributor with fewer than
2 (``commission_low_rate_below_contracts``) contracts in the month. Reading: the contracts
counted for the rate are the ones that earn commission that month (excluded, withheld
and mismatched deals earn none, so they do not lift the rate either). Fines (R11) recorded
in month M are deducted from that month's commission; what a larger fine leaves is shown
as a negative amount due (the distributor owes it), never silently dropped.

Worked example (2026-12, reported in 2027-01): 甲 signs two contracts, 3,500,000 and
2,800,000 yuan -> 1.6% -> 56,000.00 + 44,800.00 = 100,800.00; 乙 signs one, 3,000,000
-> 1.5% -> 45,000.00, and was fined 50,000 -> -5,000.00 due.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from models.policy.values import Policy

CENT = Decimal("0.01")
BASIS = Decimal(10_000)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month, ``2026-12``: the 网签 month M of a report."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``2026-12`` -> Month(2026, 12); anything else is refused, naming the format."""
        found = _MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"a month is written YYYY-MM, e.g. 2026-12, not {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        """The month after: the one M is reported in (2026-12 -> 2027-01)."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class Reason(StrEnum):
    """Why a contract of the month earns no commission (each names its rule)."""

    EXCLUDED = "excluded"  # R9: a manager's 不计佣 (甩客, 藏客 ...), with their reason
    WITHHELD = "withheld"  # R11: a false filing of the client withholds its commission
    MISMATCH = "mismatch"  # R9: the filing, the registration and the sales record disagree


RULE_OF: dict[Reason, str] = {
    Reason.EXCLUDED: "R9",
    Reason.WITHHELD: "R11",
    Reason.MISMATCH: "R9",
}


@dataclass(frozen=True)
class NotPaid:
    """One reason a contract is not paid; ``detail`` is the manager's typed reason."""

    reason: Reason
    detail: str = ""


def not_paid(excluded: str | None, withheld: bool, disagreements: int) -> tuple[NotPaid, ...]:
    """Why a contract of the month earns nothing, every reason (none: it is paid). A
    manager's exclusion (R9, with their reason), a false filing's withholding (R11) and a
    disagreement of the three sources (R9) each stop the payment on their own."""
    reasons = []
    if excluded is not None:
        reasons.append(NotPaid(Reason.EXCLUDED, excluded))
    if withheld:
        reasons.append(NotPaid(Reason.WITHHELD))
    if disagreements:
        reasons.append(NotPaid(Reason.MISMATCH))
    return tuple(reasons)


@dataclass(frozen=True)
class Contract:
    """One contract that earns commission: its distributor and total price in yuan."""

    deal_id: int
    company: str
    price: Decimal


@dataclass(frozen=True)
class DistributorCommission:
    """One distributor's line of the month: what it earned, what it was fined, what is due."""

    company: str
    contracts: int
    total_price: Decimal
    rate_bp: int
    commission: Decimal
    fines_yuan: int
    due: Decimal


def rate_bp(contracts: int, policy: Policy) -> int:
    """The rate in basis points: 2 contracts or more -> 160 (1.6%), 1 -> 150 (1.5%).
    ``commission_low_rate_below_contracts = 0`` pays every distributor the full rate."""
    if contracts < policy.commission_low_rate_below_contracts:
        return policy.commission_low_rate_bp
    return policy.commission_rate_bp


def commission(price: Decimal | int, rate: int) -> Decimal:
    """Yuan to the fen, half up: 3,500,000 at 160 bp -> 56,000.00; 1,234,567 at 150 bp
    -> 18,518.51 (18,518.505 rounds up)."""
    return (Decimal(price) * rate / BASIS).quantize(CENT, rounding=ROUND_HALF_UP)


def settle(
    contracts: Sequence[Contract], fines: Mapping[str, int], policy: Policy
) -> list[DistributorCommission]:
    """Each distributor with a contract or a fine in the month, most contracts first (then
    by name): its rate from its number of contracts, the commission of each contract at
    that rate, the fines deducted."""
    companies = sorted({c.company for c in contracts} | {c for c, f in fines.items() if f})
    lines = []
    for company in companies:
        own = [c for c in contracts if c.company == company]
        rate = rate_bp(len(own), policy)
        earned = sum((commission(c.price, rate) for c in own), Decimal("0.00"))
        fined = fines.get(company, 0)
        total = sum((c.price for c in own), Decimal("0.00"))
        lines.append(
            DistributorCommission(company, len(own), total, rate, earned, fined, earned - fined)
        )
    return sorted(lines, key=lambda line: (-line.contracts, line.company))


def percent(rate: int) -> str:
    """160 bp -> ``1.6%``; 155 -> ``1.55%``."""
    return f"{(Decimal(rate) / 100).normalize():f}%"
