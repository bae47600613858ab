"""The funnel as a picture: per distributor, three bars (filings, valid arrivals, deals).

Drawn with matplotlib's Agg canvas (no display, no pyplot state shared between threads),
``WIDTH_PX`` x ``HEIGHT_PX`` pixels, the distributors with most filings on top.

Chinese labels need a font with Chinese glyphs, and a fresh machine may have none
(matplotlib ships only DejaVu, which draws them as empty boxes). The font is, in order:
``reports.font_path`` (a file; checked at start-up), else the first font fontconfig lists
for Chinese (``fc-list :lang=zh``, e.g. Debian's fonts-wqy-microhei or fonts-noto-cjk),
else none: the chart is then drawn in English with the distributors numbered D1, D2 ...
in the report's order, and a warning names the setting. Never boxes, never a failure.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from models.policy import report_wording as words
from models.policy.funnel import Funnel, FunnelRow, top_with_rest

logger = logging.getLogger(__name__)

WIDTH_PX, HEIGHT_PX, DPI = 1200, 800, 100
COLOURS = ("#4C72B0", "#55A868", "#C44E52")  # filings, valid arrivals, deals
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def chinese_font(configured: str) -> str | None:
    """The font file for Chinese labels (see the module docstring), or None."""
    if configured:
        return str(Path(configured).expanduser())
    found = _fontconfig_chinese()
    if found is None:
        logger.warning(
            "no Chinese font found (fc-list :lang=zh is empty): charts are drawn in English; "
            "set reports.font_path or install one (Debian: fonts-wqy-microhei)"
        )
    return found


@functools.cache
def _fontconfig_chinese() -> str | None:
    """The first Chinese font file fontconfig knows, asked once per process."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(
        line.split(":")[0].strip()
        for line in listed.splitlines()
        if line.split(":")[0].strip().lower().endswith(FONT_SUFFIXES)
    )
    return files[0] if files else None


def render_png(funnel: Funnel, font_path: str | None, max_bars: int) -> bytes:
    """The chart as PNG bytes (matplotlib is imported here: commands that draw nothing
    do not pay for it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    chinese = font_path is not None
    font = FontProperties(fname=font_path) if font_path else FontProperties()
    rows = top_with_rest(funnel.rows, max_bars, words.rest_of(len(funnel.rows) - max_bars + 1))
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(
        words.chart_title(
            funnel.project if chinese else funnel.code, funnel.first, funnel.last, chinese
        ),
        fontproperties=font, fontsize=16,
    )  # fmt: skip
    if rows:
        _bars(axes, rows, font, chinese)
    else:
        axes.text(0.5, 0.5, words.chart_empty(chinese), ha="center", va="center",
                  fontproperties=font, fontsize=14, transform=axes.transAxes)  # fmt: skip
        axes.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _bars(axes, rows: Sequence[FunnelRow], font, chinese: bool) -> None:  # type: ignore[no-untyped-def]
    """Three horizontal bars per distributor, the first distributor on top, each bar
    labelled with its count."""
    height = 0.8 / 3
    positions = range(len(rows))
    steps = words.chart_steps(chinese)
    for step, (label, colour) in enumerate(zip(steps, COLOURS, strict=True)):
        values = [(r.filings, r.valid_arrivals, r.deals)[step] for r in rows]
        offsets = [p + (step - 1) * height for p in positions]
        bars = axes.barh(offsets, values, height=height, color=colour, label=label)
        axes.bar_label(bars, padding=3, fontsize=9)
    names = [r.company if chinese else words.numbered(i) for i, r in enumerate(rows, start=1)]
    axes.set_yticks(list(positions), names, fontproperties=font)
    axes.invert_yaxis()
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(prop=font, loc="lower right")
    axes.spines[["top", "right"]].set_visible(False)
