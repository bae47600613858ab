"""XLSX (openpyxl) and CSV writers of a ``Report``, chosen by the file's suffix.

- CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text as such; a report of
  several sheets writes one file per sheet, the first at the path given and each other
  beside it as ``<stem>-<key>.csv``.
- Times are written in the project's time zone as the caller gave them (Excel has no time
  zones); money as yuan with two decimals.
- A text that starts with ``=``, ``+``, ``-`` or ``@`` (a client name typed by an agent)
  is written with a leading ``'``, so a spreadsheet shows it and never runs it as a
  formula (CSV injection).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from models.reports.tables import Cell, Report, Sheet

FORMULA_STARTS = ("=", "+", "-", "@")
MONEY_FORMAT = "#,##0.00"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
SUFFIXES = (".xlsx", ".csv")


class ReportFormatError(ValueError):
    """The file's suffix names no format this service writes."""


def write(report: Report, path: Path) -> list[Path]:
    """Write ``report`` as ``path``'s suffix says; the files written."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(report, path)
        return [path]
    if suffix == ".csv":
        return write_csv(report, path)
    raise ReportFormatError(f"{path}: write .xlsx or .csv")


def _text(value: str) -> str:
    """A lone ``-`` (no rate to show) is no formula; anything longer that starts like one
    is quoted."""
    return f"'{value}" if len(value) > 1 and value.startswith(FORMULA_STARTS) else value


def plain(cell: Cell) -> str:
    """A cell as CSV (and printed) text."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return f"{cell:%Y-%m-%d %H:%M}"
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    if isinstance(cell, str):
        return _text(cell)
    return str(cell)


def csv_paths(report: Report, path: Path) -> list[Path]:
    """Where each sheet's CSV goes: the first at ``path``, the others beside it."""
    others = [path.with_name(f"{path.stem}-{sheet.key}.csv") for sheet in report.sheets[1:]]
    return [path, *others]


def write_csv(report: Report, path: Path) -> list[Path]:
    paths = csv_paths(report, path)
    for sheet, target in zip(report.sheets, paths, strict=True):
        with target.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(sheet.headers)
            writer.writerows([plain(cell) for cell in row] for row in sheet.rows)
    return paths


def write_xlsx(report: Report, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for sheet in report.sheets:
        _fill(book.create_sheet(sheet.title[:31]), sheet)
    book.save(path)


def _fill(worksheet, sheet: Sheet) -> None:  # type: ignore[no-untyped-def]
    """Headers in bold, typed cells, columns wide enough for their longest value."""
    worksheet.append(list(sheet.headers))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        worksheet.append([_xlsx_value(cell) for cell in row])
    for row in worksheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = TIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
    worksheet.freeze_panes = "A2"
    for index, header in enumerate(sheet.headers, start=1):
        longest = max([len(plain(r[index - 1])) for r in sheet.rows] + [len(header)])
        worksheet.column_dimensions[get_column_letter(index)].width = min(2 * longest + 2, 60)


def _xlsx_value(cell: Cell) -> Cell:
    """openpyxl stores a str starting with ``=`` as a formula and refuses aware times; a
    protection's end (23:59:59.999999) is cut to the second, which Excel would round up to
    the next day."""
    if isinstance(cell, str):
        return _text(cell)
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None, microsecond=0)
    return cell
