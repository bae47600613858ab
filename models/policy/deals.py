"""Deals: who a client's deal is attributed to (R9, the first slice).

Staff record 认筹 (pledge), 认购 (subscription) and 签约 (contract) for a client. The deal
is attributed to the distributor protecting the client at the moment of the client's
**first** deal event: the client's current protection row at that instant (R3's
``current_protection`` over the rows that had started by then, judged at that instant
with ``is_protected``), or to nobody. Later events of the same client keep that
attribution, whoever protects the client by then. A voided deal (退定) no longer counts:
the next deal event is a first event again.

Worked examples (docs/rules.md, R9):
- a visit protection of distributor 7 runs 11-22 .. 01-05; 认筹 on 12-01 -> distributor 7;
- the same client's 认购 on 01-10, after the visit protection expired -> still 7 (the
  first event decided);
- a client whose filing lapsed on 11-29 (no other row); 认筹 on 12-01 -> nobody;
- a deal typed late: 认筹 dated 11-25 entered on 12-02 is judged at 11-25, not 12-02;
- a row that started after the deal's date does not count for it; a filing row superseded
  later by its visit still protected the client before that visit's row started.

The rows carry no end instant, only a reason: a row ``superseded`` by a row that had not
started by the deal's time is taken as still in force then; a row cancelled or rejected
after a late-typed deal's date is not (known limit of this slice).

Pure: the deal's time is an argument; nothing here reads a clock or a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from models.policy.rules import ProtectionFacts, current_protection, is_protected
from models.policy.states import ProtectionEnd

RULE_OF_DEAL = "R9"


class DealKind(StrEnum):
    """A deal event (``deals.kind``), in the order a sale goes through them."""

    PLEDGE = "pledge"  # 认筹
    SUBSCRIPTION = "subscription"  # 认购
    CONTRACT = "contract"  # 签约 / 网签


DEAL_WORDS: dict[DealKind, str] = {
    DealKind.PLEDGE: "认筹",
    DealKind.SUBSCRIPTION: "认购",
    DealKind.CONTRACT: "签约",
}


class AttributionReason(StrEnum):
    """Why a deal is attributed as it is (logged with the ruling)."""

    PROTECTED_AT_FIRST_EVENT = "protected_at_first_event"
    NOBODY_PROTECTED = "nobody_protected"
    KEPT_FROM_FIRST_EVENT = "kept_from_first_event"


@dataclass(frozen=True)
class RowAt:
    """One protection row of the client with the instant it started."""

    facts: ProtectionFacts
    starts_at: datetime


@dataclass(frozen=True)
class EarlierDeal:
    """A live (not voided) deal event of the same client already on file."""

    event_at: datetime
    distributor_id: int | None


@dataclass(frozen=True)
class Attribution:
    """The ruling: the distributor credited (None: nobody), with its rule and reason."""

    distributor_id: int | None
    reason: AttributionReason
    rule: str = RULE_OF_DEAL
    protection_id: int | None = None

    @property
    def explanation(self) -> str:
        if self.reason == AttributionReason.NOBODY_PROTECTED:
            return "首次成交时无分销商保护该客户，成交不归属任何分销商（R9）"
        if self.reason == AttributionReason.KEPT_FROM_FIRST_EVENT:
            return "沿用该客户首次成交时的归属（R9）"
        return "归属首次成交时保护该客户的分销商（R9）"


def attribute_deal(
    event_at: datetime, rows: Sequence[RowAt], earlier: Sequence[EarlierDeal] = ()
) -> Attribution:
    """R9: the distributor protecting the client at its first deal event, or nobody.

    ``earlier``: the client's live deals on file. If one of them is at or before
    ``event_at``, it is the first event and its attribution stands; otherwise this event
    is the first and the protection at ``event_at`` decides.
    """
    first = min(
        (deal for deal in earlier if deal.event_at <= event_at),
        key=lambda deal: deal.event_at,
        default=None,
    )
    if first is not None:
        return Attribution(first.distributor_id, AttributionReason.KEPT_FROM_FIRST_EVENT)
    started = [row for row in rows if row.starts_at <= event_at]
    current = current_protection([_as_at(row, started) for row in started])
    if current is None or not is_protected(current.ends_at, event_at):
        return Attribution(None, AttributionReason.NOBODY_PROTECTED)
    return Attribution(
        current.distributor_id, AttributionReason.PROTECTED_AT_FIRST_EVENT, protection_id=current.id
    )


def _as_at(row: RowAt, started: Sequence[RowAt]) -> ProtectionFacts:
    """The row as it stood at the deal's time: superseded only once its successor started."""
    if row.facts.ended_reason != ProtectionEnd.SUPERSEDED:
        return row.facts
    if any(other.starts_at > row.starts_at for other in started):
        return row.facts
    return replace(row.facts, ended_reason=None)


@dataclass(frozen=True)
class Exclusion:
    """A manager's 不计佣: the client's live deals earn no commission (R9)."""

    excluded: int  # how many live deals it marks; 0: nothing to exclude
    reason: str
    rule: str = RULE_OF_DEAL

    @property
    def outcome(self) -> str:
        return "excluded" if self.excluded else "nothing_to_exclude"

    @property
    def explanation(self) -> str:
        return f"案场经理认定「{self.reason}」，该客户的 {self.excluded} 条成交不计佣金（R9）"


def exclude_from_commission(live_deals: int, reason: str) -> Exclusion:
    """R9: a manager may exclude a client's live deals from commission, with a reason
    (甩客, 藏客 …); the attribution stays as ruled, the commission report leaves them out.
    A client with no live deal has nothing to exclude (a later deal is not pre-excluded)."""
    return Exclusion(live_deals, reason)
