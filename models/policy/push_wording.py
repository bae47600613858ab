"""The words of the pushes (R4's and R8's, and a manager's rulings: R5-R7): a
customer-service text and template values.

Beside ``wording.py`` (the rulings' own explanations) because the scheduler may not import
``handlers`` and these sentences announce rulings of the clock. Template values follow
WeChat's rules since May 2023 (each a fact of the filing, at most 20 characters, one line,
no emoji, no first/remark field); their keys are named by meaning, and the config maps each
to the template's keyword (``thing1`` ...):
``project`` (项目), ``client`` (name and masked phone), ``number`` (#filing), ``ends``
(the protection's end day), ``status`` (what happened or is about to).
Only the masked phone is ever given here; ``models.outbox`` scrubs again at the door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from models.policy.approvals import Outcome, StaffRuling
from models.policy.reminders import EndRuling, Reminder
from models.policy.states import ProtectionKind

FIELD_MAX = 20


@dataclass(frozen=True)
class PushFacts:
    """What a push names: the protection's project, client, filing and end."""

    project_name: str
    client_name: str
    phone_mask: str
    filing_no: int | None
    kind: str  # a ProtectionKind
    ends_at: datetime  # in the project's time zone


def fit(value: str) -> str:
    """One line of at most 20 characters: longer names end in "…" rather than be cut by
    WeChat without a sign."""
    value = " ".join(value.split())
    return value if len(value) <= FIELD_MAX else value[: FIELD_MAX - 1] + "…"


def _who(facts: PushFacts) -> str:
    number = f"（#{facts.filing_no}）" if facts.filing_no else ""
    return f"{facts.project_name} 客户 {facts.client_name} {facts.phone_mask}{number}"


def _day(day: date | datetime) -> str:
    return day.strftime("%Y-%m-%d")


def _fields(facts: PushFacts, status: str) -> dict[str, str]:
    values = {
        "project": facts.project_name,
        "client": f"{facts.client_name} {facts.phone_mask}",
        "number": f"#{facts.filing_no}" if facts.filing_no else "-",
        "ends": _day(facts.ends_at),
        "status": status,
    }
    return {key: fit(value) for key, value in values.items()}


def _in_days(n: int) -> str:
    return "明天" if n == 1 else f"{n}天后"


def reminder_message(reminder: Reminder, facts: PushFacts) -> tuple[str, dict[str, str]]:
    """R4's "about to lapse" or R8's "about to end", as text and template values."""
    ends, soon = _day(facts.ends_at), _in_days(reminder.lead_days)
    if facts.kind == ProtectionKind.FILING:
        text = (
            f"报备即将失效：{_who(facts)} 的报备保护至 {ends}（{soon}到期）。"
            "请在此前带客户到访并到前台登记，逾期未到访报备失效。"
        )
        return text, _fields(facts, f"报备保护{soon}到期")
    text = f"到访保护即将结束：{_who(facts)} 的到访保护至 {ends}（{soon}到期）。"
    opens = reminder.renewal_opens
    if opens is not None and opens > reminder.due_day:
        text += f"续期窗口 {_day(opens)} 起开放，窗口内客户再次到访并经案场确认即可续期。"
    elif opens is not None:
        text += "现已进入续期窗口，客户再次到访并经案场确认即可续期。"
    return text, _fields(facts, f"到访保护{soon}到期")


def end_explanation(ruling: EndRuling, facts: PushFacts) -> str:
    """The ruling of the clock in the rule book's words: kept in the decision log."""
    ends = _day(facts.ends_at)
    if facts.kind == ProtectionKind.FILING:
        return f"报备保护至 {ends}，期内未到访，报备已失效"
    if ruling.public:
        return f"到访保护至 {ends}，期满未成交，客户转为案场公客"
    return f"到访保护至 {ends}，期满未成交，保护结束，其他渠道可重新报备"


def end_message(ruling: EndRuling, facts: PushFacts) -> tuple[str, dict[str, str]]:
    """R4's lapse or R8's expiry, told to the agent, as text and template values."""
    why = end_explanation(ruling, facts)
    if facts.kind == ProtectionKind.FILING:
        text = f"报备已失效：{_who(facts)}，{why}。如需继续跟进，请重新报备。"
        return text, _fields(facts, "报备已失效")
    status = "保护期满 已转公客" if ruling.public else "保护期满 已结束"
    return f"到访保护已结束：{_who(facts)}，{why}。", _fields(facts, status)


# ---------------------------------------------------------------- a manager's morning

DIGEST_MAX_VISITS = 15  # listed one a line; the rest are counted, so the text stays short


@dataclass(frozen=True)
class DayVisit:
    """A visit expected on the day, as staff see it (a masked phone only)."""

    number: int  # the filing's number
    project_name: str
    at: datetime  # expected arrival, in the project's time zone
    company: str
    agent: str
    client_name: str
    phone_mask: str
    reported: bool  # the agent sent 带看 for this time (else the filing's own time, R5)


@dataclass(frozen=True)
class DigestFacts:
    """One manager's morning in one project."""

    project_name: str
    day: date
    pending: int  # arrivals awaiting the manager's approval
    visits: tuple[DayVisit, ...]


def visit_line(visit: DayVisit) -> str:
    """``10:00 #12 张三 138****5678 甲公司/王小明 已带看``: the same line in replies."""
    how = "已带看" if visit.reported else "报备预计"
    return (
        f"{visit.at:%H:%M} #{visit.number} {visit.client_name} {visit.phone_mask} "
        f"{visit.company}/{visit.agent} {how}"
    )


def digest_message(facts: DigestFacts) -> tuple[str, dict[str, str]]:
    """The morning digest to a project's manager, as text and template values."""
    lines = [
        f"{facts.project_name} {_day(facts.day)} 晨报",
        f"待审核到访：{facts.pending} 条" + ("（请点菜单「待审核」处理）" if facts.pending else ""),
        f"今日预计到访：{len(facts.visits)} 位",
    ]
    lines += [visit_line(visit) for visit in facts.visits[:DIGEST_MAX_VISITS]]
    if len(facts.visits) > DIGEST_MAX_VISITS:
        lines.append(f"……共{len(facts.visits)}位，完整列表请点菜单「今日到访」")
    fields = {
        "project": facts.project_name,
        "day": _day(facts.day),
        "pending": f"{facts.pending}条",
        "visits": f"{len(facts.visits)}位",
    }
    return "\n".join(lines), {key: fit(value) for key, value in fields.items()}


#: A manager's ruling as the agent hears it: the title of the text and the status value.
RULING_TITLES: dict[Outcome, tuple[str, str]] = {
    Outcome.APPROVED: ("到访确认", "到访有效"),
    Outcome.APPROVED_EXCEPTION: ("到访确认", "到访有效 例外通过"),
    Outcome.RENEWED: ("到访保护已续期", "复访确认 已续期"),
    Outcome.REVISIT_CONFIRMED: ("复访已确认", "复访确认 未续期"),
    Outcome.REJECTED: ("到访未通过", "到访未通过"),
    Outcome.BULK_EXTENDED: ("大宗客户延期", "大宗客户 已延期"),
}


def ruling_message(
    ruling: StaffRuling, facts: PushFacts, arrived_at: datetime | None
) -> tuple[str, dict[str, str]]:
    """R5's approval or rejection, R6's extension, R7's renewal, told to the agent at once.

    ``facts.ends_at`` is the protection's end after the ruling (a rejected first visit has
    none: its value is the arrival day); ``arrived_at`` the arrival ruled on (None for R6).
    """
    title, status = RULING_TITLES[ruling.outcome]
    visit = f"，{_day(arrived_at)} 到访" if arrived_at else ""
    text = f"{title}：{_who(facts)}{visit}。{ruling.explanation()}。"
    fields = _fields(facts, status)
    if ruling.until is None:
        fields["ends"] = "-"
    return text, fields


# ---------------------------------------------------------------- deals (R9)


@dataclass(frozen=True)
class DealPushFacts:
    """A deal as its attributed agent hears of it: their own client, masked, no company."""

    project_name: str
    client_name: str
    phone_mask: str
    filing_no: int | None  # the agent's filing that protected the client, if any
    kind_word: str  # 认筹 / 认购 / 签约
    event_at: datetime  # in the project's time zone


def _deal_fields(facts: DealPushFacts, status: str) -> dict[str, str]:
    values = {
        "project": facts.project_name,
        "client": f"{facts.client_name} {facts.phone_mask}",
        "number": f"#{facts.filing_no}" if facts.filing_no else "-",
        "day": _day(facts.event_at),
        "status": status,
    }
    return {key: fit(value) for key, value in values.items()}


def deal_message(facts: DealPushFacts) -> tuple[str, dict[str, str]]:
    """R9: a deal attributed to the agent's company, told to the agent who protected the
    client; no price (site data) and no other company named (R3)."""
    number = f"（#{facts.filing_no}）" if facts.filing_no else ""
    text = (
        f"成交登记：{facts.project_name} 客户 {facts.client_name} {facts.phone_mask}{number}"
        f"已{facts.kind_word}，日期 {_day(facts.event_at)}。"
        "该成交按首次成交时的保护归属贵司（R9），成交有效期间客户保护不再到期。"
    )
    return text, _deal_fields(facts, f"已{facts.kind_word} 归属贵司")


def deal_void_message(facts: DealPushFacts) -> tuple[str, dict[str, str]]:
    """R9: the deals attributed to the agent's company were voided by 退定."""
    number = f"（#{facts.filing_no}）" if facts.filing_no else ""
    text = (
        f"成交退定：{facts.project_name} 客户 {facts.client_name} {facts.phone_mask}{number}"
        f"的成交已退定，不再计入（R9）；客户保护期按原到期日继续。"
    )
    return text, _deal_fields(facts, "成交已退定")
