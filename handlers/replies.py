"""Every sentence the service says to a user, in Chinese, and nothing else.

Rulings explain themselves (``Ruling.explanation()``, the rule book's wording); this
module frames them for the conversation. Replies to agents show phones only as masks:
what an agent typed is echoed only through ``models.privacy.scrub`` (and the webhook scrubs
every reply once more before it is sent or kept for retries). A passive reply must stay
under WeChat's 2,048-byte limit, which ``fit`` enforces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers import grammar
from handlers.commands import ParseError, ParseProblem, RegisterArrival
from handlers.deal_grammar import DEAL_KINDS
from handlers.filing_grammar import MAX_CLIENT_LINES
from models.arrivals import Registered, Result
from models.binding import Binding
from models.filings import FilingOutcome
from models.policy import PROTECTING, STAFF_ROLES, FilingStatus, Policy, Role, span_words
from models.policy.arrivals import VALID, ArrivalTimeProblem
from models.policy.roster import InviteState
from models.privacy import scrub
from models.queries import FilingRow, ProjectPolicy
from models.requests import INVITE_LENGTH, NOTE_MAX_CHARS

REPLY_LIMIT_BYTES = 2048

WELCOME = (
    "欢迎关注渠道报备服务。\n"
    "分销商经纪人：请向贵司或项目渠道部索取邀请码，发送「绑定 邀请码 姓名」完成绑定，"
    "然后即可报备客户。\n发送「帮助」查看全部指令。"
)
NOT_AGENT = (
    "您还没有绑定为分销商经纪人。请向贵司或项目渠道部索取邀请码，发送：\n"
    "绑定 邀请码 姓名\n例如：绑定 K7M2Q9XD 王小明"
)
NOT_STAFF = "该指令仅限已绑定的案场人员使用。"
NOT_MANAGER = "该指令仅限案场经理使用。"
AGENTS_ONLY_FOR_STAFF = "该指令供分销商经纪人使用。案场人员请发送「帮助」查看案场可用的指令。"
INVALID_INVITE = "邀请码无效或已被使用，请核对后重新发送：绑定 邀请码 姓名"
RATE_LIMITED = "操作太频繁，请稍后再试。"
SYSTEM_BUSY = "系统繁忙，本条消息未处理，请稍后重新发送。"
UNSUPPORTED = "目前只能处理文字指令。发送「帮助」查看报备格式。"
FILING_NOT_FOUND = "没有找到您名下的这条报备，请发送「查询」核对编号。"
STAFF_ARRIVAL_FOR_AGENTS = (
    "到访登记由案场前台办理，经纪人不能登记到访。\n"
    "客户到访当天请发送带看报备，例如：带看 #12 15:00，到场后请带客户到前台登记。"
)

DEAL_BAD_PHONE = "手机号应为完整的11位手机号（成交登记不收 138****5678）"
DEAL_BAD_NAME = "姓名不对，应为1到20个字，不含数字和符号"
DEAL_BAD_DATE = "成交日期看不懂或在将来，例如：11-25、2026-11-25、昨天 10:00、今天 9:30"
PROBLEMS: dict[ParseProblem, str] = {
    ParseProblem.EMPTY: "消息是空的",
    ParseProblem.UNKNOWN_VERB: "没有看懂这条指令",
    ParseProblem.MISSING_FIELDS: "内容不完整",
    ParseProblem.BAD_PHONE: "手机号格式不对，应为11位手机号或 138****5678",
    ParseProblem.BAD_TIME: "到访时间看不懂，例如：明天 15:00、11月22日下午3点、2026-11-22 15:00",
    ParseProblem.BAD_TYPE: "请注明客户是「本地」还是「异地」",
    ParseProblem.BAD_NAME: "客户姓名不对",
    ParseProblem.BAD_NUMBER: "报备编号应写作 #数字，例如 #12",
    ParseProblem.TOO_MANY_LINES: f"一条消息最多报备{MAX_CLIENT_LINES}位客户，请分几条发送",
    ParseProblem.NOTE_TOO_LONG: f"备注太长，最多{NOTE_MAX_CHARS}个字，请删减后重新发送",
    ParseProblem.BAD_ID_NUMBER: "身份证号不对：应为18位（末位可为X），请核对每一位后重新发送",
    ParseProblem.BUYER_WORD_MISSING: "买受人的手机号、身份证号请写在「买受人 姓名」之后",
}
#: A problem worded for one verb, where the general words would name the wrong thing.
VERB_PROBLEMS: dict[tuple[str, ParseProblem], str] = {
    ("绑定", ParseProblem.BAD_NUMBER): f"邀请码格式不对，应为{INVITE_LENGTH}位字母和数字",
    ("绑定", ParseProblem.BAD_NAME): "您的姓名不对，应为1到20个字，不含数字和符号",
    ("查询", ParseProblem.BAD_NUMBER): "没有看懂要查询什么，请写页码或客户手机号",
    ("关联", ParseProblem.BAD_TYPE): "关系应为 配偶、父母、子女、兄弟姐妹 或 共同购买",
    **{(word, ParseProblem.BAD_PHONE): DEAL_BAD_PHONE for word in DEAL_KINDS},
    **{(word, ParseProblem.BAD_NAME): DEAL_BAD_NAME for word in DEAL_KINDS},
    **{(word, ParseProblem.BAD_TIME): DEAL_BAD_DATE for word in DEAL_KINDS},
}


def fit(text: str, limit: int = REPLY_LIMIT_BYTES) -> str:
    """Cut at a line boundary so the reply stays under WeChat's byte limit."""
    if len(text.encode("utf-8")) <= limit:
        return text
    marker = "\n……（内容过长，请分页查询）"
    budget = limit - len(marker.encode("utf-8"))
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode("utf-8")) + 1
        if used + size > budget:
            break
        kept.append(line)
        used += size
    return "\n".join(kept) + marker


def minute(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def day(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else "—"


def parse_error(error: ParseError, brief: bool = False) -> str:
    what = VERB_PROBLEMS.get((error.verb or "", error.problem), PROBLEMS[error.problem])
    if error.detail and error.problem in (ParseProblem.UNKNOWN_VERB, ParseProblem.BAD_TIME):
        what = f"{what}（{scrub(error.detail)}）"
    if brief:
        return what
    usage = grammar.usage(error.verb) or help_text()
    return f"{what}。\n正确格式：\n{usage}"


def line_error(index: int, error: ParseError, brief: bool) -> str:
    """A client line of a several-client filing that could not be read."""
    return f"第{index + 1}行：{parse_error(error, brief=brief)}"


def help_text(topic: str | None = None, projects: Sequence[ProjectPolicy] = ()) -> str:
    """A verb's usage, or every agent verb with the rules of the projects one can file for.

    Built from the grammar's registry and each project's own policy values, so the help
    never promises a notice or a protection a project has changed (domain.md R2, R4, R5).
    """
    if topic and (text := grammar.usage(topic)):
        return text
    listed = [verb.summary for verb in grammar.REGISTRY if verb.summary]
    lines = ["渠道报备指令：", *(f"{n}. {summary}" for n, summary in enumerate(listed, 1))]
    return fit("\n".join(lines + rules_lines(projects)))


def rules_lines(projects: Sequence[ProjectPolicy]) -> list[str]:
    """One line of rules when every project has the same, else one line per group."""
    groups: dict[str, list[str]] = {}
    for project in projects:
        groups.setdefault(_rules_sentence(project.policy), []).append(project.code)
    if len(groups) == 1:
        return [f"规则：{sentence}" for sentence in groups]
    return [f"规则（项目 {'、'.join(codes)}）：{sentence}" for sentence, codes in groups.items()]


def _rules_sentence(policy: Policy) -> str:
    return (
        f"{_notice('本地', policy.notice_for(remote=False))}、"
        f"{_notice('异地', policy.notice_for(remote=True))}报备；"
        f"报备保护期为报备次日起{policy.filing_protection_days}天，"
        f"到访确认后保护{policy.visit_protection_days}天。"
    )


def _notice(kind: str, notice: timedelta) -> str:
    if not notice:
        return f"{kind}客户无须提前"
    return f"{kind}客户须提前{span_words(notice)}"


def bound(binding: Binding, tz: ZoneInfo) -> str:
    if binding.invite_state is not None:
        return invite_refused(binding, tz)
    if binding.refusal:
        return f"绑定失败：{binding.refusal}。"
    if binding.kind == "agent":
        left = ""
        if binding.previous:  # R12: the old company keeps its filings and clients
            left = f"您在 {binding.previous} 的报备仍归该公司，不再显示在您的查询中。\n"
        return (
            f"绑定成功：{binding.name}，所属分销商：{binding.organisation}。\n{left}"
            "现在可以报备客户了，发送「帮助」查看格式。"
        )
    role = "经理" if binding.role == "manager" else "前台"
    return f"绑定成功：{binding.name}，{binding.organisation} 案场{role}。"


def invite_refused(binding: Binding, tz: ZoneInfo) -> str:
    """An expired or revoked code (R12): said plainly, with where to get a new one, and
    naming no company (the code's company is not the sender's business yet, R3)."""
    if binding.invite_state == InviteState.EXPIRED and binding.expires_at is not None:
        why = f"邀请码已过期（有效期至 {binding.expires_at.astimezone(tz):%Y-%m-%d %H:%M}）"
    elif binding.invite_state == InviteState.EXPIRED:
        why = "邀请码已过期"
    else:
        why = "邀请码已作废"
    return f"绑定失败：{why}。请向发给您邀请码的公司或项目渠道部索取新的邀请码。"


def unknown_project(ref: str) -> str:
    return f"报备失败：没有找到项目「{scrub(ref)}」，请核对项目编号或名称。"


def filing_outcome(outcome: FilingOutcome, project_name: str, tz: ZoneInfo) -> str:
    entry, ruling = outcome.entry, outcome.ruling
    kind = "异地" if entry.remote else "本地"
    if not ruling.ok:
        return f"报备失败：{entry.name} {entry.phone_mask}\n原因：{outcome.explanation()}"
    resumed = "（沿用贵司已取消报备的保护期，重新报备不延长）" if ruling.resumed else ""
    return (
        f"报备成功 #{outcome.filing_no}\n项目：{project_name}\n"
        f"客户：{entry.name} {entry.phone_mask}（{kind}）\n"
        f"预计到访：{minute(entry.arrival, tz)}\n保护至 {day(ruling.protected_until, tz)}"
        f"{resumed}\n到访当天请发送「带看 #编号」，并带客户到前台登记。"
    )


def filing_line(outcome: FilingOutcome, tz: ZoneInfo) -> str:
    """One client of a several-client message, short enough for ten in one reply."""
    entry, ruling = outcome.entry, outcome.ruling
    if ruling.ok:
        return (
            f"报备成功 #{outcome.filing_no} {entry.name} {entry.phone_mask} "
            f"保护至 {day(ruling.protected_until, tz)}"
        )
    return f"报备失败 {entry.name} {entry.phone_mask}：{outcome.explanation()}"


def filing_results(parts: Sequence[str]) -> str:
    return fit("\n".join(parts) if len(parts) > 1 else "".join(parts))


STATUS_LABELS: dict[FilingStatus, str] = {
    FilingStatus.FILED: "已报备",
    FilingStatus.ARRIVED: "已到访，待案场确认",
    FilingStatus.LAPSED: "已失效",
    FilingStatus.VISITED: "已到访",
    FilingStatus.REFUSED: "未通过",
    FilingStatus.CANCELLED: "已取消",
}


def filing_list(rows: Sequence[FilingRow], page: int, has_more: bool, tz: ZoneInfo) -> str:
    if not rows:
        return "没有找到报备记录。" if page == 1 else f"第{page}页没有记录了。"
    lines = [f"我的客户（第{page}页）："]
    for row in rows:
        line = f"#{row.number} {row.client_name} {row.phone_mask} {STATUS_LABELS[row.status]}"
        if row.status in PROTECTING and row.status is not FilingStatus.ARRIVED:
            line += f" 保护至 {day(row.protected_until, tz)}"
        if row.status is FilingStatus.FILED:
            visit = "已带看" if row.visit_reported else "预计"
            line += f"\n   {visit} {minute(row.expected_arrival_at, tz)}"
        lines.append(line)
    if has_more:
        lines.append(f"更多请发送：查询 {page + 1}")
    return fit("\n".join(lines))


def cancelled(number: int) -> str:
    return f"已取消报备 #{number}，该客户不再受您的报备保护。"


def cancel_refused(number: int, explanation: str) -> str:
    return f"取消失败 #{number}：{explanation}"


def visit_reported(number: int, name: str, mask: str, at: datetime, tz: ZoneInfo) -> str:
    return (
        f"到访报备成功 #{number}\n客户：{name} {mask}\n到访时间：{minute(at, tz)}\n"
        "请带客户到售楼处前台登记，前台将核对客户完整手机号；到访经案场确认后进入保护期。"
    )


def visit_refused(number: int | None, explanation: str) -> str:
    label = f" #{number}" if number else ""
    return f"到访报备失败{label}：{explanation}"


def choose_filing(candidates: Sequence[tuple[int, str, str]]) -> str:
    lines = ["您名下有多条报备符合，请用编号指明，例如：带看 #12 15:00"]
    lines += [f"#{number} {name} {mask}" for number, name, mask in candidates]
    return fit("\n".join(lines))


def refused_role(command: object, allowed: frozenset[Role], sender: frozenset[Role]) -> str:
    """A command the sender's role may not run: say who may, and nothing is changed.

    ``allowed`` is every role the command's routes admit; ``sender`` the sender's roles
    (empty: not bound yet).
    """
    if allowed == {Role.AGENT}:
        return AGENTS_ONLY_FOR_STAFF if sender & STAFF_ROLES else NOT_AGENT
    if isinstance(command, RegisterArrival) and Role.AGENT in sender:
        return STAFF_ARRIVAL_FOR_AGENTS
    if allowed == {Role.MANAGER} and sender & STAFF_ROLES:
        return NOT_MANAGER
    return NOT_STAFF


# ---------------------------------------------------------------- the case site (R5)

ARRIVAL_STATUS_WORDS = {
    "pending": "待经理审核",
    "approved": "已通过",
    "rejected": "已驳回",
    "natural": "自然到访",
}


def arrival_registered(
    outcome: Registered, command: RegisterArrival, tz: ZoneInfo, late_limit_hours: int
) -> str:
    """The proposed ruling (有效 / 自然到访) and why, with the mask, never the full number."""
    label = f" #{outcome.filing_no}" if outcome.filing_no else ""
    refused = _arrival_refusal(outcome, command, tz, late_limit_hours)
    if refused is not None:
        return f"到访登记失败{label}：{refused}"
    kind = "异地" if outcome.remote else "本地"
    corrected = "，前台更正" if outcome.remote_corrected else ""
    late = "（补登）" if outcome.late else ""
    verdict = "有效" if outcome.proposed == VALID else "自然到访"
    head = "到访登记成功" + label if outcome.filing_no else "到访登记成功（无匹配报备）"
    lines = [
        head,
        f"客户：{outcome.client_name} {outcome.phone_mask}（{kind}{corrected}）",
        f"到访时间：{minute(outcome.arrived_at, tz)}{late}",
    ]
    if outcome.consultant:
        lines.append(f"置业顾问：{outcome.consultant}")
    if outcome.status == "pending":
        lines.append(f"建议判定：{verdict}")
    else:
        lines.append("判定：自然到访")
    lines.append(f"理由：{outcome.explanation}")
    if not outcome.reported:
        lines.append("提示：经纪人当天未发送带看报备")
    if outcome.status == "pending":
        lines.append("待案场经理审核。")
    elif outcome.filing_no is None:
        lines.append("已记为案场自然到访客户，此后渠道对该客户的报备不予受理。")
    return fit("\n".join(lines))


def _arrival_refusal(
    outcome: Registered, command: RegisterArrival, tz: ZoneInfo, late_limit_hours: int
) -> str | None:
    if outcome.result is Result.REGISTERED:
        return None
    if outcome.result is Result.NOT_FOUND:
        return "没有找到该报备，请核对编号（仅限本人所在项目的报备）"
    if outcome.result is Result.UNKNOWN_PROJECT:
        return f"没有找到项目「{scrub(command.project or '')}」，请核对项目编号或名称"
    if outcome.result is Result.NOT_YOUR_PROJECT:
        return "您不是该项目的案场人员"
    if outcome.result is Result.MASK_MISMATCH:
        return f"手机号与报备不符（报备为 {outcome.phone_mask}），请核对客户完整手机号后重新登记"
    if outcome.time_problem is ArrivalTimeProblem.TOO_LATE:
        return f"补登到访最多追溯{late_limit_hours}小时，更早的到访请联系案场经理处理"
    if outcome.time_problem is ArrivalTimeProblem.IN_FUTURE:
        return "到访时间晚于现在，不能登记未来的到访"
    by = outcome.by or "案场人员"
    status = ARRIVAL_STATUS_WORDS.get(outcome.status or "", outcome.status or "")
    return (
        f"该报备已于 {minute(outcome.registered_at, tz)} 由{by}登记到访"
        f"（到访 {minute(outcome.arrived_at, tz)}，{status}），无须重复登记"
    )
