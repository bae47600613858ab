"""The words of R10's rulings (撞单): the explanation naming its rule, and the pushes.

The explanation names no company: it is logged, shown to the manager (whose reply adds
the companies) and pushed to agents, who must never learn another company's name (R3).
Pushes to an agent say only whether the deal is now credited to the agent's own company.
Template values follow ``push_wording``'s keys (``project``, ``client``, ``number``,
``ends``, ``status``) so a ``ruling`` template fits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from models.policy.claims import ClaimRuling, Details, Standing, Step
from models.policy.push_wording import fit

RELATIONS = ("配偶", "父母", "子女", "兄弟姐妹", "共同购买")

_STEP_WORDS: dict[Step, str] = {
    Step.VALID: "只有成交时仍在保护期内的报备有效",
    Step.DETAILS: "信息正确（手机号/证件号与成交、前台登记一致）的记录优先于信息有误的记录",
    Step.LOCK: "信息均正确时，锁定时间最早者胜（锁定时间：确认到访的到访时间；未到访的为报备时间）",
    Step.RELATIVES: "客户与其亲属或共同购买人分属不同渠道时，以其中锁定时间最早者为准",
    Step.OVERRIDE: "经理改判",
}


def _minute(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if moment else "-"


def explanation(ruling: ClaimRuling, tz: ZoneInfo) -> str:
    """The ruling in the rule book's words, naming the step that decided it (no company)."""
    if ruling.step is Step.OVERRIDE:
        return (
            f"{Step.OVERRIDE.value}：{_STEP_WORDS[Step.OVERRIDE]}，理由：{ruling.override_reason}"
            f"（按规则计算应{_computed(ruling)}，依据 {ruling.computed_step.value}）"
        )
    return computed_explanation(ruling, tz)


def computed_explanation(ruling: ClaimRuling, tz: ZoneInfo) -> str:
    """What R10.1-R10.4 gave, before any override: shown to the manager first."""
    step = ruling.computed_step
    head = f"{step.value}：{_STEP_WORDS[step]}"
    if ruling.computed is None:
        return f"{head}；成交时无任何一方的保护有效，成交不归属任何分销商"
    if step is Step.VALID:
        return f"{head}；仅一方成交时保护有效"
    if step is Step.DETAILS:
        return f"{head}；胜出方记录与客户信息一致，其他方信息有误"
    won = ruling.standing(ruling.computed)
    return f"{head}；胜出方锁定时间 {_minute(won.lock_at if won else None, tz)} 最早"


def _computed(ruling: ClaimRuling) -> str:
    if ruling.computed is None:
        return "不归属任何分销商"
    return "维持原归属" if ruling.computed == ruling.attributed else "改归撞单方"


def standing_line(standing: Standing, company: str, tz: ZoneInfo) -> str:
    """One competitor as the manager sees it: company, validity, details, lock time."""
    valid = "成交时保护有效" if standing.valid else "成交时无有效保护"
    details = {Details.CORRECT: "信息正确", Details.UNCHECKED: "信息无矛盾",
               Details.WRONG: "信息有误"}[standing.details]  # fmt: skip
    number = f"#{standing.filing_id}" if standing.filing_id else "无报备"
    relation = f"（{standing.relation}）" if standing.relation else ""
    return f"{company} {number}{relation}：{valid}，{details}，锁定 {_minute(standing.lock_at, tz)}"


@dataclass(frozen=True)
class ClaimPushFacts:
    """What one agent's push names: their own filing of the client, nothing of others."""

    project_name: str
    client_name: str
    phone_mask: str
    filing_no: int
    ruled_at: datetime  # in the project's time zone


def ruling_push(
    facts: ClaimPushFacts, ours: bool, rule: str, why: str
) -> tuple[str, dict[str, str]]:
    """The ruling told to one agent: whether the deal is their company's, and why."""
    verdict = "成交归属贵司" if ours else "成交不归属贵司"
    text = (
        f"撞单裁定：{facts.project_name} 客户 {facts.client_name} {facts.phone_mask}"
        f"（#{facts.filing_no}）{verdict}。依据 {why}。裁定为最终结果。"
    )
    fields = {
        "project": facts.project_name,
        "client": f"{facts.client_name} {facts.phone_mask}",
        "number": f"#{facts.filing_no}",
        "ends": f"{facts.ruled_at:%Y-%m-%d}",
        "status": f"撞单裁定 {verdict} {rule}",
    }
    return text, {key: fit(value) for key, value in fields.items()}


def claim_notice(
    project_name: str, deal_filing_no: int, client_name: str, phone_mask: str, company: str,
    deadline: datetime | None,
) -> tuple[str, dict[str, str]]:  # fmt: skip
    """A new claim, told to the project's managers (staff may see company names)."""
    text = (
        f"新撞单：{project_name} 客户 {client_name} {phone_mask}（成交 #{deal_filing_no}）"
        f"由 {company} 提出撞单。请发送「待审」查看，「裁定 #{deal_filing_no}」裁定。"
    )
    fields = {
        "project": project_name,
        "client": f"{client_name} {phone_mask}",
        "number": f"#{deal_filing_no}",
        "ends": f"{deadline:%Y-%m-%d}" if deadline else "-",
        "status": "新撞单 待裁定",
    }
    return text, {key: fit(value) for key, value in fields.items()}
