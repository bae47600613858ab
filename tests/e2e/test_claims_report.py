"""``report claims``: the 撞单 still awaiting a manager's 裁定 (R10), through the CLI as
XLSX and CSV (issue 19 item 3). 乙 filed 张三 on 11-20 (lapsed unvisited); 甲 filed him
11-28 and he visited; his 认筹 of 12-01 is 甲's (R9); 乙 claims it on 12-02."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.approvals_support import Travel, arrive
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Person, files

pytestmark = pytest.mark.e2e
Cli = Callable[..., Any]
PHONE = "13812345678"


def claimed(travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person) -> int:
    """The claim of the module docstring; the deal's filing number (甲's)."""
    travel(at(11, 20, 10, 0))
    yi_no = files(yi, f"报备 P1 张三 {PHONE} 本地 15:00")
    travel(at(11, 28, 10, 0))
    jia_no = files(jia, f"报备 P1 张三 {PHONE} 本地 15:00")
    arrive(travel, desk, jia_no, PHONE, at(11, 28, 15, 0))
    travel(at(11, 28, 16, 0))
    assert "审核通过" in boss.text(f"通过 #{jia_no}")
    travel(at(12, 1, 10, 0))
    assert f"归属：{JIA}" in desk.text(f"认筹 #{jia_no} 350万")
    travel(at(12, 2, 9, 30))
    assert "撞单已受理" in yi.text(f"撞单 #{yi_no} 客户是我司11月20日报备的")
    return jia_no


def test_an_open_claim_is_listed_with_the_deal_both_distributors_and_the_reason(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    jia_no = claimed(travel, jia, yi, desk, boss)
    xlsx, table = tmp_path / "claims.xlsx", tmp_path / "claims.csv"

    result = cli("report", "claims", "P1", "--out", str(xlsx), "--out", str(table))

    assert result.exit_code == 0, result.output
    rows = [list(r) for r in load_workbook(xlsx).active.iter_rows(values_only=True)]
    assert rows == [
        ["成交报备编号", "客户", "手机", "成交类型", "成交时间", "归属分销商", "撞单分销商",
         "撞单经纪人", "撞单时间", "理由"],
        [f"#{jia_no}", "张三", "138****5678", "认筹", datetime(2026, 12, 1, 10, 0), JIA, YI,
         "赵小红", datetime(2026, 12, 2, 9, 30), "客户是我司11月20日报备的"],
    ]  # fmt: skip
    with table.open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened))[1][4:9] == [
            "2026-12-01 10:00", JIA, YI, "赵小红", "2026-12-02 09:30",
        ]  # fmt: skip


def test_a_ruled_claim_is_no_longer_listed(
    cli: Cli, travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    jia_no = claimed(travel, jia, yi, desk, boss)
    travel(at(12, 2, 11, 0))
    assert "R10" in boss.text(f"裁定 #{jia_no}")

    result = cli("report", "claims", "P1")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["\t".join(
        ["成交报备编号", "客户", "手机", "成交类型", "成交时间", "归属分销商", "撞单分销商",
         "撞单经纪人", "撞单时间", "理由"]
    )]  # fmt: skip
