"""The words of the operator's reports and the funnel chart (issue 19): sheet titles,
column headers, chart labels. Chinese, as the channel team reads them; the chart has an
English twin for a machine without a Chinese font (``models.reports.chart``)."""

from __future__ import annotations

from datetime import date

from models.policy.states import ProtectionKind

FUNNEL_SHEET = "渠道漏斗"
FUNNEL_HEADERS = ("分销商", "报备", "有效到访", "成交", "到访率", "成交率")
TOTAL = "合计"

ENDING_SHEET = "即将到期"
ENDING_HEADERS = (
    "报备编号", "客户", "手机", "经纪人", "分销商", "保护类型", "保护至", "剩余天数",
)  # fmt: skip
PROTECTION_KINDS: dict[str, str] = {
    ProtectionKind.FILING: "报备保护",
    ProtectionKind.VISIT: "到访保护",
    ProtectionKind.BULK: "大宗延长",
    ProtectionKind.RENEWAL: "续期",
}


def rest_of(count: int) -> str:
    """The chart's last bar when there are more distributors than bars."""
    return f"其他{count}家"


def rate(part: int, whole: int) -> str:
    """``3 / 4`` -> ``75%``; nothing to divide by -> ``-``."""
    return f"{round(100 * part / whole)}%" if whole else "-"


def chart_title(project: str, first: date, last: date, chinese: bool) -> str:
    if chinese:
        return f"{project} 渠道漏斗 {first:%m-%d} 至 {last:%m-%d}"
    return f"{project} channel funnel {first:%m-%d} to {last:%m-%d}"


def chart_steps(chinese: bool) -> tuple[str, str, str]:
    """The three bars of each distributor, in funnel order."""
    if chinese:
        return ("报备", "有效到访", "成交")
    return ("filings", "valid arrivals", "deals")


def chart_empty(chinese: bool) -> str:
    return "本期还没有报备、到访或成交" if chinese else "no filings, arrivals or deals yet"


def numbered(index: int) -> str:
    """A distributor's label on a chart drawn without a Chinese font: D1, D2 ..."""
    return f"D{index}"

NOBODY = "无（不归属任何分销商）"
CLAIMS_SHEET = "未结撞单"
CLAIMS_HEADERS = (
    "成交报备编号", "客户", "手机", "成交类型", "成交时间", "归属分销商", "撞单分销商",
    "撞单经纪人", "撞单时间", "理由",
)  # fmt: skip
