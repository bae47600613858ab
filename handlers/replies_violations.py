"""What a manager hears back about violations (issue 18 item 3, R11): each names its rule.

Only the filed mask of a client's phone is shown. An unknown distributor name is answered
without listing any distributor (the names are the developer's business, not the reply's).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from models.policy.violation_wording import KIND_WORDS, violation_explanation, yuan
from models.policy.violations import ViolationKind
from models.privacy import scrub
from models.violation_list import ViolationRow
from models.violations import Result, ViolationResult

UNKNOWN_DISTRIBUTOR = (
    "没有找到名为「{name}」的分销商，请写分销商的全称（与合作协议一致），例如：\n"
    "违规 甲房产经纪有限公司 截客 说明"
)
NOT_FOUND = "没有找到您所管理项目的这条报备，请核对编号（发送「查询 手机号」可查客户）。"
NOT_THEIRS = "报备 #{number} 不是「{name}」报备的客户，违约报备须写该分销商自己的报备编号。"
NO_VIOLATIONS = "本项目还没有记录违规。"


def violation_recorded(outcome: ViolationResult, tz: ZoneInfo, window: timedelta | None) -> str:
    """The record, the decision with its rule and amounts, and who was told."""
    if outcome.result is Result.UNKNOWN_DISTRIBUTOR:
        return UNKNOWN_DISTRIBUTOR.format(name=scrub(outcome.distributor[:30]))
    if outcome.result is Result.NOT_FOUND:
        return NOT_FOUND
    if outcome.result is Result.NOT_THEIRS:
        return NOT_THEIRS.format(number=outcome.filing_no, name=outcome.distributor)
    ruling = outcome.ruling
    assert ruling is not None
    what = f"{outcome.distributor} {KIND_WORDS[ruling.kind]}"
    if ruling.kind is ViolationKind.FALSE_FILING:
        what += f" #{outcome.filing_no} {outcome.client or ''}"
    lines = [
        f"已记录违规（{outcome.project_name}）：{what}",
        f"处理：{violation_explanation(ruling, tz)}",
    ]
    if ruling.blacklist:
        lines.append(
            f"已停止合作：其 {outcome.ended} 条客户保护即时结束"
            "（报备未到访的客户其他渠道可报备，已到访的转为案场公客）。"
        )
    lines.append(f"已通知该分销商的 {outcome.told} 位经纪人。")
    if window is not None:
        minutes = int(window.total_seconds() // 60)
        lines.append(f"请在{minutes}分钟内发送现场照片，将作为此条违规的证据。")
    return "\n".join(lines)


def violation_list(rows: list[ViolationRow], tz: ZoneInfo) -> str:
    """``违规记录``: newest first, one line each."""
    if not rows:
        return NO_VIOLATIONS
    lines = [f"违规记录（最近 {len(rows)} 条）："]
    for row in rows:
        kind = KIND_WORDS[ViolationKind(row.kind)]
        number = f" #{row.filing_no}" if row.filing_no else ""
        amount = f" 罚款{yuan(row.fine_yuan)}" if row.fine_yuan else ""
        amount += " 已列入黑名单" if row.outcome == "blacklisted" else ""
        amount += f" 佣金不予支付 违约金{yuan(row.damages_yuan)}" if row.damages_yuan else ""
        photos = f" 照片{row.photos}张" if row.photos else " 无照片"
        lines.append(
            f"{row.recorded_at.astimezone(tz):%m-%d %H:%M} {row.distributor} {kind}{number}"
            f"{amount}{photos}：{row.description}"
        )
    return "\n".join(lines)
