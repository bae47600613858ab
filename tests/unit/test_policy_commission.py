"""R9's commission arithmetic and the three sources' agreement, as sentences (issue 19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.policy import Policy
from models.policy.commission import (
    Contract,
    DistributorCommission,
    Month,
    NotPaid,
    Reason,
    commission,
    not_paid,
    percent,
    rate_bp,
    settle,
)
from models.policy.deal_checks import DealSources, Field, SalesFacts, mismatches, price_cents

pytestmark = pytest.mark.unit
JIA, YI = "甲房产经纪有限公司", "乙置业顾问有限公司"
POLICY = Policy()


def test_a_distributor_with_two_contracts_earns_1_6_percent_and_with_one_1_5() -> None:
    assert (rate_bp(2, POLICY), rate_bp(5, POLICY), rate_bp(1, POLICY)) == (160, 160, 150)
    assert (percent(160), percent(150), percent(155)) == ("1.6%", "1.5%", "1.55%")


def test_the_low_rate_can_be_switched_off_and_the_rates_set_per_project() -> None:
    never_low = Policy(commission_low_rate_below_contracts=0)
    assert rate_bp(1, never_low) == 160
    assert (
        rate_bp(2, Policy(commission_low_rate_below_contracts=3, commission_low_rate_bp=140)) == 140
    )


def test_commission_is_counted_to_the_fen_half_up() -> None:
    assert commission(3_500_000, 160) == Decimal("56000.00")
    assert commission(1_234_567, 150) == Decimal("18518.51")  # 18,518.505 rounds up
    assert commission(Decimal("2999999.99"), 160) == Decimal("48000.00")


def test_the_seed_example_month_two_contracts_at_1_6_one_at_1_5_with_a_fine_deducted() -> None:
    contracts = [
        Contract(1, JIA, Decimal(3_500_000)), Contract(2, JIA, Decimal(2_800_000)),
        Contract(3, YI, Decimal(3_000_000)),
    ]  # fmt: skip
    assert settle(contracts, {YI: 50_000}, POLICY) == [
        DistributorCommission(JIA, 2, Decimal(6_300_000), 160, Decimal("100800.00"), 0,
                              Decimal("100800.00")),
        DistributorCommission(YI, 1, Decimal(3_000_000), 150, Decimal("45000.00"), 50_000,
                              Decimal("-5000.00")),
    ]  # fmt: skip


def test_a_distributor_fined_without_a_contract_owes_the_fine() -> None:
    (line,) = settle([], {YI: 50_000}, POLICY)
    assert (line.contracts, line.commission, line.due) == (0, Decimal("0.00"), Decimal(-50_000))


def test_a_month_is_reported_in_the_next_one() -> None:
    assert str(Month.parse("2026-12").next) == "2027-01"
    assert Month.parse("2026-3").first_day == date(2026, 3, 1)
    for wrong in ("2026-13", "12-2026", "2026/12", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            Month.parse(wrong)


def agreeing(**changes: object) -> DealSources:
    """张三 138****5678 filed by 甲, registered by the desk, signed 12-08 for 3,500,000."""
    sales = SalesFacts("张三", "138****5678", f"渠道-{JIA}", 350_000_000, date(2026, 12, 8))
    values: dict[str, object] = dict(
        company=JIA, price_yuan=3_500_000, signed_on=date(2026, 12, 8), filing_name="张三",
        filing_mask="138****5678", desk_name="张 三", desk_mask="138****5678", sales=sales,
    )  # fmt: skip
    values.update(changes)
    return DealSources(**values)  # type: ignore[arg-type]


def test_three_sources_that_agree_have_no_mismatch() -> None:
    assert mismatches(agreeing()) == []


def test_a_different_buyer_name_and_channel_tag_are_two_mismatches() -> None:
    sales = SalesFacts("张叁", "138****5678", YI, 350_000_000, date(2026, 12, 8))
    found = mismatches(agreeing(sales=sales))
    assert [(m.field, m.filing, m.desk, m.sales) for m in found] == [
        (Field.NAME, "张三", "张 三", "张叁"), (Field.CHANNEL, JIA, "", YI),
    ]  # fmt: skip


def test_price_date_and_phone_disagreements_are_each_listed() -> None:
    sales = SalesFacts("张三", "139****5678", JIA, 340_000_000, date(2026, 12, 9))
    found = mismatches(agreeing(sales=sales))
    assert [(m.field, m.filing, m.sales) for m in found] == [
        (Field.PHONE, "138****5678", "139****5678"),
        (Field.PRICE, "3500000.00", "3400000.00"),
        (Field.DATE, "2026-12-08", "2026-12-09"),
    ]


def test_a_missing_source_is_a_mismatch_of_its_own() -> None:
    assert [m.field for m in mismatches(agreeing(sales=None))] == [Field.NO_SALES_RECORD]
    unregistered = mismatches(agreeing(desk_name=None, desk_mask=None))
    assert [m.field for m in unregistered] == [Field.NO_REGISTRATION]


def test_a_contract_without_a_price_takes_the_sales_records_and_none_on_either_side_is_listed() -> (
    None
):
    assert mismatches(agreeing(price_yuan=None)) == []
    assert price_cents(agreeing(price_yuan=None)) == 350_000_000
    no_price = SalesFacts("张三", "138****5678", JIA, None, date(2026, 12, 8))
    assert [m.field for m in mismatches(agreeing(price_yuan=None, sales=no_price))] == [
        Field.NO_PRICE
    ]


def test_an_exclusion_a_withholding_and_a_disagreement_each_stop_the_payment() -> None:
    assert not_paid(None, False, 0) == ()
    assert not_paid("甩客", True, 2) == (
        NotPaid(Reason.EXCLUDED, "甩客"), NotPaid(Reason.WITHHELD), NotPaid(Reason.MISMATCH),
    )  # fmt: skip
    assert not_paid("", False, 0) == (NotPaid(Reason.EXCLUDED, ""),)
