"""A report as rows: what the XLSX and CSV writers share, so both formats say the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

Cell = str | int | Decimal | date | datetime | None


@dataclass(frozen=True)
class Sheet:
    """One table. ``key`` names its CSV file beside the first sheet's (ASCII); ``title`` is
    the XLSX sheet's name (at most 31 characters, Excel's limit)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Report:
    """One report: its first sheet is the report itself, the others what it lists apart
    (the commission's excluded deals and mismatches)."""

    sheets: tuple[Sheet, ...]

    @property
    def first(self) -> Sheet:
        return self.sheets[0]
