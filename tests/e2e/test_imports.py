"""CSV and XLSX imports through the CLI (issue 19 item 2), judged where users notice them:
the count a script reads, the bad rows the channel team reads, and a filing refused
through the webhook because the site already knows the client (R3)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from models.db import make_session_factory
from models.entities import Client, DecisionLogEntry, Project
from models.imports.entities import SalesRecord
from models.imports.sales import records_in_month
from tests.e2e.approvals_support import arrive
from tests.e2e.conftest import JIA
from tests.moments import at
from tests.people import Person, filing_number, last_line

pytestmark = pytest.mark.e2e
Travel = Callable[[datetime], None]
Cli = Callable[..., Any]
VISIT_HEADER = ("客户姓名", "手机号", "首次来访时间", "来源")


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def count(engine: Engine, model: Any) -> int:
    with make_session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_imported_visit_records_make_clients_known_and_a_filing_of_them_is_refused(
    cli: Cli, travel: Travel, jia: Person, tmp_path: Path, engine: Engine
) -> None:
    travel(at(11, 22, 9, 0))
    rows = [
        VISIT_HEADER,
        ("张三", "13812345678", "2026-10-01 10:00", "自然来访"),
        ("李四", "139 1234 5678", "2026/10/02", "电话"),
    ]
    result = cli("import", "visits", "P1", str(write_csv(tmp_path / "来电来访.csv", rows)))
    assert result.exit_code == 0, result.output
    assert last_line(result.stdout) == "2"
    assert "新增 2，更新 0，未变 0，冲突 0，错误行 0" in result.stderr
    travel(at(11, 22, 10, 0))
    reply = jia.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "报备失败" in reply and "来电来访" in reply and "不属于渠道客户" in reply
    assert "报备失败" in jia.text("报备 P1 李四 13912345678 本地 明天 15:00")


def test_the_same_file_twice_creates_nothing_and_says_how_many_were_unchanged(
    cli: Cli, cast: Any, tmp_path: Path, engine: Engine
) -> None:
    path = write_csv(
        tmp_path / "visits.csv",
        [
            VISIT_HEADER,
            ("张三", "13812345678", "", ""),
            ("王五", "13712345678", "", ""),
            ("张三", "13812345678", "", ""),
        ],
    )
    first = cli("import", "visits", "P1", str(path))
    assert last_line(first.stdout) == "2" and "未变 1" in first.stderr
    again = cli("import", "visits", "P1", str(path))
    assert again.exit_code == 0 and last_line(again.stdout) == "0"
    assert "新增 0，更新 0，未变 3" in again.stderr
    assert count(engine, Client) == 2


def test_bad_rows_are_reported_with_their_row_number_and_why_and_written_to_the_errors_file(
    cli: Cli, cast: Any, tmp_path: Path
) -> None:
    rows = [
        VISIT_HEADER,
        ("张三", "13812345678", "", ""),
        ("", "13912345678", "", ""),
        ("李四", "1381234567", "", ""),
        ("王五", "13712345678", "昨天下午", ""),
        ("", "", "", ""),
        ("赵六", "13612345678", "", ""),
    ]
    errors = tmp_path / "errors.csv"
    result = cli(
        "import", "visits", "P1", str(write_csv(tmp_path / "v.csv", rows)), "--errors", str(errors)
    )
    assert result.exit_code == 0 and last_line(result.stdout) == "2"
    assert "第3行 " in result.stderr and "客户姓名为空" in result.stderr
    assert "第4行 李四：手机号格式不对（须为1开头的11位数字）" in result.stderr
    assert "第5行 王五 137****5678：首次来访时间无法识别" in result.stderr
    assert "错误行 3" in result.stderr
    with errors.open(encoding="utf-8-sig") as handle:
        written = list(csv.reader(handle))
    assert written[0] == ["行号", "客户", "原因"]
    assert [line[0] for line in written[1:]] == ["3", "4", "5"]
    assert "1381234567" not in result.output and "1381234567" not in errors.read_text("utf-8-sig")


def test_a_client_a_distributor_protects_is_reported_not_overwritten(
    cli: Cli, travel: Travel, jia: Person, yi: Person, tmp_path: Path, engine: Engine
) -> None:
    travel(at(11, 22, 10, 0))
    assert "报备成功" in jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    travel(at(11, 23, 9, 0))
    path = write_csv(tmp_path / "v.csv", [VISIT_HEADER, ("张三", "13812345678", "2026-10-01", "")])
    result = cli("import", "visits", "P1", str(path))
    assert result.exit_code == 0 and last_line(result.stdout) == "0"
    assert (
        f"第2行 张三 138****5678：该客户已由渠道保护（{JIA}，保护至2026-11-29），未改为案场客户"
        in result.stderr
    )
    assert "冲突 1" in result.stderr and "13812345678" not in result.output
    with make_session_factory(engine)() as session:
        client = session.scalars(select(Client)).one()
        assert (client.state, client.full_phone) == ("filed", None)
        logged = session.scalars(
            select(DecisionLogEntry).where(DecisionLogEntry.outcome == "protected_not_overwritten")
        ).one()
    assert logged.rule == "R3" and logged.policy and "13812345678" not in str(logged.facts)
    reply = yi.text("报备 P1 张三 138****5678 本地 明天 15:00")
    assert "其他渠道" in reply and "来电来访" not in reply and JIA not in reply


def test_a_client_whose_filing_lapsed_becomes_known_and_is_refused_afterwards(
    cli: Cli, travel: Travel, jia: Person, tmp_path: Path
) -> None:
    travel(at(11, 22, 10, 0))
    jia.text("报备 P1 张三 13812345678 本地 明天 15:00")
    travel(at(12, 1, 9, 0))  # protected until 11-29: lapsed
    path = write_xlsx(tmp_path / "v.xlsx", [VISIT_HEADER, ("张三", 13812345678, None, None)])
    result = cli("import", "visits", "P1", str(path))
    assert result.exit_code == 0 and "更新 1" in result.stderr, result.output
    assert "不属于渠道客户" in jia.text("报备 P1 张三 138****5678 本地 明天 15:00")


def test_a_gbk_csv_of_partners_clients_is_read_and_its_clients_refused(
    cli: Cli, travel: Travel, jia: Person, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "partners.csv",
        [("姓名", "联系电话", "备注"), ("欧阳娜娜", "13812345678", "合作伙伴")],
        "gbk",
    )
    result = cli("import", "known", "P1", str(path), "--source", "partner")
    assert result.exit_code == 0 and last_line(result.stdout) == "1", result.output
    travel(at(11, 22, 10, 0))
    assert "其他合作伙伴" in jia.text("报备 P1 欧阳娜娜 138****5678 本地 明天 15:00")


def test_an_xlsx_of_the_sites_own_clients_is_read_with_numbers_and_dates_as_cells(
    cli: Cli, travel: Travel, jia: Person, tmp_path: Path
) -> None:
    rows = [
        ("客户姓名*", "手机号码（必填）", "首次来访时间"),
        ("张三", 13812345678, datetime(2026, 10, 1, 9)),
    ]
    path = write_xlsx(tmp_path / "own.xlsx", rows)
    result = cli("import", "known", "P1", str(path), "--source", "own")
    assert result.exit_code == 0 and last_line(result.stdout) == "1", result.output
    travel(at(11, 22, 10, 0))
    assert "自拓" in jia.text("报备 P1 张三 138****5678 本地 明天 15:00")


def test_a_file_without_the_required_columns_is_refused_naming_them(
    cli: Cli, cast: Any, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "v.csv", [("客户姓名", "地址"), ("张三", "某路")])
    result = cli("import", "visits", "P1", str(path))
    assert result.exit_code == 2 and "表头缺少必需的列：手机号" in result.stderr
    unknown = cli("import", "visits", "P9", str(write_csv(tmp_path / "ok.csv", [VISIT_HEADER])))
    assert unknown.exit_code == 2 and "没有项目 P9" in unknown.stderr
    missing = cli("import", "visits", "P1", str(tmp_path / "nope.xlsx"))
    assert missing.exit_code == 2 and "找不到文件" in missing.stderr


DEAL_HEADER = (
    "记录编号",
    "买受人",
    "联系电话",
    "来源渠道",
    "认购日期",
    "签约日期",
    "网签日期",
    "成交总价",
    "房号",
)


def test_deal_records_are_imported_keyed_by_record_id_and_read_back_by_month(
    cli: Cli, cast: Any, tmp_path: Path, engine: Engine
) -> None:
    rows = [
        DEAL_HEADER,
        (
            "MY-001",
            "张三",
            13812345678,
            "甲房产",
            date(2026, 11, 2),
            "2026-11-10",
            datetime(2026, 11, 20),
            3210000.5,
            "1-1-1201",
        ),
        ("MY-002", "李四", "13912345678", "", "2026-11-03", "", "2026-12-01", "350万", "2-101"),
        ("MY-003", "王五", "13712345678", "", "十一月", "", "", "", ""),
        ("", "赵六", "13612345678", "", "", "", "", "", ""),
    ]
    path = write_xlsx(tmp_path / "明源.xlsx", rows)
    result = cli("import", "deals", "P1", str(path))
    assert result.exit_code == 0 and last_line(result.stdout) == "2", result.output
    assert "第4行 王五 137****5678：认购日期无法识别" in result.stderr
    assert "第5行 ：记录编号为空" in result.stderr
    again = cli("import", "deals", "P1", str(path))
    assert last_line(again.stdout) == "0" and "未变 2" in again.stderr
    rows[1] = (*rows[1][:7], 3300000, rows[1][8])
    changed = cli("import", "deals", "P1", str(write_xlsx(tmp_path / "明源2.xlsx", rows)))
    assert last_line(changed.stdout) == "0" and "更新 1，未变 1" in changed.stderr
    assert count(engine, SalesRecord) == 2
    with make_session_factory(engine)() as session:
        project_id = session.scalar(select(Project.id))
        assert project_id is not None
        (november,) = records_in_month(session, project_id, date(2026, 11, 1))
        (december,) = records_in_month(session, project_id, date(2026, 12, 15))
    assert (november.record_id, november.buyer_name, november.phone_mask) == (
        "MY-001",
        "张三",
        "138****5678",
    )
    assert (november.channel, november.total_price, november.room) == (
        "甲房产",
        Decimal("3300000.00"),
        "1-1-1201",
    )
    assert (november.subscribed_on, november.signed_on, november.online_signed_on) == (
        date(2026, 11, 2),
        date(2026, 11, 10),
        date(2026, 11, 20),
    )
    assert (december.record_id, december.total_price) == ("MY-002", Decimal("3500000.00"))
    assert "13812345678" not in result.output + again.output + changed.output


def test_a_record_id_twice_in_one_file_with_different_contents_is_a_bad_row(
    cli: Cli, cast: Any, tmp_path: Path
) -> None:
    rows = [
        DEAL_HEADER,
        ("A1", "张三", "13812345678", "", "", "", "2026-11-20", "100", ""),
        ("A1", "张三", "13812345678", "", "", "", "2026-11-21", "100", ""),
    ]
    result = cli("import", "deals", "P1", str(write_csv(tmp_path / "d.csv", rows)))
    assert (
        last_line(result.stdout) == "1"
        and "第3行 张三 138****5678：记录编号与第2行重复" in result.stderr
    )


def test_an_import_is_logged_once_with_its_file_and_counts_and_no_full_phone(
    cli: Cli, cast: Any, tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rows = [VISIT_HEADER, ("张三", "13812345678", "", ""), ("李四", "13912345678", "", "")]
    result = cli("import", "visits", "P1", str(write_csv(tmp_path / "来电来访.csv", rows)))
    assert result.exit_code == 0, result.output
    with make_session_factory(engine)() as session:
        (entry,) = session.scalars(
            select(DecisionLogEntry).where(DecisionLogEntry.action == "import_known:import")
        )
    assert (entry.rule, entry.outcome, entry.facts["file"]) == ("R3", "imported", "来电来访.csv")
    assert (entry.facts["created"], len(entry.facts["sha256"])) == (2, 64)
    assert entry.policy is not None and entry.policy["visit_protection_days"] == 45
    for phone in ("13812345678", "13912345678"):
        assert phone not in caplog.text and phone not in result.output


def test_an_imported_full_number_makes_an_arrival_under_another_name_a_natural_visit(
    cli: Cli, travel: Any, jia: Person, desk: Person, tmp_path: Path
) -> None:
    travel(at(11, 22, 9, 0))
    path = write_csv(tmp_path / "v.csv", [VISIT_HEADER, ("李四", "13812345678", "", "")])
    assert last_line(cli("import", "visits", "P1", str(path)).stdout) == "1"
    travel(at(11, 22, 10, 0))
    number = filing_number(jia.text("报备 P1 张三 138****5678 本地 11-22 15:00"))
    reply = arrive(travel, desk, number, "13812345678", at(11, 22, 15, 0), "natural")
    assert "销售系统内已有来电来访记录" in reply and "13812345678" not in reply
