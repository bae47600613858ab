"""R9's monthly commission report through the CLI (issue 19 item 3): December 2026's
contracts (网签), reported in January 2027, written as XLSX and CSV and read back.

The month, every input through the service's own doors (the webhook, the import CLI):
甲 signs 张三 (3,500,000) and 李四 (2,800,000): two contracts at 1.6% = 100,800.00, and
赵六 (2,000,000), whom a manager excluded at the 认购 (不计佣 甩客, R9). 乙 signs 钱七
(3,000,000): one contract at 1.5% = 45,000.00, less a 50,000 interception fine of
December (R11) = -5,000.00; and 王五 (3,100,000), whose sales record says 3,050,000 and
whose commission a false filing withheld (R11). 甲's fine of November is November's.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.e2e.approvals_support import Travel, arrive, decisions
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Person, files

pytestmark = pytest.mark.e2e
Cli = Callable[..., Any]
SALES = [  # 明源's export: record id, buyer, phone, channel tag, 网签 date, total price
    ("MY-001", "张三", "13812345678", f"分销-{JIA}", "2026-12-08", "3500000"),
    ("MY-002", "李四", "13912345678", JIA, "2026-12-10", "2800000"),
    ("MY-003", "赵六", "13612345678", JIA, "2026-12-12", "2000000"),
    ("MY-004", "钱七", "13512345678", YI, "2026-12-14", "3000000"),
    ("MY-005", "王五", "13712345678", YI, "2026-12-16", "3050000"),
]


def visited(travel: Travel, agent: Person, desk: Person, boss: Person, name: str, phone: str,
            day: int) -> int:  # fmt: skip
    """``name`` filed on 11-``day`` 10:00, arrived 15:00, approved: protected into January."""
    travel(at(11, day, 10, 0))
    number = files(agent, f"报备 P1 {name} {phone} 本地 15:00")
    arrive(travel, desk, number, phone, at(11, day, 15, 0))
    travel(at(11, day, 15, 30))
    assert "审核通过" in boss.text(f"通过 #{number}")
    return number


def imported(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "明源成交.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["记录编号", "买受人", "手机号", "来源渠道", "网签日期", "成交总价"])
        writer.writerows(SALES)
    result = cli("import", "deals", "P1", str(path))
    assert result.exit_code == 0, result.output


def december(cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
             boss: Person) -> int:  # fmt: skip
    """The month of the module docstring; 王五's filing number."""
    travel(at(11, 5, 10, 0))
    assert "R11" in boss.text(f"违规 {JIA} 截客 在售楼处300米内拦截来访客户")  # November's
    zhang = visited(travel, jia, desk, boss, "张三", "13812345678", 20)
    li = visited(travel, jia, desk, boss, "李四", "13912345678", 21)
    zhao = visited(travel, jia, desk, boss, "赵六", "13612345678", 22)
    qian = visited(travel, yi, desk, boss, "钱七", "13512345678", 23)
    wang = visited(travel, yi, desk, boss, "王五", "13712345678", 24)
    travel(at(12, 1, 10, 0))
    assert "归属" in desk.text(f"认购 #{zhao} 200万")
    assert "不计佣" in boss.text(f"不计佣 #{zhao} 甩客")  # holds for the 签约 to come
    travel(at(12, 5, 10, 0))
    assert "R11" in boss.text(f"违规 {YI} 截客 派单拦截客户")
    for number, price, day in ((zhang, "350万", 8), (li, "280万", 10), (zhao, "200万", 12),
                               (qian, "300万", 14), (wang, "310万", 16)):  # fmt: skip
        travel(at(12, day, 18, 0))
        assert "归属" in desk.text(f"签约 #{number} {price} 12-{day:02d}")
    travel(at(12, 18, 10, 0))
    assert "R11" in boss.text(f"违规 {YI} 违约报备 #{wang} 回访客户表示不认识该分销商")
    travel(at(12, 31, 10, 0))
    imported(cli, tmp_path)
    return wang


def sheet_rows(path: Path, title: str) -> list[list[Any]]:
    return [list(r) for r in load_workbook(path)[title].iter_rows(values_only=True)]


def test_the_months_commission_at_both_rates_with_a_fine_exclusions_and_mismatches(
    cli: Cli, travel: Travel, engine: Engine, tmp_path: Path, jia: Person, yi: Person,
    desk: Person, boss: Person,
) -> None:  # fmt: skip
    wang = december(cli, travel, tmp_path, jia, yi, desk, boss)
    travel(at(1, 5, 10, 0, year=2027))
    xlsx, table = tmp_path / "commission.xlsx", tmp_path / "commission.csv"

    result = cli("report", "commission", "P1", "--month", "2026-12", "--out", str(xlsx),
                 "--out", str(table))  # fmt: skip

    assert result.exit_code == 0, result.output
    assert sheet_rows(xlsx, "佣金汇总") == [
        ["分销商", "网签套数", "总价合计", "佣金比例", "佣金", "罚款", "应付佣金"],
        [JIA, 2, 6_300_000, "1.6%", 100_800, 0, 100_800],
        [YI, 1, 3_000_000, "1.5%", 45_000, 50_000, -5_000],
        ["合计", 3, 9_300_000, None, 145_800, 50_000, 95_800],
    ]
    paid = sheet_rows(xlsx, "计佣明细")
    assert [(r[0], r[2], r[3], r[5], r[6], r[7]) for r in paid[1:]] == [
        (JIA, "张三", "138****5678", 3_500_000, "1.6%", 56_000),
        (JIA, "李四", "139****5678", 2_800_000, "1.6%", 44_800),
        (YI, "钱七", "135****5678", 3_000_000, "1.5%", 45_000),
    ]
    assert {r[2]: r[6] for r in sheet_rows(xlsx, "不计佣")[1:]} == {
        "赵六": "案场经理不计佣：甩客（R9）",
        "王五": "违约报备，该客户佣金不予结算（R11）；"
        "报备、前台登记与销售系统信息不一致（见「信息核对」）（R9）",
    }
    assert sheet_rows(xlsx, "信息核对")[1:] == [
        [YI, f"#{wang}", "王五", "137****5678", "成交总价", "3100000.00", None, "3050000.00"],
    ]
    assert result.stdout.splitlines() == [str(xlsx), str(table)] + [
        str(tmp_path / f"commission-{key}.csv") for key in ("paid", "not-paid", "mismatches")
    ]
    with table.open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened))[1:3] == [
            [JIA, "2", "6300000.00", "1.6%", "100800.00", "0.00", "100800.00"],
            [YI, "1", "3000000.00", "1.5%", "45000.00", "50000.00", "-5000.00"],
        ]
    (logged,) = decisions(engine, "commission_report")
    assert (logged.rule, logged.policy and logged.policy["commission_rate_bp"]) == ("R9", 160)
    assert logged.facts["lines"][1]["due"] == "-5000.00"
    assert "12345678" not in str(logged.facts) + table.read_text(encoding="utf-8-sig")


def test_a_sales_record_tagged_for_another_channel_or_missing_stops_the_payment(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, desk: Person, boss: Person
) -> None:
    zhang = visited(travel, jia, desk, boss, "张三", "13812345678", 20)
    li = visited(travel, jia, desk, boss, "李四", "13912345678", 21)
    for number, day in ((zhang, 8), (li, 10)):
        travel(at(12, day, 18, 0))
        desk.text(f"签约 #{number} 350万 12-{day:02d}")
    path = tmp_path / "明源成交.csv"
    header = "记录编号,买受人,手机号,来源渠道,网签日期,成交总价\n"
    path.write_text(f"{header}MY-1,张叁,13812345678,{YI},2026-12-08,3500000\n", encoding="utf-8")
    assert cli("import", "deals", "P1", str(path)).exit_code == 0
    travel(at(1, 5, 10, 0, year=2027))
    xlsx = tmp_path / "commission.xlsx"
    result = cli("report", "commission", "P1", "--month", "2026-12", "--out", str(xlsx))

    assert result.exit_code == 0, result.output

    assert sheet_rows(xlsx, "佣金汇总")[1:] == []
    assert [(r[2], r[4], r[5], r[6], r[7]) for r in sheet_rows(xlsx, "信息核对")[1:]] == [
        ("张三", "客户姓名", "张三", "张三", "张叁"),
        ("张三", "来源渠道", JIA, None, YI),
        ("李四", "销售系统无成交记录", None, None, None),
    ]


def test_a_month_without_contracts_reports_its_fines_and_a_bad_month_is_refused(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    december(cli, travel, tmp_path, jia, yi, desk, boss)

    november = cli("report", "commission", "P1", "--month", "2026-11")
    wrong = cli("report", "commission", "P1", "--month", "2026/12")

    assert november.exit_code == 0, november.output
    assert november.stdout.splitlines()[1:] == [
        f"{JIA}\t0\t0.00\t1.5%\t0.00\t50000.00\t-50000.00",
        "合计\t0\t0.00\t\t0.00\t50000.00\t-50000.00",
    ]
    assert wrong.exit_code == 2 and "YYYY-MM" in wrong.output
