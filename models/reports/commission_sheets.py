"""The commission report as sheets: the distributors' lines, the contracts paid, the
contracts not paid with why, and every disagreement of the three sources (R9)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from models.policy import report_wording as words
from models.policy.commission import (
    RULE_OF,
    DistributorCommission,
    commission,
    percent,
    rate_bp,
)
from models.reports.commission import Commission, MonthDeal
from models.reports.tables import Cell, Report, Sheet


def commission_report(found: Commission, tz: ZoneInfo) -> Report:
    return Report(
        (
            Sheet("commission", words.COMMISSION_SHEET, words.COMMISSION_HEADERS,
                  _summary(found.lines)),
            Sheet("paid", words.PAID_SHEET, words.PAID_HEADERS, _paid(found, tz)),
            Sheet("not-paid", words.NOT_PAID_SHEET, words.NOT_PAID_HEADERS, _not_paid(found, tz)),
            Sheet("mismatches", words.MISMATCH_SHEET, words.MISMATCH_HEADERS,
                  _mismatches(found.deals)),
        )
    )  # fmt: skip


def _summary(lines: list[DistributorCommission]) -> tuple[tuple[Cell, ...], ...]:
    rows: list[tuple[Cell, ...]] = [
        (
            line.company, line.contracts, line.total_price, percent(line.rate_bp),
            line.commission, Decimal(line.fines_yuan), line.due,
        )
        for line in lines
    ]  # fmt: skip
    if lines:
        rows.append(
            (
                words.TOTAL, sum(line.contracts for line in lines),
                sum((line.total_price for line in lines), Decimal(0)), "",
                sum((line.commission for line in lines), Decimal(0)),
                Decimal(sum(line.fines_yuan for line in lines)),
                sum((line.due for line in lines), Decimal(0)),
            )
        )  # fmt: skip
    return tuple(rows)


def _deal_cells(deal: MonthDeal, tz: ZoneInfo) -> tuple[Cell, ...]:
    number = f"#{deal.filing_id}" if deal.filing_id else ""
    return (
        deal.company, number, deal.client, deal.phone_mask,
        deal.signed_at.astimezone(tz).date(), deal.price,
    )  # fmt: skip


def _paid(found: Commission, tz: ZoneInfo) -> tuple[tuple[Cell, ...], ...]:
    """Each contract paid, at its distributor's rate of the month."""
    rates = {line.company: line.rate_bp for line in found.lines}
    rows = []
    for deal in found.deals:
        if deal.not_paid or deal.price is None:
            continue
        rate = rates.get(deal.company, rate_bp(1, found.policy))
        rows.append((*_deal_cells(deal, tz), percent(rate), commission(deal.price, rate)))
    return tuple(rows)


def _not_paid(found: Commission, tz: ZoneInfo) -> tuple[tuple[Cell, ...], ...]:
    """Each contract not paid, with every reason, each naming its rule."""
    return tuple(
        (
            *_deal_cells(deal, tz),
            "；".join(
                words.not_paid(why.reason, RULE_OF[why.reason], why.detail) for why in deal.not_paid
            ),
        )
        for deal in found.deals
        if deal.not_paid
    )


def _mismatches(deals: list[MonthDeal]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            deal.company, f"#{deal.filing_id}" if deal.filing_id else "", deal.client,
            deal.phone_mask, words.MISMATCH_FIELDS[m.field], m.filing, m.desk, m.sales,
        )
        for deal in deals
        for m in deal.mismatches
    )  # fmt: skip
