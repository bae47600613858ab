"""What agents and staff hear back about 撞单, 关联 and 裁定 (R10).

An agent's replies name no other company (R3) and only their own filing's mask; staff
replies may name the distributors. Every ruling names the rule that decided it.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.replies import NOT_MANAGER, fit, minute
from models import claim_rulings, claims, client_links
from models.claim_rulings import RulingOutcome
from models.claim_views import OpenClaim
from models.claims import ClaimOutcome
from models.client_links import LinkOutcome

NOT_YOURS = "您名下没有这条报备，请发送「查询」核对编号。"
NOTHING = "无（不归属任何分销商）"


def claim_filed(outcome: ClaimOutcome, tz: ZoneInfo) -> str:
    """The agent's answer to 撞单 #编号 理由."""
    who = f"#{outcome.filing_no} {outcome.client_name} {outcome.phone_mask}"
    until = "本项目撞单不设期限"
    if outcome.deadline is not None:
        until = f"撞单期限至 {minute(outcome.deadline, tz)}"
    match outcome.result:
        case claims.Result.NOT_YOURS:
            return NOT_YOURS
        case claims.Result.NO_DEAL:
            return (
                f"{who} 的客户目前没有登记成交，无法撞单。如客户以亲属或共同购买人名义成交，"
                "请联系案场核实并「关联」后再提交。"
            )
        case claims.Result.OWN_DEAL:
            return f"{who} 的客户成交已归属贵司，无需撞单。"
        case claims.Result.LATE:
            return f"撞单未受理：{who} 的{until}（成交日为第1天，R10），已逾期。"
        case claims.Result.ALREADY_OPEN:
            return f"贵司已就 {who} 的成交提出撞单，正等待案场经理裁定，无需重复提交。"
        case claims.Result.ALREADY_RULED:
            return f"{who} 的成交撞单已裁定（最终结果），不再受理。"
    return f"撞单已受理：{who}。{until}（R10）。案场经理裁定后将通知您。"


def open_claims(rows: Sequence[OpenClaim], tz: ZoneInfo) -> str:
    """STAFF_PENDING's claims: oldest first, each with the number to rule with."""
    lines = [f"待裁定撞单 {len(rows)} 条："]
    for row in rows:
        lines.append(
            f"#{row.number} {row.client_name} {row.phone_mask} 成交 {minute(row.deal_at, tz)}\n"
            f"   归属：{row.attributed or NOTHING}；撞单方：{row.claimant}"
            f"（{minute(row.claimed_at, tz)}，理由：{row.reason}）"
        )
    lines.append("裁定：裁定 #编号（改判：裁定 #编号 改判 分销商全称 理由）")
    return "\n".join(lines)


def with_claims(pending: str, rows: Sequence[OpenClaim], tz: ZoneInfo) -> str:
    return fit(f"{pending}\n\n{open_claims(rows, tz)}") if rows else pending


def ruled(outcome: RulingOutcome) -> str:
    """The manager's answer to 裁定: the computed ruling first, then what was decided."""
    who = f"#{outcome.filing_no} {outcome.client_name} {outcome.phone_mask}"
    match outcome.result:
        case claim_rulings.Result.NOT_FOUND:
            number = outcome.filing_no
            return f"没有找到本项目的报备 #{number}，请核对编号（发送「待审」查看待裁定撞单）。"
        case claim_rulings.Result.NOT_MANAGER:
            return NOT_MANAGER
        case claim_rulings.Result.NO_DEAL:
            return f"{who} 的客户没有有效的成交，无可裁定。"
        case claim_rulings.Result.NO_CLAIMS:
            return f"{who} 的成交没有待裁定的撞单。"
        case claim_rulings.Result.BAD_OVERRIDE:
            return (
                "改判须写本次撞单一方的分销商全称（原归属方或撞单方），"
                "发送「待审」可查看各方。未作任何改动。"
            )
        case claim_rulings.Result.ALREADY_RULED:
            return (
                f"{who} 的撞单已裁定，裁定为最终结果，不能再次裁定。\n"
                f"归属：{outcome.winner or NOTHING}\n依据：{outcome.final}"
            )
    lines = [
        f"撞单裁定 {who}",
        f"按规则计算：归属 {outcome.computed_winner or NOTHING}",
        f"依据：{outcome.computed}",
    ]
    if outcome.rule == "R10.5":
        lines.append(f"经理改判：归属 {outcome.winner or NOTHING}（{outcome.final}）")
    if outcome.winner != outcome.previous:
        lines.append(f"结果：由 {outcome.previous or NOTHING} 改归 {outcome.winner or NOTHING}")
    else:
        lines.append(f"结果：维持归属 {outcome.winner or NOTHING}")
    lines += ["各方：", *(f"   {line}" for line in outcome.parties)]
    lines.append(f"裁定为最终结果，已推送 {outcome.told} 位经纪人。")
    return fit("\n".join(lines))


def linked(outcome: LinkOutcome) -> str:
    a, b = outcome.numbers
    match outcome.result:
        case client_links.Result.NOT_FOUND:
            return f"没有找到本项目的报备 #{a} 和 #{b}（两条须为同一项目），请核对编号。"
        case client_links.Result.NOT_MANAGER:
            return NOT_MANAGER
        case client_links.Result.NO_CLIENT:
            return "其中一条报备没有对应的客户记录，无法关联。"
        case client_links.Result.SAME_CLIENT:
            return f"#{a} 与 #{b} 是同一位客户，无需关联。"
        case client_links.Result.ALREADY:
            return f"#{a} 与 #{b} 的客户已关联为{outcome.relation}，未作改动。"
        case client_links.Result.NOT_LINKED:
            return f"#{a} 与 #{b} 的客户没有关联，无需取消。"
        case client_links.Result.UNLINKED:
            return f"已取消关联：#{a} {outcome.names[0]} 与 #{b} {outcome.names[1]}。"
    return (
        f"已关联：#{a} {outcome.names[0]} 与 #{b} {outcome.names[1]} 为{outcome.relation}"
        "（撞单裁定时按 R10.4 以其中锁定时间最早者为准）。"
    )
