"""R10's verbs as staff and agents type them: 撞单, 关联, 取消关联, 裁定."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.commands import (
    FileClaim,
    LinkClients,
    ParseError,
    ParseProblem,
    RuleClaims,
    UnlinkClients,
)
from handlers.grammar import parse, usage

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
P = ParseProblem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("撞单 #12 客户是我司带看的", FileClaim(12, "客户是我司带看的")),
        ("撞单 ＃12 客户电话13812345678", FileClaim(12, "客户电话138****5678")),
        ("撞单 #12", ParseError(P.MISSING_FIELDS, "撞单")),
        ("撞单 张三 理由", ParseError(P.BAD_NUMBER, "撞单", "张三")),
        ("关联 #12 #15 配偶", LinkClients(12, 15, "配偶")),
        ("关联 12 15 共同购买", LinkClients(12, 15, "共同购买")),
        ("关联 #12 #15", ParseError(P.MISSING_FIELDS, "关联")),
        ("关联 #12 #15 朋友", ParseError(P.BAD_TYPE, "关联", "朋友")),
        ("关联 #12", ParseError(P.MISSING_FIELDS, "关联")),
        ("取消关联 #12 #15", UnlinkClients(12, 15)),
        ("取消关联 #12 #15 配偶", ParseError(P.BAD_NUMBER, "取消关联", "配偶")),
        ("裁定 #12", RuleClaims(12)),
        ("裁定 #12 改判 乙置业顾问有限公司 甲方截客已查实",
         RuleClaims(12, "乙置业顾问有限公司", "甲方截客已查实")),  # fmt: skip
        ("裁定 #12 改判 乙置业顾问有限公司", ParseError(P.MISSING_FIELDS, "裁定")),
        ("裁定 #12 维持", ParseError(P.MISSING_FIELDS, "裁定")),
    ],
)
def test_the_claim_verbs_parse(text: str, expected: object) -> None:
    assert parse(text, NOW) == expected


def test_a_claims_reason_never_keeps_a_full_phone() -> None:
    assert "13812345678" not in repr(parse("撞单 #12 客户13812345678", NOW))


def test_each_claim_verb_has_a_usage_with_an_example() -> None:
    for verb in ("撞单", "关联", "取消关联", "裁定"):
        assert (usage(verb) or "").startswith(verb)
