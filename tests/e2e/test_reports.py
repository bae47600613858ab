"""The channel team's reports through the CLI (issue 19): ``report funnel`` and
``report ending`` written as XLSX and CSV and the funnel drawn as PNG, each file opened
with the library that wrote it and its cells read back.

The week: 甲's agent files 张三 and 李四 on Monday 11-23, 乙's files 王五; 张三 arrives
and is approved (a valid arrival), 李四 arrives and waits for the manager, 张三's 认筹
comes on Wednesday. Funnel 11-23..11-29: 甲 2 -> 1 -> 1, 乙 1 -> 0 -> 0.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image

from models.reports.chart import HEIGHT_PX, WIDTH_PX
from tests.e2e.approvals_support import Travel, arrive
from tests.e2e.conftest import JIA, YI
from tests.moments import at
from tests.people import Person, files

pytestmark = pytest.mark.e2e
Cli = Callable[..., Any]


def the_week(travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person) -> None:
    travel(at(11, 23, 10, 0))
    zhang = files(jia, "报备 P1 张三 13812345678 本地 15:00")
    li = files(jia, "报备 P1 李四 13912345678 本地 16:00")
    files(yi, "报备 P1 王五 13712345678 本地 明天 15:00")
    arrive(travel, desk, zhang, "13812345678", at(11, 23, 15, 0))
    travel(at(11, 23, 15, 30))
    assert "到访保护至 2027-01-06" in boss.text(f"通过 #{zhang}")
    arrive(travel, desk, li, "13912345678", at(11, 23, 16, 0))
    travel(at(11, 25, 11, 0))
    assert "归属" in desk.text(f"认筹 #{zhang} 350万")


def run(cli: Cli, *args: str) -> list[str]:
    """The command's stdout lines; it must succeed."""
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_the_funnel_counts_filings_valid_arrivals_and_deals_per_distributor_in_xlsx_and_csv(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    the_week(travel, jia, yi, desk, boss)
    travel(at(11, 29, 20, 0))
    xlsx, table = tmp_path / "funnel.xlsx", tmp_path / "funnel.csv"

    printed = run(cli, "report", "funnel", "P1", "--from", "2026-11-23", "--to", "2026-11-29",
                  "--out", str(xlsx), "--out", str(table))  # fmt: skip

    assert printed == [str(xlsx), str(table)]
    sheet = load_workbook(xlsx).active
    assert sheet.title == "渠道漏斗"
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["分销商", "报备", "有效到访", "成交", "到访率", "成交率"],
        [JIA, 2, 1, 1, "50%", "100%"],
        [YI, 1, 0, 0, "0%", "-"],
        ["合计", 3, 1, 1, "33%", "100%"],
    ]
    assert table.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    with table.open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened))[1:3] == [
            [JIA, "2", "1", "1", "50%", "100%"], [YI, "1", "0", "0", "0%", "-"],
        ]  # fmt: skip


def test_the_funnel_of_a_period_counts_only_what_happened_in_it(
    cli: Cli, travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    the_week(travel, jia, yi, desk, boss)

    monday = run(cli, "report", "funnel", "P1", "--from", "2026-11-23", "--to", "2026-11-23")
    wednesday = run(cli, "report", "funnel", "P1", "--from", "2026-11-25", "--to", "2026-11-25")

    assert monday[1:] == [
        f"{JIA}\t2\t1\t0\t50%\t0%",
        f"{YI}\t1\t0\t0\t0%\t-",
        "合计\t3\t1\t0\t33%\t0%",
    ]
    assert wednesday[1:] == [f"{JIA}\t0\t0\t1\t-\t-", "合计\t0\t0\t1\t-\t-"]


def test_the_funnel_png_is_a_chart_of_the_known_size(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    the_week(travel, jia, yi, desk, boss)
    png = tmp_path / "funnel.png"

    printed = run(cli, "report", "funnel", "P1", "--png", str(png))

    assert printed[-1] == str(png)
    with Image.open(png) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
        assert len(image.getcolors(maxcolors=1 << 16) or ()) > 10  # bars, not a blank page


def test_a_funnel_period_that_ends_before_it_starts_or_an_unknown_project_is_refused(
    cli: Cli, tmp_path: Path, jia: Person
) -> None:
    backwards = cli("report", "funnel", "P1", "--from", "2026-11-29", "--to", "2026-11-23")
    unknown = cli("report", "funnel", "P9")
    wrong = cli("report", "funnel", "P1", "--out", str(tmp_path / "funnel.pdf"))

    assert backwards.exit_code == 2 and "ends (2026-11-23) before it starts" in backwards.output
    assert unknown.exit_code == 2 and "no project P9" in unknown.output
    assert wrong.exit_code == 2 and "write .xlsx or .csv" in wrong.output


def test_protections_ending_soon_list_the_client_masked_with_agent_distributor_and_end(
    cli: Cli, travel: Travel, tmp_path: Path, jia: Person, yi: Person, desk: Person,
    boss: Person,
) -> None:  # fmt: skip
    the_week(travel, jia, yi, desk, boss)
    travel(at(11, 29, 10, 0))
    xlsx, table = tmp_path / "ending.xlsx", tmp_path / "ending.csv"

    run(cli, "report", "ending", "P1", "--days", "60", "--out", str(xlsx), "--out", str(table))

    rows = [list(row) for row in load_workbook(xlsx).active.iter_rows(values_only=True)]
    assert rows[0] == [
        "报备编号",
        "客户",
        "手机",
        "经纪人",
        "分销商",
        "保护类型",
        "保护至",
        "剩余天数",
    ]
    # 王五's filing protection ends 11-30 (R4); 张三 has a deal (R9: no expiry); 李四 waits
    # for the manager (R5: held, not ending)
    (wang,) = rows[1:]
    assert wang[1:6] == ["王五", "137****5678", "赵小红", YI, "报备保护"]
    assert (f"{wang[6]:%Y-%m-%d %H:%M:%S}", wang[7]) == ("2026-11-30 23:59:59", 1)
    with table.open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened))[1][1:] == [
            "王五", "137****5678", "赵小红", YI, "报备保护", "2026-11-30 23:59", "1",
        ]  # fmt: skip
    assert "12345678" not in table.read_text(encoding="utf-8-sig")


def test_protections_ending_after_the_days_asked_are_not_listed(
    cli: Cli, travel: Travel, jia: Person, yi: Person, desk: Person, boss: Person
) -> None:
    the_week(travel, jia, yi, desk, boss)
    travel(at(11, 28, 10, 0))

    assert run(cli, "report", "ending", "P1", "--days", "1") == [
        "报备编号\t客户\t手机\t经纪人\t分销商\t保护类型\t保护至\t剩余天数"
    ]
    assert len(run(cli, "report", "ending", "P1", "--days", "2")) == 2
