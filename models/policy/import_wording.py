"""What the channel team reads about an import (issue 19 item 2): bad rows and conflicts.

The team reads Chinese, so every reason a row is refused, and the summary, are worded
here, once; the CLI prints them and writes them to the ``--errors`` CSV. A reason never
quotes a phone: a malformed one may still be most of a real number (R12).
"""

from __future__ import annotations

from enum import StrEnum


class Problem(StrEnum):
    """Why a row of an import file was not taken (its reason below)."""

    NO_NAME = "no_name"
    NAME_HOLDS_NUMBER = "name_holds_number"
    BAD_PHONE = "bad_phone"
    BAD_TIME = "bad_time"
    BAD_DATE = "bad_date"
    BAD_PRICE = "bad_price"
    NO_RECORD_ID = "no_record_id"
    DUPLICATE_RECORD = "duplicate_record"
    TOO_LONG = "too_long"
    PROTECTED = "protected"  # R3: a distributor protects the client; not overwritten


REASONS: dict[Problem, str] = {
    Problem.NO_NAME: "客户姓名为空",
    Problem.NAME_HOLDS_NUMBER: "客户姓名含数字",
    Problem.BAD_PHONE: "手机号格式不对（须为1开头的11位数字）",
    Problem.BAD_TIME: "{column}无法识别（例：2026-11-22 15:00）",
    Problem.BAD_DATE: "{column}无法识别（例：2026-11-22）",
    Problem.BAD_PRICE: "{column}无法识别（例：1234567.00 或 123.5万）",
    Problem.NO_RECORD_ID: "记录编号为空",
    Problem.DUPLICATE_RECORD: "记录编号与第{first}行重复，内容不同",
    Problem.TOO_LONG: "{column}过长（最多{limit}个字）",
    Problem.PROTECTED: (
        "该客户已由渠道保护（{distributor}，保护至{until}），未改为案场客户，请渠道部核实"
    ),
}

#: The columns of the ``--errors`` CSV.
ERRORS_HEADER = ("行号", "客户", "原因")

MISSING_COLUMNS = "表头缺少必需的列：{missing}（第1行应为表头；可用列名：{aliases}）"
EMPTY_FILE = "文件没有表头行"
NO_FILE = "找不到文件 {file}"
UNKNOWN_ENCODING = "未知的编码：{encoding}"
WRONG_ENCODING = "文件不是 {encoding} 编码，请用 --encoding 指定（如 gbk、utf-8）"
NOT_XLSX = "无法作为 XLSX 打开：{why}"
NO_SHEET = "没有工作表 {sheet}（有：{sheets}）"
UNSUPPORTED = "只支持 CSV 和 XLSX 文件，不支持 {suffix}（旧版 .xls 请另存为 .xlsx）"
NO_PROJECT = "没有项目 {project}"
SUMMARY = "新增 {created}，更新 {updated}，未变 {unchanged}，冲突 {conflicts}，错误行 {bad}"


def reason(problem: Problem, **facts: object) -> str:
    """The reason of one row, its facts filled in: ``出生日期无法识别（例：…）``."""
    return REASONS[problem].format(**facts)


PROGRESS_LABEL = "导入 {file}"
ROW_LINE = "第{row}行 {client}：{why}"
