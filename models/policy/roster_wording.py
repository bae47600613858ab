"""The words of the channel team's roster (R12): an invite's state, the push an unbound
agent gets and the handover list a colleague gets. None names a company (R3), and the
handover shows masked phones only.
"""

from __future__ import annotations

from dataclasses import dataclass

#: An invite code that no longer binds, as the decision log says it.
INVITE_STATE_WORDS: dict[str, str] = {
    "open": "可用",
    "used": "已使用",
    "expired": "已过期",
    "revoked": "已作废",
}

#: What an unbound agent is told; it names no company (R3), theirs included.
UNBOUND_TEXT = (
    "您的分销商经纪人绑定已被解除，不能再报备客户。您报备过的客户仍归原公司所有。"
    "如有疑问，请联系所在公司或项目渠道部。"
)

HANDOVER_LIST_MAX = 10  # a text push holds ~2 KB: a longer handover lists the first ones


@dataclass(frozen=True)
class HandedOver:
    """One filing a colleague's departure gave to the agent: masked phone only."""

    project_name: str
    client_name: str
    phone_mask: str
    filing_no: int


def handover_message(filings: list[HandedOver]) -> str:
    """A departed colleague's open filings, told to the agent who takes them over: whom,
    masked, and that reminders about them now come to them. Names no company (R3)."""
    lines = [
        f"{item.project_name} 客户 {item.client_name} {item.phone_mask}（#{item.filing_no}）"
        for item in filings[:HANDOVER_LIST_MAX]
    ]
    more = len(filings) - len(lines)
    if more > 0:
        lines.append(f"……另有 {more} 位，发送「查询」查看")
    return (
        f"客户交接：同事的 {len(filings)} 位客户的报备已转由您跟进：\n"
        + "\n".join(lines)
        + "\n此后这些客户的提醒和审核结果将发给您。"
    )
