"""CSV and XLSX files as a header and numbered rows of cells, streamed.

Chinese Excel saves "CSV" in the system code page (GBK, read here as its superset
GB18030) unless "CSV UTF-8" is picked, which writes a BOM; other tools write UTF-8 without
one. So the encoding is detected from the first megabyte (a BOM, else UTF-8 if it decodes,
else GB18030), or named with ``--encoding``. XLSX is read with openpyxl's read-only mode,
which streams the sheet instead of loading it (a 100,000-row sheet, see docs/benchmarks.md).
Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from models.policy import import_wording as words

SAMPLE_BYTES = 1 << 20
CSV_SUFFIXES, XLSX_SUFFIXES = (".csv", ".txt"), (".xlsx", ".xlsm")


class FileProblem(ValueError):
    """The file cannot be read as a table: the message says why (Chinese, for the team)."""


@dataclass
class Table:
    """A file's header cells, its data rows ``(row number, cells)``, and about how many."""

    header: tuple[Any, ...]
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    estimated_rows: int | None


def detect_encoding(sample: bytes) -> str:
    """A BOM decides; else UTF-8 when the sample decodes as such; else GB18030 (GBK)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _numbered(rows: Iterator[Any]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in enumerate(rows, start=2):
        yield number, tuple(cells)


@contextmanager
def _csv_table(path: Path, encoding: str | None) -> Iterator[Table]:
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
        lines = sample.count(b"\n") + sum(
            chunk.count(b"\n") for chunk in iter(lambda: raw.read(SAMPLE_BYTES), b"")
        )
    chosen = encoding or detect_encoding(sample)
    try:
        first_line = sample.decode(chosen, errors="ignore").split("\n", 1)[0]
    except LookupError as error:
        raise FileProblem(words.UNKNOWN_ENCODING.format(encoding=chosen)) from error
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    with path.open(encoding=chosen, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = tuple(next(reader, ()))
        except UnicodeDecodeError as error:
            raise FileProblem(words.WRONG_ENCODING.format(encoding=chosen)) from error
        yield Table(header, _guarded(_numbered(reader), chosen), max(lines - 1, 0))


def _guarded(
    rows: Iterator[tuple[int, tuple[Any, ...]]], encoding: str
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """A decoding error deep in the file names the encoding, not a traceback."""
    try:
        yield from rows
    except UnicodeDecodeError as error:
        raise FileProblem(words.WRONG_ENCODING.format(encoding=encoding)) from error


@contextmanager
def _xlsx_table(path: Path, sheet: str | None) -> Iterator[Table]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise FileProblem(words.NOT_XLSX.format(why=type(error).__name__)) from error
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(words.NO_SHEET.format(sheet=sheet, sheets="、".join(book.sheetnames)))
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header = tuple(next(rows, ()))
        total = worksheet.max_row
        yield Table(header, _numbered(rows), (total - 1) if total else None)
    finally:
        book.close()


@contextmanager
def open_table(
    path: Path, encoding: str | None = None, sheet: str | None = None
) -> Iterator[Table]:
    """The file as a ``Table``, by its suffix: .csv/.txt or .xlsx/.xlsm."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        with _xlsx_table(path, sheet) as table:
            yield table
    elif suffix in CSV_SUFFIXES:
        with _csv_table(path, encoding) as table:
            yield table
    else:
        raise FileProblem(words.UNSUPPORTED.format(suffix=suffix or "-"))
