"""The words of R11's violations: the decision's explanation (the decision log, the
manager's reply and the agents' push alike) and the push to each agent of the
distributor. It names the rule and the amount, never another company nor the manager's
free-text description (it may name one, R3).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models.policy.push_wording import fit
from models.policy.violations import ViolationKind, ViolationOutcome, ViolationRuling

KIND_WORDS: dict[ViolationKind, str] = {
    ViolationKind.INTERCEPTION: "截客",
    ViolationKind.FALSE_FILING: "违约报备",
}


def yuan(amount: int) -> str:
    return f"{amount:,} 元"


def violation_explanation(ruling: ViolationRuling, tz: ZoneInfo) -> str:
    """The decision in the rule book's words, naming R11 and the amount: for the decision
    log, the manager's reply and the agents' push alike."""
    if ruling.outcome is ViolationOutcome.FINED:
        fine = f"罚款 {yuan(ruling.fine_yuan)}" if ruling.fine_yuan else "本项目不罚款"
        return f"首次截客，{fine}；再次截客将停止合作并列入黑名单（R11）"
    if ruling.outcome is ViolationOutcome.BLACKLISTED:
        return f"第{ruling.offence}次截客（各项目合计），即日起停止合作并列入黑名单（R11）"
    refund = (
        f"已支付的须于 {ruling.refund_due_at.astimezone(tz):%Y-%m-%d %H:%M:%S} 前退还"
        if ruling.refund_due_at is not None
        else "已支付的须退还"
    )
    damages = (
        f"；开发商可解除合作协议并要求违约金 {yuan(ruling.damages_yuan)}"
        if ruling.damages_yuan
        else ""
    )
    return f"违约报备：该客户的佣金不予支付，{refund}{damages}（R11）"


@dataclass(frozen=True)
class ViolationFacts:
    """What an agent's push about a violation of their own distributor names: never
    another company, nor the manager's free-text description (it may name one, R3)."""

    project_name: str
    distributor: str  # the agent's own distributor
    client: str | None  # a false filing's client: name and masked phone
    filing_no: int | None
    ended: int  # the agent's protections ended by the blacklisting


def violation_message(
    ruling: ViolationRuling, facts: ViolationFacts, tz: ZoneInfo
) -> tuple[str, dict[str, str]]:
    """R11's decision told to each bound agent of the distributor, at once."""
    head = f"违规处理（R11 {KIND_WORDS[ruling.kind]}）：{facts.project_name} 项目"
    if ruling.kind is ViolationKind.FALSE_FILING:
        number = f"#{facts.filing_no} " if facts.filing_no else ""
        text = f"{head}认定 {number}{facts.client or ''} 为贵司违约报备客户。"
        status = "违约报备 佣金不予支付"
    else:
        text = f"{head}记录贵司（{facts.distributor}）截客违规。"
        status = "截客 已列入黑名单" if ruling.blacklist else "截客 罚款"
    text += violation_explanation(ruling, tz) + "。"
    if ruling.blacklist:
        text += "贵司不能再报备客户"
        text += f"；您名下 {facts.ended} 条客户保护即时结束。" if facts.ended else "。"
    fields = {
        "project": facts.project_name,
        "client": facts.client or "-",
        "number": f"#{facts.filing_no}" if facts.filing_no else "-",
        "status": status,
    }
    return text, {key: fit(value) for key, value in fields.items()}
