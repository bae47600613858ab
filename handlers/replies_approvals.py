"""What a manager hears back for 通过, 驳回, 大宗 and the pending list (R5-R7).

Rulings explain themselves (``StaffRuling.explanation()``); these sentences frame them.
Phones are shown masked: the pending list masks the desk's full number, and every other
name and number comes from the filing, which holds only the mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.replies import NOT_MANAGER, fit, minute
from models.approvals import PendingRow, StaffAction
from models.policy.approvals import Outcome

PROPOSALS = {"valid": "有效", "natural": "自然到访"}
DONE_WORDS: dict[Outcome, str] = {
    Outcome.APPROVED: "审核通过",
    Outcome.APPROVED_EXCEPTION: "例外通过",
    Outcome.RENEWED: "复访通过",
    Outcome.REVISIT_CONFIRMED: "复访通过",
    Outcome.REJECTED: "已驳回",
    Outcome.BULK_EXTENDED: "大宗延期",
}
REFUSED_WORDS = {"approve": "不能通过", "reject": "不能驳回", "bulk": "不能延期"}
TOLD = "结果已推送给报备经纪人。"
NOT_TOLD = "报备经纪人已不在该分销商，未推送。"


def no_arrival(number: int) -> str:
    return f"没有找到 #{number} 待审核的到访登记。发送「待审」查看待审核列表。"


def no_filing(number: int) -> str:
    return f"没有找到报备 #{number}，请核对编号。"


def staff_action(action: StaffAction, verb: str) -> str:
    """The answer to 通过 / 驳回 (``verb`` approve | reject) or 大宗 (bulk)."""
    if action.not_manager:
        return NOT_MANAGER
    ruling = action.ruling
    if ruling is None:
        return no_filing(action.number) if verb == "bulk" else no_arrival(action.number)
    who = f"#{action.number} {action.client_name} {action.phone_mask}"
    if not ruling.ok:
        return f"{REFUSED_WORDS[verb]} {who}：{ruling.explanation()}"
    told = TOLD if action.told else NOT_TOLD
    return f"{DONE_WORDS[ruling.outcome]} {who}\n{ruling.explanation()}。\n{told}"


def pending_list(rows: Sequence[PendingRow], tz: ZoneInfo) -> str:
    """STAFF_PENDING: oldest first, each with its filing number and proposed ruling."""
    if not rows:
        return "目前没有待审核的到访。"
    lines = [f"待审核到访 {len(rows)} 条（先登记的在前）："]
    for row in rows:
        a = row.arrival
        proposal = PROPOSALS.get(a.proposed, a.proposed)
        lines.append(
            f"#{a.filing_id} {a.client_name} {a.phone_mask} {row.company}\n"
            f"   到访 {minute(a.arrived_at, tz)} 建议：{proposal}（{a.explanation}）"
        )
    lines.append("审核：通过 #编号；驳回 #编号 理由")
    return fit("\n".join(lines))
