"""The rows of an import file, read as the channel team writes them (issue 19 item 2), and
R3 for a client the site says it knows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from models.imports.readers import detect_encoding
from models.policy.import_rows import (
    KNOWN_COLUMNS,
    SALE_COLUMNS,
    VISIT_COLUMNS,
    HeaderError,
    KnownRow,
    RowProblem,
    SaleRow,
    header_map,
    is_blank,
    parse_moment,
    parse_phone,
    parse_price,
    read_known_row,
    read_sale_row,
)
from models.policy.known_clients import KnownOutcome, OnFile, decide_known
from tests.moments import at, end_of

pytestmark = pytest.mark.unit


def test_headers_are_matched_by_their_chinese_names_and_aliases_whatever_the_export_adds() -> None:
    mapping = header_map(
        ("\ufeff序号", " 姓名 ", "手机号码*", "到访时间（首次）", "客户来源"), VISIT_COLUMNS
    )
    assert mapping == {"name": 1, "phone": 2, "first_at": 3, "source": 4}
    assert header_map(("客户名称", "联系电话", "备注"), KNOWN_COLUMNS) == {
        "name": 0,
        "phone": 1,
        "note": 2,
    }


def test_a_header_without_a_required_column_names_it_and_its_aliases() -> None:
    with pytest.raises(HeaderError, match="表头缺少必需的列：记录编号、手机号") as error:
        header_map(("买受人", "网签日期"), SALE_COLUMNS)
    assert "手机号=手机号/手机号码" in str(error.value)


@pytest.mark.parametrize(
    "cell",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "8613812345678",
        13812345678,
        13812345678.0,
        "１３８１２３４５６７８",
    ],
)
def test_a_full_phone_is_read_as_people_and_spreadsheets_write_it(cell: object) -> None:
    assert parse_phone(cell) == "13812345678"


@pytest.mark.parametrize("cell", ["1381234567", "23812345678", "138****5678", "", None, "电话"])
def test_anything_but_eleven_digits_starting_with_1_is_no_phone(cell: object) -> None:
    assert parse_phone(cell) is None


@pytest.mark.parametrize(
    ("cell", "moment"),
    [
        ("2026-11-22 15:00", datetime(2026, 11, 22, 15, 0)),
        ("2026/11/22 15:00:30", datetime(2026, 11, 22, 15, 0, 30)),
        ("2026年11月22日", datetime(2026, 11, 22)),
        ("2026.1.5", datetime(2026, 1, 5)),
        (datetime(2026, 11, 22, 9, 30), datetime(2026, 11, 22, 9, 30)),
        (date(2026, 11, 22), datetime(2026, 11, 22)),
    ],
)
def test_a_time_is_read_as_exports_write_it(cell: object, moment: datetime) -> None:
    assert parse_moment(cell) == moment


@pytest.mark.parametrize("cell", ["2026-02-30", "昨天下午", "11-22", "2026-11-22 25:00"])
def test_a_time_that_is_no_real_moment_is_unreadable(cell: str) -> None:
    assert parse_moment(cell) is None


@pytest.mark.parametrize(
    ("cell", "yuan"),
    [
        ("1,234,567.00", "1234567.00"),
        ("¥3210000", "3210000.00"),
        ("350万", "3500000.00"),
        ("123.5万", "1235000.00"),
        (3210000.5, "3210000.50"),
        (3300000, "3300000.00"),
    ],
)
def test_a_price_is_read_in_yuan_to_the_cent(cell: object, yuan: str) -> None:
    assert parse_price(cell) == Decimal(yuan)


@pytest.mark.parametrize("cell", ["-100", "面议", "1.2.3"])
def test_a_negative_or_wordy_price_is_unreadable(cell: str) -> None:
    assert parse_price(cell) is None


def test_an_exported_row_of_blanks_is_no_row() -> None:
    assert is_blank(("", None, "  ")) and not is_blank(("", "张三"))


VISITS = {"name": 0, "phone": 1, "first_at": 2, "source": 3}


def test_a_visit_row_gives_the_name_as_filings_read_it_and_the_full_phone() -> None:
    row = read_known_row(("张 三", "13812345678", "2026-10-01 10:00", "自然来访"), VISITS, 2)
    assert row == KnownRow(2, "张三", "13812345678", datetime(2026, 10, 1, 10), "自然来访")
    assert isinstance(row, KnownRow) and row.shown == "张三 138****5678"


def test_a_bad_phone_is_reported_without_echoing_the_digits() -> None:
    problem = read_known_row(("李四", "1381234567", "", ""), VISITS, 4)
    assert problem == RowProblem(4, "手机号格式不对（须为1开头的11位数字）", "李四")


def test_a_name_holding_a_number_is_refused_and_not_echoed() -> None:
    problem = read_known_row(("张三13812345678", "13812345678", "", ""), VISITS, 3)
    assert isinstance(problem, RowProblem) and problem.why == "客户姓名含数字"
    assert problem.client == ""


def test_an_unreadable_first_visit_time_is_a_bad_row_not_a_blank() -> None:
    problem = read_known_row(("王五", "13712345678", "昨天", ""), VISITS, 5)
    assert isinstance(problem, RowProblem) and problem.why.startswith("首次来访时间无法识别")


SALES = {
    field: index
    for index, field in enumerate(
        (
            "record_id",
            "name",
            "phone",
            "channel",
            "subscribed_on",
            "signed_on",
            "online_signed_on",
            "total_price",
            "room",
        )
    )
}


def test_a_deal_record_gives_its_dates_price_and_channel() -> None:
    cells = (
        "MY-1",
        "张三",
        "13812345678",
        "甲房产",
        "2026-11-02",
        "",
        "2026/11/20",
        "350万",
        "1-1201",
    )
    assert read_sale_row(cells, SALES, 2) == SaleRow(
        2,
        "MY-1",
        "张三",
        "13812345678",
        "甲房产",
        date(2026, 11, 2),
        None,
        date(2026, 11, 20),
        Decimal("3500000.00"),
        "1-1201",
    )


def test_a_deal_record_without_its_id_or_with_a_bad_date_is_a_bad_row() -> None:
    blank = read_sale_row(("", "张三", "13812345678", "", "", "", "", "", ""), SALES, 3)
    assert blank == RowProblem(3, "记录编号为空")
    bad = read_sale_row(("X", "张三", "13812345678", "", "", "", "下月", "", ""), SALES, 4)
    assert isinstance(bad, RowProblem) and bad.why.startswith("网签日期无法识别")
    assert bad.client == "张三 138****5678"


FILED = OnFile("filed", None, end_of(11, 29))  # 甲 filed 张三 on 11-22: protected until 11-29


def test_an_import_does_not_take_over_a_client_a_distributor_protects() -> None:
    assert decide_known(FILED, at(11, 25, 10)) is KnownOutcome.PROTECTED
    assert decide_known(FILED, end_of(11, 29)) is KnownOutcome.PROTECTED


def test_an_import_makes_a_lapsed_or_expired_client_known() -> None:
    assert decide_known(FILED, at(11, 30, 0)) is KnownOutcome.MARK_KNOWN
    expired = OnFile("visited", "13812345678", end_of(1, 5, 2027))
    assert decide_known(expired, at(1, 6, 9, year=2027)) is KnownOutcome.MARK_KNOWN


def test_an_import_creates_a_client_not_on_file_and_leaves_a_known_one_be() -> None:
    assert decide_known(None, at(11, 25)) is KnownOutcome.CREATE
    known = OnFile("known", "13812345678", None)
    assert decide_known(known, at(11, 25)) is KnownOutcome.UNCHANGED
    assert decide_known(OnFile("known", None, None), at(11, 25)) is KnownOutcome.ADD_PHONE


def test_the_encoding_of_a_csv_is_told_from_its_bom_or_its_bytes() -> None:
    assert detect_encoding("客户姓名".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("客户姓名".encode()) == "utf-8-sig"
    assert detect_encoding("客户姓名,手机号".encode("gbk")) == "gb18030"
    assert detect_encoding(b"name,phone") == "utf-8-sig"
