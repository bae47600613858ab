"""R9's monthly commission report: deals whose 网签 (签约) date falls in month M, reported
in month M+1 per distributor (``models.policy.commission`` does the arithmetic and says
the readings; ``models.policy.deal_checks`` what the three sources must agree on).

Which deals: each client's first live 签约 of the month attributed to a distributor (a
deal attributed to nobody earns nobody commission). A deal is paid unless a manager
excluded it (不计佣, R9), a false filing withheld its client's commission (R11), or the
WeChat filing, the desk's registration and the sales system's record disagree; every
deal not paid is listed with why, every disagreement in a sheet of its own. Fines (R11)
recorded in month M are deducted. The report is logged as one decision (R9) with the
project's policy values, so what was reported, and under which rates, is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts import log_decision
from models.arrival_entities import Arrival, ArrivalStatus
from models.deal_entities import Deal
from models.entities import Client, Distributor, Filing
from models.imports.entities import SalesRecord
from models.names import normalise_name
from models.policy import Policy, local_day, start_of_day
from models.policy import report_wording as words
from models.policy.commission import (
    Contract,
    DistributorCommission,
    Month,
    NotPaid,
    not_paid,
    settle,
)
from models.policy.deal_checks import DealSources, Mismatch, SalesFacts, mismatches, price_cents
from models.policy.deals import DealKind
from models.privacy import mask_digits
from models.violation_entities import Violation


@dataclass(frozen=True)
class MonthDeal:
    """One contract of the month, as the report lists it, with why it is not paid."""

    deal_id: int
    company: str
    filing_id: int | None
    client: str
    phone_mask: str
    signed_at: datetime
    price: Decimal | None
    not_paid: tuple[NotPaid, ...]  # empty: paid
    mismatches: tuple[Mismatch, ...]


@dataclass(frozen=True)
class Commission:
    """The month's report: each distributor's line, every contract, and the policy used."""

    month: Month
    lines: list[DistributorCommission]
    deals: list[MonthDeal]
    policy: Policy


def month_bounds(month: Month, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of the month in the project's time zone."""
    return start_of_day(month.first_day, tz), start_of_day(month.next.first_day, tz)


def commission_of(
    session: Session, project_id: int, month: Month, tz: ZoneInfo, policy: Policy
) -> Commission:
    """Read the month's contracts, check each against its sources, settle the rest."""
    start, end = month_bounds(month, tz)
    withheld = _withheld(session, project_id)
    deals = [
        _month_deal(session, row, withheld, tz)
        for row in _contracts(session, project_id, start, end)
    ]
    paid = [
        Contract(d.deal_id, d.company, d.price)
        for d in deals
        if not d.not_paid and d.price is not None
    ]
    lines = settle(paid, _fines(session, project_id, start, end), policy)
    return Commission(month, lines, deals, policy)


def _contracts(session: Session, project_id: int, start: datetime, end: datetime) -> list[Any]:
    """Each client's first live, attributed 签约 dated in ``[start, end)``."""
    first = (
        select(func.min(Deal.id))
        .where(
            Deal.project_id == project_id,
            Deal.kind == DealKind.CONTRACT,
            Deal.voided_at.is_(None),
            Deal.distributor_id.is_not(None),
            Deal.event_at >= start,
            Deal.event_at < end,
        )
        .group_by(Deal.client_id)
    )
    return list(
        session.execute(
            select(Deal, Distributor.name.label("company"), Client.name, Client.phone_mask)
            .join(Distributor, Distributor.id == Deal.distributor_id)
            .join(Client, Client.id == Deal.client_id)
            .where(Deal.id.in_(first))
            .order_by(Deal.event_at, Deal.id)
        ).all()
    )


def _month_deal(session: Session, row: Any, withheld: set[int], tz: ZoneInfo) -> MonthDeal:
    """One contract with its three sources compared and the reasons it is not paid."""
    deal: Deal = row.Deal
    filing = _filing(session, deal)
    arrival = _registration(session, filing.id) if filing else None
    signed_on = local_day(deal.event_at, tz)
    sales = _sales_record(session, deal, signed_on, row.name, row.phone_mask, arrival)
    sources = DealSources(
        company=row.company, price_yuan=deal.amount, signed_on=signed_on,
        filing_name=filing.client_name if filing else None,
        filing_mask=filing.phone_mask if filing else None,
        desk_name=arrival.client_name if arrival else None,
        desk_mask=mask_digits(arrival.full_phone) if arrival else None,
        sales=_facts(sales) if sales else None,
    )  # fmt: skip
    found = tuple(mismatches(sources))
    reasons = not_paid(_exclusion(session, deal), deal.client_id in withheld, len(found))
    cents = price_cents(sources)
    return MonthDeal(
        deal.id, row.company, filing.id if filing else deal.filing_id, row.name,
        row.phone_mask, deal.event_at, None if cents is None else Decimal(cents) / 100,
        reasons, found,
    )  # fmt: skip


def _exclusion(session: Session, deal: Deal) -> str | None:
    """The manager's reason if any live deal of the client was excluded (不计佣, R9): an
    exclusion at 认筹 or 认购 holds for the 签约 that follows; the latest reason."""
    if deal.excluded_at is not None:
        return deal.exclude_reason or ""
    reason = session.execute(
        select(Deal.exclude_reason)
        .where(
            Deal.client_id == deal.client_id,
            Deal.voided_at.is_(None),
            Deal.excluded_at.is_not(None),
        )
        .order_by(Deal.excluded_at.desc())
        .limit(1)
    ).first()
    return None if reason is None else reason[0] or ""


def _filing(session: Session, deal: Deal) -> Filing | None:
    """The deal's filing, else the attributed distributor's latest filing of the client
    (a deal recorded by full phone names no filing)."""
    if deal.filing_id is not None:
        return session.get(Filing, deal.filing_id)
    return session.scalars(
        select(Filing)
        .where(Filing.client_id == deal.client_id, Filing.distributor_id == deal.distributor_id)
        .order_by(Filing.id.desc())
        .limit(1)
    ).first()


def _registration(session: Session, filing_id: int) -> Arrival | None:
    """The desk's approved registration of the filing's visit (the latest)."""
    return session.scalars(
        select(Arrival)
        .where(Arrival.filing_id == filing_id, Arrival.status == ArrivalStatus.APPROVED)
        .order_by(Arrival.arrived_at.desc(), Arrival.id.desc())
        .limit(1)
    ).first()


def _sales_record(
    session: Session, deal: Deal, signed_on: date, name: str, mask: str, arrival: Arrival | None
) -> SalesRecord | None:
    """The sales system's record of the client: by the desk's full number (decisive, R3),
    else by name and mask; the one whose 网签 date is the 签约's first, then the newest."""
    where = (
        SalesRecord.full_phone == arrival.full_phone
        if arrival
        else (SalesRecord.phone_mask == mask) & (SalesRecord.buyer_name == normalise_name(name))
    )
    found = session.scalars(
        select(SalesRecord)
        .where(SalesRecord.project_id == deal.project_id, where)
        .order_by(SalesRecord.updated_at.desc(), SalesRecord.id.desc())
    ).all()
    return next((r for r in found if r.online_signed_on == signed_on), found[0] if found else None)


def _facts(record: SalesRecord) -> SalesFacts:
    return SalesFacts(
        record.buyer_name, record.phone_mask, record.channel, record.total_price_cents,
        record.online_signed_on,
    )  # fmt: skip


def _withheld(session: Session, project_id: int) -> set[int]:
    """Clients whose commission a false filing withheld (R11)."""
    return set(
        session.scalars(
            select(Violation.client_id).where(
                Violation.project_id == project_id,
                Violation.withheld.is_(True),
                Violation.client_id.is_not(None),
            )
        )
    )


def _fines(session: Session, project_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """Each distributor's fines (R11) recorded in the project in ``[start, end)``."""
    rows = session.execute(
        select(Distributor.name, func.sum(Violation.fine_yuan))
        .join(Distributor, Distributor.id == Violation.distributor_id)
        .where(
            Violation.project_id == project_id,
            Violation.fine_yuan.is_not(None),
            Violation.recorded_at >= start,
            Violation.recorded_at < end,
        )
        .group_by(Distributor.name)
    ).all()
    return {name: int(total or 0) for name, total in rows}


def log_commission(session: Session, project_id: int, found: Commission, now: datetime) -> None:
    """Keep what was reported, and under which rates (R9, R12): each distributor's line,
    the contracts paid, those not paid and why."""
    due = sum((line.due for line in found.lines), Decimal("0.00"))
    log_decision(
        session, now, "cli", "commission_report", f"commission:{project_id}:{found.month}",
        "R9", "reported",
        words.commission_summary(str(found.month), str(found.month.next), len(found.lines),
                                 f"{due:.2f}"),
        {
            "month": str(found.month), "reported_in": str(found.month.next),
            "lines": [
                {"company": line.company, "contracts": line.contracts,
                 "total_price": str(line.total_price), "rate_bp": line.rate_bp,
                 "commission": str(line.commission), "fines": line.fines_yuan,
                 "due": str(line.due)}
                for line in found.lines
            ],
            "paid": [d.deal_id for d in found.deals if not d.not_paid],
            "not_paid": {str(d.deal_id): [w.reason.value for w in d.not_paid]
                         for d in found.deals if d.not_paid},
        },
        project_id=project_id, policy=found.policy.as_dict(),
    )  # fmt: skip
