"""The menu file's checks, the week of the statistics, the digest's and the help's words."""

from __future__ import annotations

from datetime import date

import pytest

from bot.menu import MenuError, build_menus
from handlers import grammar, replies_staff
from handlers.router import MENU_KEYS
from models.policy import Policy, week_start
from models.policy.push_wording import DayVisit, DigestFacts, digest_message
from models.staff_views import ProjectInfo
from tests.moments import at

pytestmark = pytest.mark.unit
KEYS = set(MENU_KEYS)


def click(name: str, key: str) -> dict[str, str]:
    return {"name": name, "key": key}


def menus(agents: list, staff: list) -> dict:
    return {"agents": {"button": agents}, "staff": {"button": staff}}


def test_a_menu_file_becomes_wechats_click_buttons_with_sub_buttons() -> None:
    built = build_menus(
        menus(
            [click("帮助", "AGENT_HELP")],
            [{"name": "更多", "sub_button": [click("渠道统计", "STAFF_STATS")]}],
        ),
        KEYS,
    )

    assert built.default_menu() == {
        "button": [{"type": "click", "name": "帮助", "key": "AGENT_HELP"}]
    }
    assert built.staff_menu(7) == {
        "button": [
            {
                "name": "更多",
                "sub_button": [{"type": "click", "name": "渠道统计", "key": "STAFF_STATS"}],
            }
        ],
        "matchrule": {"tag_id": "7"},
    }


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (menus([click("帮助", "NO_SUCH")], [click("今日", "STAFF_TODAY")]), "NO_SUCH"),
        (menus([click("帮助", "AGENT_HELP")] * 4, [click("今日", "STAFF_TODAY")]), "1 to 3"),
        (menus([click("六个汉字太长", "AGENT_HELP")], [click("今日", "STAFF_TODAY")]), "16 bytes"),
        (menus([click("帮助", "AGENT_HELP")], []), "staff"),
        ({"agent": {}}, "unknown section"),
    ],
)
def test_a_menu_file_breaking_wechats_limits_or_naming_an_unknown_key_is_refused(
    document: dict, named: str
) -> None:
    with pytest.raises(MenuError, match=named):
        build_menus(document, KEYS)


def test_the_week_starts_on_monday() -> None:
    assert week_start(date(2026, 11, 25)) == date(2026, 11, 23)  # Wednesday
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # Sunday: last Monday


def visit(n: int) -> DayVisit:
    return DayVisit(
        n, "星河湾", at(11, 23, 15, 0), "甲公司", "王小明", "张三", "138****5678", False
    )


def test_the_digest_lists_the_days_visits_and_counts_the_rest_when_long() -> None:
    text, fields = digest_message(
        DigestFacts("星河湾", date(2026, 11, 23), 2, tuple(map(visit, range(1, 21))))
    )

    lines = text.splitlines()
    assert lines[:3] == [
        "星河湾 2026-11-23 晨报",
        "待审核到访：2 条（请点菜单「待审核」处理）",
        "今日预计到访：20 位",
    ]
    assert lines[3] == "15:00 #1 张三 138****5678 甲公司/王小明 报备预计"
    assert len(lines) == 3 + 15 + 1 and "共20位" in lines[-1]
    assert fields == {"project": "星河湾", "day": "2026-11-23", "pending": "2条", "visits": "20位"}


def test_the_staff_help_lists_every_staff_verb_of_the_registry() -> None:
    project = ProjectInfo(1, "P1", "星河湾", Policy(remote_notice_minutes=48 * 60))
    text = replies_staff.staff_help(None, [project], manager=True)

    for verb in grammar.REGISTRY:
        if verb.staff_summary:
            assert verb.staff_summary in text, verb.word
    assert "异地客户须提前48小时" in text


def test_the_staff_help_about_a_verb_is_its_usage() -> None:
    assert replies_staff.staff_help("统计", [], manager=True) == grammar.usage("统计")
