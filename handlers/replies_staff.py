"""Every sentence said to case-site staff (beside ``replies.py``, which speaks to agents).

Staff see their projects' clients with masked phones only: the full number a front desk
records is site data, never echoed. Help is built from the grammar registry's staff verbs
and each project's own policy values, never from a number written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from handlers import grammar
from handlers.replies import STATUS_LABELS, day, fit, minute, rules_lines
from models.policy import KNOWN_SOURCES, ClientStatus, ProtectionKind
from models.policy.push_wording import DayVisit, visit_line
from models.queries import ProjectPolicy
from models.staff_views import ClientView, DistributorStats, ProjectInfo

PROTECTION_WORDS = {
    ProtectionKind.FILING: "报备保护中",
    ProtectionKind.VISIT: "到访保护中",
    ProtectionKind.RENEWAL: "到访保护中（已续期）",
    ProtectionKind.BULK: "到访保护中（大宗延长）",
}


def joined(parts: Sequence[str]) -> str:
    return fit("\n\n".join(parts))


def staff_help(topic: str | None, projects: Sequence[ProjectInfo], manager: bool) -> str:
    """A verb's usage, or the staff's verbs with the rules of the projects they serve."""
    if topic and (text := grammar.usage(topic)):
        return text
    listed = [verb.staff_summary for verb in grammar.REGISTRY if verb.staff_summary]
    lines = ["案场指令：", *(f"{n}. {summary}" for n, summary in enumerate(listed, 1))]
    lines.append("#编号 均为报备编号。也可以使用公众号底部的案场菜单。")
    if not manager:
        lines.append("审核与统计由案场经理办理。")
    policies = [ProjectPolicy(p.code, p.name, p.policy) for p in projects]
    return fit("\n".join(lines + rules_lines(policies)))


def day_visits(on: date, visits: Sequence[DayVisit], several: bool) -> str:
    """The day's visits, by time: reported (带看) or expected by the filing itself (R5)."""
    if not visits:
        return f"今天（{on:%Y-%m-%d}）没有预计到访的客户。"
    lines = [f"今日到访（{on:%Y-%m-%d}）：{len(visits)} 位"]
    for visit in visits:
        prefix = f"[{visit.project_name}] " if several else ""
        lines.append(prefix + visit_line(visit))
    return fit("\n".join(lines))


def _standing(view: ClientView, tz: ZoneInfo) -> str:
    if view.protection is not None:
        words = PROTECTION_WORDS[ProtectionKind(view.protection)]
        return f"{words}：{view.company}，保护至 {day(view.protected_until, tz)}"
    if view.state is ClientStatus.KNOWN:
        return f"案场客户（{KNOWN_SOURCES.get(view.known_source or '', '案场已知')}）"
    if view.state is ClientStatus.VISITED:
        return "到访保护已结束，案场公客"
    return "无保护（报备已失效或已取消）"


def client_views(mask: str, views: Sequence[ClientView], tz: ZoneInfo) -> str:
    """Each client with this mask in the sender's projects: standing, then every filing."""
    if not views:
        return f"您的项目中没有找到客户 {mask}。"
    blocks = []
    for view in views:
        lines = [
            f"客户：{view.name} {view.phone_mask}（{view.project_name}）",
            f"状态：{_standing(view, tz)}",
        ]
        for filing in view.filings:
            lines.append(
                f"#{filing.number} {filing.company}/{filing.agent} "
                f"{STATUS_LABELS[filing.status]} 报备于 {minute(filing.filed_at, tz)}，"
                f"预计到访 {minute(filing.expected_arrival_at, tz)}"
            )
        blocks.append("\n".join(lines))
    return joined(blocks)


def _rate(valid: int, arrivals: int) -> str:
    return f"{round(100 * valid / arrivals)}%" if arrivals else "—"


def channel_stats(project_name: str, stats: Sequence[DistributorStats]) -> str:
    """Per distributor: filings, arrivals and valid rate, today / this week (Monday on)."""
    if not stats:
        return f"{project_name} 今日和本周还没有报备或到访。"
    lines = [f"{project_name} 渠道统计（今日 / 本周，周一起）："]
    for row in stats:
        t, w = row.today, row.week
        lines.append(
            f"{row.company}：报备 {t.filings}/{w.filings}，到访 {t.arrivals}/{w.arrivals}，"
            f"有效率 {_rate(t.valid, t.arrivals)}/{_rate(w.valid, w.arrivals)}"
        )
    lines.append("有效率 = 有效到访 ÷ 到访")
    return fit("\n".join(lines))
