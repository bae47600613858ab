"""What staff hear back about deals (issue 18 item 1, R9): every ruling names its rule.

Only the filed mask of the client's phone is shown, never a full number; the buyer's
phone and ID number typed by staff are echoed masked (``models.deals.masked``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.deals import DealOutcome, Result
from models.requests import Buyer

KIND_WORDS = {"pledge": "认筹", "subscription": "认购", "contract": "签约"}

DEAL_NOT_FOUND = "没有找到本项目的这条报备，请核对编号（发送「查询 手机号」可查客户）。"
DEAL_NOT_YOUR_ROLE = "只有本项目的案场前台或经理可以登记成交。"
DEAL_NO_CLIENT = "这条报备没有对应的客户记录，无法登记成交。"
DEAL_WHICH_PROJECT = "您在多个项目任职，无法判断是哪个项目的客户，请用「#编号」登记成交。"


def _refusal(outcome: DealOutcome) -> str | None:
    if outcome.result == Result.NOT_FOUND:
        return DEAL_NOT_FOUND
    if outcome.result == Result.NOT_YOUR_ROLE:
        return DEAL_NOT_YOUR_ROLE
    if outcome.result == Result.NO_CLIENT:
        return DEAL_NO_CLIENT
    if outcome.result == Result.WHICH_PROJECT:
        return DEAL_WHICH_PROJECT
    return None


def deal_recorded(outcome: DealOutcome, tz: ZoneInfo) -> str:
    refusal = _refusal(outcome)
    if refusal is not None:
        return refusal
    assert outcome.event_at is not None and outcome.kind is not None
    amount = f"，总价 {outcome.amount} 元" if outcome.amount is not None else ""
    owner = outcome.distributor or "无（不归属任何分销商）"
    return (
        f"已登记{KIND_WORDS[outcome.kind]}：{_number(outcome)}{outcome.client_name} "
        f"{outcome.phone_mask}，日期 {outcome.event_at.astimezone(tz):%Y-%m-%d %H:%M}{amount}\n"
        f"{_buyer_line(outcome.buyer)}"
        f"归属：{owner}\n依据：{outcome.explanation or '首次成交时的归属（R9）'}"
    )


def _number(outcome: DealOutcome) -> str:
    return f"#{outcome.filing_no} " if outcome.filing_no is not None else "（无报备）"


def _buyer_line(buyer: Buyer | None) -> str:
    """The buyer as recorded, already masked by the model; empty when none was typed."""
    if buyer is None:
        return ""
    parts = [buyer.name, buyer.phone, f"身份证 {buyer.id_number}" if buyer.id_number else None]
    return "买受人：" + " ".join(part for part in parts if part) + "\n"


def deal_voided(outcome: DealOutcome) -> str:
    refusal = _refusal(outcome)
    if refusal is not None:
        return refusal
    if outcome.result == Result.NOTHING_TO_VOID:
        return f"#{outcome.filing_no} {outcome.client_name} 没有有效的成交，无需退定。"
    return (
        f"已退定：#{outcome.filing_no} {outcome.client_name} {outcome.phone_mask} 的 "
        f"{outcome.count} 条成交作废，不再计入；保护期按原到期日继续（R9）。"
    )


def deal_excluded(outcome: DealOutcome) -> str:
    refusal = _refusal(outcome)
    if refusal is not None:
        return refusal
    if outcome.result == Result.NOTHING_TO_EXCLUDE:
        return f"#{outcome.filing_no} {outcome.client_name} 没有计佣的有效成交，无需操作。"
    return (
        f"已标记不计佣：#{outcome.filing_no} {outcome.client_name} {outcome.phone_mask}，"
        f"{outcome.explanation}。"
    )
