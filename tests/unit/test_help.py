"""The help and the usage after a mistake come from the grammar's one verb registry and
from the projects' own policy values, never from a second table or a default number."""

from __future__ import annotations

import pytest

from handlers import grammar, replies
from handlers.commands import ParseError, ParseProblem
from models.policy import Policy
from models.queries import ProjectPolicy

pytestmark = pytest.mark.unit


def project(code: str, **values: int) -> ProjectPolicy:
    return ProjectPolicy(code, f"项目{code}", Policy(**values))


@pytest.mark.parametrize("verb", [v for v in grammar.REGISTRY if v.usage], ids=lambda v: v.word)
def test_a_mistake_with_a_verb_is_answered_with_that_verbs_usage(verb: grammar.Verb) -> None:
    reply = replies.parse_error(ParseError(ParseProblem.MISSING_FIELDS, verb=verb.word))

    assert reply.endswith(f"正确格式：\n{verb.usage}")


def test_help_about_a_synonym_shows_the_usage_of_its_verb() -> None:
    assert replies.help_text("改约") == grammar.usage("带看")


def test_the_general_help_lists_every_agent_verb_and_not_the_front_desks() -> None:
    text = replies.help_text()

    for word in ("报备", "带看", "查询", "取消", "绑定"):
        assert f"{word} " in text, word
    assert "案场前台使用" not in text


def test_the_rules_in_the_help_are_the_projects_own_values() -> None:
    text = replies.help_text(
        projects=[project("P1", local_notice_minutes=30, remote_notice_minutes=48 * 60)]
    )

    assert "规则：本地客户须提前30分钟、异地客户须提前48小时报备" in text
    assert "1小时" not in text and "24小时" not in text


def test_projects_with_the_same_rules_share_one_line() -> None:
    lines = replies.rules_lines(
        [project("P1"), project("P2"), project("P3", visit_protection_days=30)]
    )

    assert lines == [
        "规则（项目 P1、P2）：本地客户须提前1小时、异地客户须提前24小时报备；"
        "报备保护期为报备次日起7天，到访确认后保护45天。",
        "规则（项目 P3）：本地客户须提前1小时、异地客户须提前24小时报备；"
        "报备保护期为报备次日起7天，到访确认后保护30天。",
    ]


def test_a_notice_switched_off_is_said_so_rather_than_zero_hours() -> None:
    text = replies.help_text(projects=[project("P1", local_notice_minutes=0)])

    assert "本地客户无须提前" in text and "0小时" not in text


def test_without_any_project_the_help_promises_no_rule() -> None:
    assert "规则" not in replies.help_text()
