"""The funnel's arithmetic and its chart, as sentences (issue 19): periods of whole days,
the order of distributors, the chart's last bar summing the rest, and a chart drawn
without a Chinese font that still reads (English labels, numbered distributors)."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from models.policy import report_wording as words
from models.policy.funnel import (
    Funnel,
    FunnelRow,
    ordered,
    period_bounds,
    this_week,
    top_with_rest,
)
from models.reports.chart import HEIGHT_PX, WIDTH_PX, render_png
from models.reports.tables import Report, Sheet
from models.reports.writers import write
from tests.moments import TZ, at

pytestmark = pytest.mark.unit


def test_a_period_runs_from_the_first_days_midnight_to_the_midnight_after_the_last() -> None:
    assert period_bounds(date(2026, 11, 23), date(2026, 11, 29), TZ) == (at(11, 23), at(11, 30))


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        period_bounds(date(2026, 11, 29), date(2026, 11, 23), TZ)


def test_this_week_runs_from_monday_to_today() -> None:
    assert this_week(at(11, 25, 18, 0), TZ) == (date(2026, 11, 23), date(2026, 11, 25))
    assert this_week(at(11, 23, 0, 5), TZ) == (date(2026, 11, 23), date(2026, 11, 23))


def test_distributors_with_most_filings_come_first_then_arrivals_deals_and_name() -> None:
    rows = [FunnelRow("乙", 2, 0, 0), FunnelRow("丙", 3, 0, 0), FunnelRow("甲", 2, 1, 0)]
    assert [r.company for r in ordered(rows)] == ["丙", "甲", "乙"]


def test_thirteen_distributors_in_twelve_bars_sum_the_last_two_in_one() -> None:
    rows = [FunnelRow(f"D{i}", 20 - i, 1, 1) for i in range(13)]
    bars = top_with_rest(rows, 12, words.rest_of(2))
    assert len(bars) == 12
    assert bars[-1] == FunnelRow("其他2家", 9 + 8, 2, 2)
    assert top_with_rest(rows[:12], 12, "rest") == rows[:12]


def test_rates_say_percent_or_nothing_to_divide_by() -> None:
    assert (words.rate(1, 3), words.rate(3, 4), words.rate(0, 0)) == ("33%", "75%", "-")


def test_a_chart_without_a_chinese_font_is_drawn_in_english_at_the_same_size() -> None:
    funnel = Funnel("星河湾", "P1", date(2026, 11, 23), date(2026, 11, 29),
                    (FunnelRow("甲房产经纪有限公司", 3, 1, 1),))  # fmt: skip
    with _no_missing_glyphs():
        png = render_png(funnel, None, 12)
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    assert words.chart_title("P1", funnel.first, funnel.last, False).startswith("P1 channel")
    assert words.chart_steps(False) == ("filings", "valid arrivals", "deals")


class _no_missing_glyphs:  # noqa: N801  (read as a sentence: with no missing glyphs)
    """Fails the test if matplotlib warns of a glyph it cannot draw (an empty box)."""

    def __enter__(self) -> None:
        self._catch = warnings.catch_warnings(record=True)
        self._seen = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)
        missing = [w for w in self._seen if "missing from font" in str(w.message)]
        assert missing == [], [str(w.message) for w in missing]


def test_text_that_would_run_as_a_formula_is_written_as_text(tmp_path: Path) -> None:
    sheet = Sheet("t", "表", ("客户", "金额", "比率"),
                  (("=HYPERLINK(\"x\")", Decimal("5600.00"), "-"),))  # fmt: skip
    report = Report((sheet, Sheet("more", "另表", ("a",), (("@SUM(A1)",),))))
    write(report, tmp_path / "r.xlsx")
    paths = write(report, tmp_path / "r.csv")

    cells = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))[1]
    assert cells == ('\'=HYPERLINK("x")', 5600, "-")
    assert paths == [tmp_path / "r.csv", tmp_path / "r-more.csv"]
    with paths[1].open(encoding="utf-8-sig", newline="") as opened:
        assert list(csv.reader(opened)) == [["a"], ["'@SUM(A1)"]]
