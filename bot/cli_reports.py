"""``flask --app bot report ...``: the channel team's reports, as XLSX, CSV and PNG.

Each command reads one report (``models.reports``) and writes it to every ``--out`` file,
the format by the suffix (``.xlsx``, ``.csv``: UTF-8 with BOM, one file per sheet), and
prints each file written on its own line of stdout. Without ``--out`` the first sheet is
printed as tab-separated lines. Days are the service's time zone's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from models import clock
from models.accounts import AccountError, find_project
from models.db import make_session_factory
from models.policy import Policy
from models.policy.commission import Month
from models.policy.funnel import this_week
from models.reports import claims as claims_report
from models.reports import commission as commission_report
from models.reports import commission_sheets
from models.reports import ending as ending_report
from models.reports import funnel as funnel_report
from models.reports.chart import chinese_font, render_png
from models.reports.tables import Report
from models.reports.writers import SUFFIXES, ReportFormatError, plain, write
from models.services import Services

report = AppGroup("report", help="Reports for the channel team: XLSX, CSV, the funnel chart.")

OUT = click.option(
    "--out", "outs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help=f"write the report here, as the suffix says ({', '.join(SUFFIXES)}); repeatable",
)  # fmt: skip
DAY = click.DateTime(["%Y-%m-%d"])


def _services() -> Services:
    return current_app.extensions["baobei"]["services"]


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _project(code: str) -> tuple[int, str]:
    """The project's id and code, or the command stops naming the code it did not find."""
    with make_session_factory(_services().engine)() as session:
        try:
            found = find_project(session, code)
        except AccountError as error:
            _fail(str(error))
        return found.id, found.code


def _emit(built: Report, outs: Sequence[Path]) -> None:
    """Write every ``--out``; without one, print the first sheet."""
    if not outs:
        sheet = built.first
        click.echo("\t".join(sheet.headers))
        for row in sheet.rows:
            click.echo("\t".join(plain(cell) for cell in row))
        return
    for path in outs:
        try:
            written = write(built, path)
        except (ReportFormatError, OSError) as error:
            _fail(str(error))
        for each in written:
            click.echo(str(each))


@report.command("funnel")
@click.argument("project_code")
@click.option("--from", "first", type=DAY, help="first day, YYYY-MM-DD (default: this Monday)")
@click.option("--to", "last", type=DAY, help="last day, included (default: today)")
@OUT
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="draw the chart")
def funnel(
    project_code: str, first: datetime | None, last: datetime | None, outs: tuple[Path, ...],
    png: Path | None,
) -> None:  # fmt: skip
    """Per distributor: filings -> valid arrivals (approved) -> deals, for the days given."""
    services = _services()
    project_id, _ = _project(project_code)
    monday, today = this_week(clock.now(services.tz), services.tz)
    days: tuple[date, date] = (
        first.date() if first else monday, last.date() if last else today
    )  # fmt: skip
    try:
        with services.engine.connect() as conn:
            found = funnel_report.funnel_of(conn, project_id, *days, services.tz)
    except ValueError as error:
        _fail(str(error))
    _emit(funnel_report.funnel_report(list(found.rows)), outs)
    if png is not None:
        settings = services.settings.reports
        image = render_png(found, chinese_font(settings.font_path), settings.chart_max_distributors)
        png.write_bytes(image)
        click.echo(str(png))


@report.command("ending")
@click.argument("project_code")
@click.option("--days", type=click.IntRange(min=0), default=7, show_default=True,
              help="protections ending today or in the next N days")  # fmt: skip
@OUT
def ending(project_code: str, days: int, outs: tuple[Path, ...]) -> None:
    """Clients whose protection ends soon: client (masked phone), agent, distributor, end."""
    services = _services()
    project_id, _ = _project(project_code)
    now = clock.now(services.tz)
    until = ending_report.last_day(now, days, services.tz)
    with services.engine.connect() as conn:
        rows = ending_report.ending_rows(conn, project_id, now, until)
    today = now.astimezone(services.tz).date()
    _emit(ending_report.ending_report(rows, today, services.tz), outs)


@report.command("commission")
@click.argument("project_code")
@click.option("--month", required=True, help="the 网签 month M, YYYY-MM (reported in M+1)")
@OUT
def commission(project_code: str, month: str, outs: tuple[Path, ...]) -> None:
    """R9: per distributor, the contracts signed (网签) in the month at their rate, fines
    deducted; the contracts not paid and why; every disagreement of the three sources."""
    services = _services()
    try:
        asked = Month.parse(month)
    except ValueError as error:
        _fail(str(error))
    with make_session_factory(services.engine).begin() as session:
        try:
            project = find_project(session, project_code)
        except AccountError as error:
            _fail(str(error))
        policy = Policy.from_stored(project.policy)
        found = commission_report.commission_of(session, project.id, asked, services.tz, policy)
        commission_report.log_commission(session, project.id, found, clock.now(services.tz))
    _emit(commission_sheets.commission_report(found, services.tz), outs)


@report.command("claims")
@click.argument("project_code")
@OUT
def claims(project_code: str, outs: tuple[Path, ...]) -> None:
    """R10: the claims (撞单) still awaiting a manager's ruling, oldest first."""
    services = _services()
    project_id, _ = _project(project_code)
    with services.engine.connect() as conn:
        built = claims_report.claims_report(conn, project_id, services.tz)
    _emit(built, outs)
