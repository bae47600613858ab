"""The message grammar, one row per way an agent or staff member writes a command.

``now`` is fixed at 2026-11-22 14:00 Asia/Shanghai, so 今天 is 11-22 and 明天 11-23.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.commands import (
    Bind,
    Cancel,
    FileClients,
    Help,
    ParseError,
    ParseProblem,
    Query,
    RegisterArrival,
    ReportVisit,
)
from handlers.grammar import SYNONYMS, VERBS, parse
from models.requests import ClientEntry, FilingRef

pytestmark = pytest.mark.unit

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=TZ)
P = ParseProblem
MASK = "138****5678"
ARABIC_INDIC_DIGITS = "\u0661\u0663\u0668\u0661\u0662\u0663\u0664"  # NFKC keeps them


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def client(
    when: datetime,
    name: str = "张三",
    phone: str = MASK,
    remote: bool = False,
    note: str | None = None,
    bulk: bool = False,
) -> ClientEntry:
    return ClientEntry(name, phone, remote, when, note, bulk)


def filing(*entries: ClientEntry | ParseError, project: str = "P1") -> FileClients:
    return FileClients(project, tuple(entries))


def error(problem: ParseProblem, verb: str | None = None, detail: str | None = None):
    return ParseError(problem, verb=verb, detail=detail)


def check(text: str, expected: object, now: datetime = NOW) -> None:
    result = parse(text, now)
    assert result == expected
    if isinstance(expected, FileClients):  # equality ignores nothing, but be explicit
        for entry in result.entries:  # type: ignore[union-attr]
            if isinstance(entry, ClientEntry):
                assert entry.arrival.tzinfo is now.tzinfo


FILINGS = [
    pytest.param(
        "报备 P1 张三 13812345678 本地 明天 15:00",
        filing(client(at(11, 23, 15))),
        id="single line with full phone",
    ),
    pytest.param(
        "报备　P1，张三，１３８１２３４５６７８，本地，明天１５：００",
        filing(client(at(11, 23, 15))),
        id="full-width punctuation digits and ideographic space",
    ),
    pytest.param(
        "  报备   P1 ,  张三、138****5678；本地;  明天 15:00  ",
        filing(client(at(11, 23, 15))),
        id="extra spaces and mixed separators",
    ),
    pytest.param(
        "报备 P1 张三 １３８＊＊＊＊５６７８ 异地 明天 15:00",
        filing(client(at(11, 23, 15), remote=True)),
        id="full-width mask",
    ),
    pytest.param(
        "报备 P1 张三 138 1234 5678 外地 11-24 15:00",
        filing(client(at(11, 24, 15), remote=True)),
        id="phone with spaces and 外地 as 异地",
    ),
    pytest.param(
        "报备 P1 张三 138-1234-5678 本地 2026-11-22 15:00 带父母来 大宗",
        filing(client(at(11, 22, 15), note="带父母来", bulk=True)),
        id="dashed phone note and bulk",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 大宗 明天 10:00",
        filing(client(at(11, 23, 10), bulk=True)),
        id="bulk before the time",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 明天下午3点 老客户推荐 电话13912345678",
        filing(client(at(11, 23, 15), note="老客户推荐 电话139****5678")),
        id="phone in note is masked",
    ),
    pytest.param(
        "报备 翡翠湾 李四 138****5678 本地 11月23日 下午 3点半",
        filing(client(at(11, 23, 15, 30), name="李四"), project="翡翠湾"),
        id="three-token time",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FILINGS)
def test_parses_single_line_filings(text: str, expected: object) -> None:
    check(text, expected)


def test_parses_filing_with_full_width_punctuation() -> None:
    check(
        "报备　P1，张三，１３８１２３４５６７８，本地，明天１５：００",
        filing(client(at(11, 23, 15))),
    )


FILING_ERRORS = [
    pytest.param("报备", error(P.MISSING_FIELDS, "报备"), id="verb only"),
    pytest.param("报备 P1", error(P.MISSING_FIELDS, "报备"), id="project only"),
    pytest.param("报备 P1 张三 138****5678", error(P.MISSING_FIELDS, "报备"), id="no type"),
    pytest.param("报备 P1 张三 138****5678 本地", error(P.MISSING_FIELDS, "报备"), id="no time"),
    pytest.param(
        "报备 P1 张三 138 1234 5678 本地", error(P.MISSING_FIELDS, "报备"), id="no time spaced"
    ),
    pytest.param(
        "报备 P1 张三 1381234567 本地 明天 15:00", error(P.BAD_PHONE, "报备"), id="10 digits"
    ),
    pytest.param(
        "报备 P1 张三 138123456789 本地 明天 15:00", error(P.BAD_PHONE, "报备"), id="12 digits"
    ),
    pytest.param(
        "报备 P1 张三 23812345678 本地 明天 15:00", error(P.BAD_PHONE, "报备"), id="wrong prefix"
    ),
    pytest.param(
        "报备 P1 张三 138***5678 本地 明天 15:00", error(P.BAD_PHONE, "报备"), id="three stars"
    ),
    pytest.param(
        "报备 P1 张三 138xxxx5678 本地 明天 15:00", error(P.BAD_PHONE, "报备"), id="x as mask"
    ),
    pytest.param(
        "报备 P1 13812345678 138****5678 本地 明天 15:00",
        error(P.BAD_NAME, "报备"),
        id="phone as name has no detail",
    ),
    pytest.param(
        "报备 P1 张3 138****5678 本地 明天 15:00",
        error(P.BAD_NAME, "报备", "张3"),
        id="digit in name",
    ),
    pytest.param(
        "报备 P1 本地 138****5678 本地 明天 15:00",
        error(P.BAD_NAME, "报备", "本地"),
        id="type as name",
    ),
    pytest.param(
        "报备 P1 " + "张" * 21 + " 138****5678 本地 明天 15:00",
        error(P.BAD_NAME, "报备", "张" * 10),
        id="name too long",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 外省 明天 15:00",
        error(P.BAD_TYPE, "报备", "外省"),
        id="bad type",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 2月30日 10点",
        error(P.BAD_TIME, "报备", "2月30日 10点"),
        id="30 February",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 25:00",
        error(P.BAD_TIME, "报备", "25:00"),
        id="hour 25",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 明天 10:61",
        error(P.BAD_TIME, "报备", "明天 10:61"),
        id="minute 61",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 15:00:00",
        error(P.BAD_TIME, "报备"),
        id="seconds refused and digits not echoed",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 下周 见",
        error(P.BAD_TIME, "报备", "下周 见"),
        id="no time at all",
    ),
    pytest.param(
        "报备 P1 张三 138****5678 本地 2027-02-29 10:00",
        error(P.BAD_TIME, "报备", "2027-02-29 10:00"),
        id="29 February 2027",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FILING_ERRORS)
def test_refuses_bad_single_line_filings(text: str, expected: ParseError) -> None:
    check(text, expected)


TIMES = [
    ("2026-11-22 15:00", at(11, 22, 15)),
    ("2026/11/25 09:05", at(11, 25, 9, 5)),
    ("11-22 15:00", at(11, 22, 15)),
    ("11/23 8:30", at(11, 23, 8, 30)),
    ("11月22日 15点", at(11, 22, 15)),
    ("11月22日 3点20分", at(11, 22, 3, 20)),
    ("11月22日 15:30", at(11, 22, 15, 30)),
    ("11月22日3点半", at(11, 22, 3, 30)),
    ("11月22号 16点", at(11, 22, 16)),
    ("今天 16:00", at(11, 22, 16)),
    ("明天 10:00", at(11, 23, 10)),
    ("后天 9:00", at(11, 24, 9)),
    ("明天10点", at(11, 23, 10)),
    ("明天 10点半", at(11, 23, 10, 30)),
    ("后天 10点15分", at(11, 24, 10, 15)),
    ("15:00", at(11, 22, 15)),
    ("16点", at(11, 22, 16)),
    ("下午3点", at(11, 22, 15)),
    ("下午3:30", at(11, 22, 15, 30)),
    ("晚上7点半", at(11, 22, 19, 30)),
    ("上午10点", at(11, 22, 10)),
    ("中午12点", at(11, 22, 12)),
    ("中午1点", at(11, 22, 13)),
    ("早上8点", at(11, 22, 8)),
    ("下午12点", at(11, 22, 12)),
    ("明天下午3点", at(11, 23, 15)),
    ("明天 下午3点", at(11, 23, 15)),
    ("明天 下午 3点", at(11, 23, 15)),
    ("11月22日下午3点", at(11, 22, 15)),
    ("11-23 下午3点", at(11, 23, 15)),
    ("2028-02-29 10:00", at(2, 29, 10, year=2028)),
    ("2028年2月29日 10点", at(2, 29, 10, year=2028)),
    ("10-01 10:00", at(10, 1, 10)),  # 52 days ago: still this year
    ("09-23 10:00", at(9, 23, 10)),  # exactly 60 days ago: still this year
    ("09-22 10:00", at(9, 22, 10, year=2027)),  # 61 days ago: next year
    ("09-20 10:00", at(9, 20, 10, year=2027)),  # 63 days ago: next year
    ("1月5日 9点", at(1, 5, 9, year=2027)),
]


@pytest.mark.parametrize(("written", "expected"), TIMES)
def test_reads_every_time_format(written: str, expected: datetime) -> None:
    check(f"报备 P1 张三 138****5678 本地 {written}", filing(client(expected)))


@pytest.mark.parametrize(
    "written",
    ["2月30日 10点", "2027年2月29日 10点", "25:00", "10:61", "明天 24:00", "13/01 10:00", "下午"],
)
def test_refuses_impossible_times(written: str) -> None:
    result = parse(f"带看 #12 {written}", NOW)
    assert isinstance(result, ParseError)
    assert (result.problem, result.verb) == (P.BAD_TIME, "带看")


def test_reads_a_yearless_date_after_new_year_as_next_january() -> None:
    now = datetime(2026, 12, 30, 9, 0, tzinfo=TZ)
    check("报备 P1 张三 138****5678 本地 01-02 10:00", filing(client(at(1, 2, 10, year=2027))), now)


def test_reads_29_february_without_year_only_when_it_falls_in_a_leap_year() -> None:
    text = "报备 P1 张三 138****5678 异地 2月29日 10点"
    in_2028 = datetime(2027, 11, 22, 14, 0, tzinfo=TZ)  # February ahead is 2028's
    check(text, filing(client(at(2, 29, 10, year=2028), remote=True)), in_2028)
    check(text, error(P.BAD_TIME, "报备", "2月29日 10点"))  # February ahead is 2027's


def test_returns_times_in_the_time_zone_of_now() -> None:
    utc_now = datetime(2026, 11, 22, 6, 0, tzinfo=ZoneInfo("UTC"))
    result = parse("带看 #1 明天 10:00", utc_now)
    assert result == ReportVisit(
        FilingRef(number=1), datetime(2026, 11, 23, 10, 0, tzinfo=utc_now.tzinfo)
    )


LABELLED = (
    "报备\n项目：P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00\n"
    "备注：带父母\n大宗：是"
)


def test_parses_the_labelled_multi_line_form() -> None:
    check(LABELLED, filing(client(at(11, 23, 15), note="带父母", bulk=True)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "报备 P2\n姓名:李四\n手机号: 138 1234 5678\n类型:异地\n到访:11月24日 下午3点",
            filing(client(at(11, 24, 15), name="李四", remote=True), project="P2"),
            id="project on first line and alternative labels",
        ),
        pytest.param(
            "报备\n项目：P1\n客户：张三\n手机：13812345678\n类型：本地\n到访：明天 15:00\n大宗：否",
            filing(client(at(11, 23, 15))),
            id="full phone and bulk no",
        ),
        pytest.param(
            "报备 P1\n客户：张三\n电话：138****5678\n类型：本地",
            error(P.MISSING_FIELDS, "报备", "到访"),
            id="missing arrival label",
        ),
        pytest.param(
            "报备\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00",
            error(P.MISSING_FIELDS, "报备"),
            id="missing project",
        ),
        pytest.param(
            "报备 P1\n客户：张三\n电话：1381234567\n类型：本地\n到访：明天 15:00",
            error(P.BAD_PHONE, "报备"),
            id="bad phone",
        ),
        pytest.param(
            "报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 25:00",
            error(P.BAD_TIME, "报备", "明天 25:00"),
            id="bad time",
        ),
        pytest.param(
            "报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00\n附加：x",
            error(P.MISSING_FIELDS, "报备", "附加:x"),
            id="unlabelled line",
        ),
        pytest.param(
            "报备 P1\n客户：张三\n电话：138****5678\n类型：本地\n到访：明天 15:00\n"
            "客户：李四\n电话：139****1234\n类型：异地\n到访：后天 10:00",
            filing(
                client(at(11, 23, 15)),
                client(at(11, 24, 10), name="李四", phone="139****1234", remote=True),
            ),
            id="repeated label starts the next client",
        ),
    ],
)
def test_parses_labelled_variants(text: str, expected: object) -> None:
    check(text, expected)


def test_parses_several_clients_keeping_a_bad_line_in_place() -> None:
    text = (
        "报备 P1\n"
        "张三 13812345678 本地 明天下午3点\n"
        "\n"
        "李四 1381234567 本地 明天 10:00\n"
        "王五 139-1234-5678 外地 11月24日 晚上7点半 带孩子\n"
    )
    expected = filing(
        client(at(11, 23, 15)),
        error(P.BAD_PHONE, "报备"),
        client(at(11, 24, 19, 30), name="王五", phone="139****5678", remote=True, note="带孩子"),
    )
    check(text, expected)


def test_takes_clients_from_the_first_line_too() -> None:
    text = "报备 P1 张三 138****5678 本地 明天 15:00\n李四 139****1234 本地 明天 16:00"
    second = client(at(11, 23, 16), name="李四", phone="139****1234")
    check(text, filing(client(at(11, 23, 15)), second))


def test_returns_the_error_itself_when_the_only_client_line_fails() -> None:
    check("报备 P1\n张三 1381234567 本地 明天 15:00", error(P.BAD_PHONE, "报备"))


def test_needs_a_project_before_client_lines() -> None:
    check("报备\n张三 138****5678 本地 明天 15:00", error(P.MISSING_FIELDS, "报备"))


def test_accepts_ten_client_lines_and_refuses_eleven() -> None:
    line = "张三 138****5678 本地 明天 15:00"
    ten = parse("报备 P1\n" + "\n".join([line] * 10), NOW)
    assert isinstance(ten, FileClients) and len(ten.entries) == 10
    check("报备 P1\n" + "\n".join([line] * 11), error(P.TOO_MANY_LINES, "报备"))


OTHER_VERBS = [
    ("绑定 ab12Cdef 张三", Bind("AB12CDEF", "张三")),
    ("绑定　ＡＢ１２ＣＤＥＦ 张三", Bind("AB12CDEF", "张三")),
    ("绑定 AB12", error(P.MISSING_FIELDS, "绑定")),
    ("绑定", error(P.MISSING_FIELDS, "绑定")),
    ("绑定 AB-12 张三", error(P.BAD_NUMBER, "绑定", "AB-12")),
    ("绑定 AB12CDEF 张3", error(P.BAD_NAME, "绑定", "张3")),
    ("查询", Query()),
    ("查询 2", Query(page=2)),
    ("查询 ２", Query(page=2)),
    ("查询 138****5678", Query(phone_mask=MASK)),
    ("查询 13812345678", Query(phone_mask=MASK)),
    ("查询 138 1234 5678", Query(phone_mask=MASK)),
    ("查询 1381234567", error(P.BAD_PHONE, "查询")),
    ("查询 0", error(P.BAD_NUMBER, "查询", "0")),
    ("查询 张三", error(P.BAD_NUMBER, "查询", "张三")),
    ("取消 #12", Cancel(12)),
    ("取消 12", Cancel(12)),
    ("取消 ＃１２", Cancel(12)),
    ("取消 # 12", Cancel(12)),
    ("取消 #12 客户不来了", Cancel(12)),
    ("取消", error(P.MISSING_FIELDS, "取消")),
    ("取消 #abc", error(P.BAD_NUMBER, "取消", "#abc")),
    ("取消 #0", error(P.BAD_NUMBER, "取消", "#0")),
    ("取消 13812345678", error(P.BAD_NUMBER, "取消")),
    ("帮助", Help()),
    ("help", Help()),
    ("HELP", Help()),
    ("?", Help()),
    ("？", Help()),
    ("帮助 报备", Help(topic="报备")),
    ("帮助 改约", Help(topic="带看")),
    ("帮助 天气", Help()),
    ("带看 #12 15:00", ReportVisit(FilingRef(number=12), at(11, 22, 15))),
    ("带看 #12", ReportVisit(FilingRef(number=12))),
    ("带看 12 明天 10:00", ReportVisit(FilingRef(number=12), at(11, 23, 10))),
    ("带看 张三 15:00", ReportVisit(FilingRef(name="张三"), at(11, 22, 15))),
    ("带看 张三", ReportVisit(FilingRef(name="张三"))),
    ("带看 138****5678 明天 10:00", ReportVisit(FilingRef(phone_mask=MASK), at(11, 23, 10))),
    ("带看 13812345678", ReportVisit(FilingRef(phone_mask=MASK))),
    ("带看 138 1234 5678 下午3点", ReportVisit(FilingRef(phone_mask=MASK), at(11, 22, 15))),
    ("到访报备 #12 15:00", ReportVisit(FilingRef(number=12), at(11, 22, 15))),
    ("改约 #12 11月25日 10点", ReportVisit(FilingRef(number=12), at(11, 25, 10))),
    ("带看", error(P.MISSING_FIELDS, "带看")),
    ("带看 15:00", error(P.MISSING_FIELDS, "带看")),
    ("带看 #12 明天 25:00", error(P.BAD_TIME, "带看", "明天 25:00")),
    ("带看 #12 随后", error(P.BAD_TIME, "带看", "随后")),
    ("带看 #12 15:00 可能晚点", error(P.BAD_TIME, "带看", "可能晚点")),
    ("改约 1381234567 明天 10:00", error(P.BAD_PHONE, "带看")),
    ("带看 #x1", error(P.BAD_NUMBER, "带看", "#x1")),
    ("到访 #12 13812345678", RegisterArrival(12, "13812345678")),
    ("到访 12 138-1234-5678", RegisterArrival(12, "13812345678")),
    ("到访 ＃12 138 1234 5678", RegisterArrival(12, "13812345678")),
    ("到访 #12", error(P.MISSING_FIELDS, "到访")),
    ("到访", error(P.MISSING_FIELDS, "到访")),
    ("到访 张三 13812345678", error(P.BAD_NUMBER, "到访", "张三")),
    ("到访 #12 138****5678", error(P.BAD_PHONE, "到访")),
    ("到访 #12 1381234567", error(P.BAD_PHONE, "到访")),
    ("", error(P.EMPTY)),
    ("  \n\u3000 ", error(P.EMPTY)),
    ("你好", error(P.UNKNOWN_VERB, None, "你好")),
    ("请问这个项目在哪里可以看房呢", error(P.UNKNOWN_VERB, None, "请问这个项目在哪里可")),
    ("13812345678 张三", error(P.UNKNOWN_VERB, None, None)),
    ("１３８１２３４５６７８", error(P.UNKNOWN_VERB, None, None)),
    (ARABIC_INDIC_DIGITS, error(P.UNKNOWN_VERB, None, None)),
    ("报备P1 张三 138****5678 本地 15:00", error(P.UNKNOWN_VERB, None, "报备P1")),
]


@pytest.mark.parametrize(("text", "expected"), OTHER_VERBS)
def test_parses_the_other_verbs(text: str, expected: object) -> None:
    check(text, expected)


def test_keeps_the_full_phone_out_of_the_arrival_repr() -> None:
    assert "13812345678" not in repr(parse("到访 #12 13812345678", NOW))


def test_exports_canonical_verbs_and_synonyms_onto_them() -> None:
    assert set(VERBS) == {
        *("绑定", "报备", "带看", "查询", "取消", "帮助", "到访", "今日", "统计"),
        *("通过", "驳回", "大宗", "待审"),  # a manager's rulings (issue 17)
        *("认筹", "认购", "签约", "退定", "不计佣"),  # deals (issue 18, R9)
        *("撞单", "关联", "取消关联", "裁定"),  # conflict claims (issue 18, R10)
        *("违规", "违规记录"),  # violations (issue 18, R11)
    }
    assert set(SYNONYMS.values()) <= set(VERBS)
    assert SYNONYMS["改约"] == SYNONYMS["到访报备"] == "带看"


def test_every_usage_reads_as_written_after_the_phone_scrubber() -> None:
    """Every reply passes the scrubber (bot.answer): an example phone or ID number in a
    usage would reach staff as 138****5678, an example they cannot follow."""
    from handlers.grammar import REGISTRY
    from models.privacy import scrub

    for verb in REGISTRY:
        if verb.usage:
            assert scrub(verb.usage) == verb.usage, verb.word
