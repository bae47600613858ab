"""``flask --app bot ...``: the operator's commands.

A command that creates something prints it alone on the last line of stdout (an invite
code, a number), so scripts can take it with ``tail -n1``; everything else is logged to
stderr.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from bot.menu import LATE_NOTICE, MenuError, load_menus, menu_path, push_menus
from bot.wechat import DeliveryError, shared_api
from handlers.router import MENU_KEYS
from models import accounts, audit, clock, known, migrate, queries, staff_views
from models.db import make_session_factory
from models.entities import Project
from models.policy import Policy, PolicyError
from models.services import Services
from scheduler import jobs


def _services() -> Services:
    return current_app.extensions["baobei"]["services"]


def _session():  # type: ignore[no-untyped-def]
    return make_session_factory(_services().engine).begin()


def _now():  # type: ignore[no-untyped-def]
    return clock.now(_services().tz)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _pairs(values: tuple[str, ...]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            _fail(f"--set takes key=value, got {item!r}")
        parsed[key.strip()] = value.strip()
    return parsed


db = AppGroup("db", help="Database schema.")


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations (idempotent)."""
    migrate.upgrade(_services().settings.database.url, revision)
    click.echo("database is up to date", err=True)


project = AppGroup("project", help="Projects and their policy values.")


@project.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--set", "values", multiple=True, help="policy key=value: local_notice_minutes=30")
def project_add(code: str, name: str, values: tuple[str, ...]) -> None:
    try:
        with _session() as session:
            created = accounts.add_project(
                session, code, name, _pairs(values), _services().settings.policy.as_dict(), _now()
            )
            code = created.code
    except (accounts.AccountError, PolicyError) as error:
        _fail(str(error))
    click.echo(code)


@project.command("set")
@click.argument("code")
@click.option("--set", "values", multiple=True, required=True)
def project_set(code: str, values: tuple[str, ...]) -> None:
    try:
        with _session() as session:
            accounts.set_project_policy(session, code, _pairs(values), _now())
    except (accounts.AccountError, PolicyError) as error:
        _fail(str(error))
    click.echo(f"policy of {code.upper()} updated", err=True)


@project.command("list")
def project_list() -> None:
    with _session() as session:
        for row in session.scalars(select(Project).order_by(Project.code)):
            click.echo(f"{row.code}\t{row.name}\t{Policy.from_stored(row.policy).as_dict()}")


distributor = AppGroup("distributor", help="Distributor companies.")


@distributor.command("add")
@click.argument("name")
def distributor_add(name: str) -> None:
    """Register a company; prints an agent invite code on the last line."""
    try:
        with _session() as session:
            days = _services().settings.accounts.invite_expiry_days
            _, code = accounts.add_distributor(session, name, _now(), days)
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(code)


def _status_command(status: str) -> click.Command:
    @click.argument("name")
    @click.option("--reason", default="", help="why; kept in the decision log")
    @with_appcontext
    def command(name: str, reason: str) -> None:
        try:
            with _session() as session:
                accounts.set_distributor_status(session, name, status, reason, _now())
        except accounts.AccountError as error:
            _fail(str(error))
        click.echo(f"{name}: {status}", err=True)

    return click.command(
        name={"active": "activate", "suspended": "suspend", "blacklisted": "blacklist"}[status],
        help=f"Mark the distributor {status}.",
    )(command)


for _status in accounts.DISTRIBUTOR_STATUSES:
    distributor.add_command(_status_command(_status))


staff = AppGroup("staff", help="Case-site staff.")  # commands: bot/cli_people.py


audit_group = AppGroup("audit", help="The decision log's hash chain.")


@audit_group.command("seal")
def audit_seal() -> None:
    count = jobs.seal_decisions(_services(), _now())
    click.echo(f"sealed {count} entries", err=True)


@audit_group.command("verify")
def audit_verify() -> None:
    """Exit 1 and name the first broken entry if the chain does not hold."""
    with make_session_factory(_services().engine)() as session:
        result = audit.verify(session)
    if result.broken_id is not None:
        click.echo(
            f"BROKEN at decision {result.broken_id}: {result.why} "
            f"({result.checked} entries good before it)"
        )
        sys.exit(1)
    click.echo(f"chain intact: {result.checked} sealed entries, {result.pending} pending")


client_group = AppGroup("client", help="Clients the case site already knows (R3).")


@client_group.command("add-known")
@click.argument("project_code")
@click.argument("name")
@click.argument("phone")
@click.option("--source", type=click.Choice(known.SOURCES), required=True)
def client_add_known(project_code: str, name: str, phone: str, source: str) -> None:
    """Record a client the case site knows; later filings of them are refused."""
    try:
        with _session() as session:
            client = known.add_known_client(session, project_code, name, phone, source, _now())
            number = client.id
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(number)


visits = AppGroup("visits", help="Reported and expected visits.")


@visits.command("today")
@click.argument("project_code")
def visits_today(project_code: str) -> None:
    """The day's expected visits of a project (filings and 带看 reports), by time."""
    tz = _services().tz
    with make_session_factory(_services().engine)() as session:
        found = accounts.find_project(session, project_code)
        rows = queries.expected_visits(session, found.id, _now().date(), tz)
    for row in rows:
        click.echo(
            f"{row.expected_arrival_at.astimezone(tz):%H:%M}\t#{row.id}\t"
            f"{row.client_name}\t{row.phone_mask}\t{'异地' if row.remote else '本地'}"
        )
    click.echo(f"{len(rows)} expected today", err=True)


menu = AppGroup("menu", help="The Official Account's menus (agents' and staff's).")


@menu.command("push")
def menu_push() -> None:
    """Create the default menu and replace the staff's personalised menu (``menu.file``);
    tag every bound staff member. Prints the staff menu's id on the last line."""
    settings = _services().settings
    path = menu_path(settings.menu.file)
    try:
        menus = load_menus(path, set(MENU_KEYS))
        report = push_menus(
            shared_api(settings),
            menus,
            settings.menu.staff_tag,
            staff_views.staff_openids(_services().engine),
        )
    except MenuError as error:
        _fail(str(error))
    except DeliveryError as error:
        _fail(f"WeChat refused the menu push: {error}")
    click.echo(f"default menu (agents) created from {path}", err=True)
    click.echo(
        f"staff menu {report.staff_menuid} for tag {settings.menu.staff_tag} "
        f"(id {report.tag_id}): {report.replaced} old staff menu(s) deleted, "
        f"{report.tagged} staff tagged",
        err=True,
    )
    click.echo(LATE_NOTICE, err=True)
    click.echo(report.staff_menuid)


def init_app(app: Flask) -> None:
    from bot.cli_imports import import_group
    from bot.cli_people import agent, invite
    from bot.cli_reports import report
    from bot.simulate import simulate
    from scheduler.cli import pushes, scheduler

    groups = [db, project, distributor, staff, agent, invite, client_group, import_group]
    groups += [audit_group, visits, menu, scheduler]
    for group in groups:
        app.cli.add_command(group)
    app.cli.add_command(pushes)
    app.cli.add_command(simulate)
    app.cli.add_command(report)
