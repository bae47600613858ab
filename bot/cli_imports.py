"""``flask --app bot import …``: the channel team's spreadsheets in bulk (issue 19 item 2).

``import visits``: the sales system's 来电来访 records; ``import known``: the site's own
clients, referrals and partners' clients; both make those clients known to the site (R3).
``import deals``: the sales system's deal records (明源) for R9's commission report.

Every import is idempotent (the same file twice creates nothing; the summary says how many
rows were unchanged). Rows not taken (bad, or a client a distributor protects) are
printed to stderr as ``第12行 张三 138****5678：原因`` and, with ``--errors FILE.csv``, written
there for the channel team. The house rule for commands that create: the last stdout line
is what was created; for a bulk import it is the number of rows created, alone.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from bot.cli import _fail, _now, _services
from models.accounts import AccountError
from models.imports import known, sales
from models.imports.common import ImportReport
from models.imports.readers import FileProblem, Table, open_table
from models.policy import import_wording as words
from models.policy.import_rows import (
    KNOWN_COLUMNS,
    SALE_COLUMNS,
    VISIT_COLUMNS,
    Column,
    HeaderError,
    header_map,
    is_blank,
    read_known_row,
    read_sale_row,
)

import_group = AppGroup(
    "import", help="CSV/XLSX imports: 来电来访, the site's known clients, 明源 deals."
)

Runner = Callable[[Iterator[Any], dict[str, Any], Callable[[int], None]], ImportReport]


def _file_options(command: Callable[..., None]) -> Callable[..., None]:
    """What every import takes: the project, the file, how to read it, where bad rows go."""
    for option in reversed(
        (
            click.argument("project_code"),
            click.argument("file", type=click.Path(dir_okay=False, path_type=Path)),
            click.option(
                "--encoding", default=None, help="CSV encoding (default: detected; gbk, utf-8)"
            ),
            click.option("--sheet", default=None, help="XLSX sheet name (default: the first)"),
            click.option(
                "--errors",
                "errors_file",
                type=click.Path(dir_okay=False, writable=True, path_type=Path),
                help="also write the rows not taken to this CSV (UTF-8 with BOM, opens in Excel)",
            ),
        )
    ):
        command = option(command)
    return command


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _rows(table: Table, columns: Sequence[Column], read_row: Callable[..., Any]) -> Iterator[Any]:
    """The file's rows read one by one (pure), blank rows skipped; the header checked first."""
    if not any(cell not in (None, "") for cell in table.header):
        raise FileProblem(words.EMPTY_FILE)
    mapping = header_map(table.header, columns)
    return (read_row(cells, mapping, number) for number, cells in table.rows if not is_blank(cells))


def _run(
    file: Path,
    options: dict[str, Any],
    columns: Sequence[Column],
    read_row: Callable[..., Any],
    runner: Runner,
) -> None:
    """Read, import with a progress bar on stderr, report the rows not taken, print the count."""
    if not file.is_file():
        _fail(words.NO_FILE.format(file=file))
    facts = {"file": file.name, "sha256": _sha256(file)}
    try:
        with open_table(file, options["encoding"], options["sheet"]) as table:
            rows = _rows(table, columns, read_row)
            with click.progressbar(
                length=table.estimated_rows or 0,
                label=words.PROGRESS_LABEL.format(file=file.name),
                file=sys.stderr,
            ) as bar:
                report = runner(rows, facts, bar.update)
    except (FileProblem, HeaderError, AccountError) as error:
        _fail(str(error))
    _report(report, options["errors_file"])
    click.echo(report.created)


def _report(report: ImportReport, errors_file: Path | None) -> None:
    problems = sorted(report.problems, key=lambda problem: problem.row)
    for problem in problems:
        click.echo(
            words.ROW_LINE.format(row=problem.row, client=problem.client, why=problem.why), err=True
        )
    if errors_file is not None:
        with errors_file.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(words.ERRORS_HEADER)
            writer.writerows((problem.row, problem.client, problem.why) for problem in problems)
    click.echo(words.SUMMARY.format(**report.counts()), err=True)


@import_group.command("visits")
@_file_options
def import_visits(project_code: str, file: Path, **options: Any) -> None:
    """The sales system's 来电来访 records: 客户姓名, 手机号, [首次来访时间], [来源]."""
    engine, now = _services().engine, _now()
    _run(
        file,
        options,
        VISIT_COLUMNS,
        read_known_row,
        lambda rows, facts, progress: known.import_known(
            engine, project_code, rows, known.VISIT_SOURCE, now, facts, progress
        ),
    )


@import_group.command("known")
@_file_options
@click.option(
    "--source",
    type=click.Choice(known.LIST_SOURCES),
    required=True,
    help="own (自拓), referral (老带新) or partner (其他合作伙伴)",
)
def import_known(project_code: str, file: Path, source: str, **options: Any) -> None:
    """The site's own clients, referrals or partners' clients: 客户姓名, 手机号, [备注]."""
    engine, now = _services().engine, _now()
    _run(
        file,
        options,
        KNOWN_COLUMNS,
        read_known_row,
        lambda rows, facts, progress: known.import_known(
            engine, project_code, rows, source, now, facts, progress
        ),
    )


@import_group.command("deals")
@_file_options
def import_deals(project_code: str, file: Path, **options: Any) -> None:
    """明源 deal records: 记录编号, 买受人, 手机号, [来源渠道, 认购日期, 签约日期, 网签日期,
    成交总价, 房号]; keyed by 记录编号 (a re-import updates)."""
    engine, now = _services().engine, _now()
    _run(
        file,
        options,
        SALE_COLUMNS,
        read_sale_row,
        lambda rows, facts, progress: sales.import_sales(
            engine, project_code, rows, now, facts, progress
        ),
    )
