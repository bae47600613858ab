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


COMMISSION_SHEET = "佣金汇总"
COMMISSION_HEADERS = (
    "分销商", "网签套数", "总价合计", "佣金比例", "佣金", "罚款", "应付佣金",
)  # fmt: skip
PAID_SHEET = "计佣明细"
PAID_HEADERS = (
    "分销商", "报备编号", "客户", "手机", "网签日期", "总价", "佣金比例", "佣金",
)  # fmt: skip
NOT_PAID_SHEET = "不计佣"
NOT_PAID_HEADERS = ("分销商", "报备编号", "客户", "手机", "网签日期", "总价", "原因")
MISMATCH_SHEET = "信息核对"
MISMATCH_HEADERS = (
    "分销商", "报备编号", "客户", "手机", "不一致项", "微信报备", "前台登记", "销售系统",
)  # fmt: skip
NOT_PAID: dict[str, str] = {
    "excluded": "案场经理不计佣",
    "withheld": "违约报备，该客户佣金不予结算",
    "mismatch": "报备、前台登记与销售系统信息不一致（见「信息核对」）",
}
MISMATCH_FIELDS: dict[str, str] = {
    "name": "客户姓名",
    "phone": "手机号",
    "channel": "来源渠道",
    "price": "成交总价",
    "date": "网签日期",
    "no_filing": "无微信报备",
    "no_registration": "无前台到访登记",
    "no_sales_record": "销售系统无成交记录",
    "no_price": "无成交总价",
}


def not_paid(reason: str, rule: str, detail: str) -> str:
    """``案场经理不计佣：甩客（R9）``."""
    said = NOT_PAID[reason]
    return f"{said}：{detail}（{rule}）" if detail else f"{said}（{rule}）"


def commission_summary(month: str, reported_in: str, lines: int, due: str) -> str:
    """The decision log's one-line account of a commission report."""
    return f"{month} 网签，{reported_in} 结算：{lines} 家分销商，应付合计 {due} 元"


NOBODY = "无（不归属任何分销商）"
CLAIMS_SHEET = "未结撞单"
CLAIMS_HEADERS = (
    "成交报备编号", "客户", "手机", "成交类型", "成交时间", "归属分销商", "撞单分销商",
    "撞单经纪人", "撞单时间", "理由",
)  # fmt: skip
