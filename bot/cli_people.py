"""``flask --app bot distributor|invite|agent|staff ...``: the channel team's people (R12).

A thin adapter over ``models.invites``, ``models.roster`` and ``models.staff_roster``.
As in ``bot.cli``: what a command creates goes to stdout, one a line (invite codes); a
listing goes to stdout as tab-separated lines; everything else to stderr. Openids are
listed masked: the number in the first column is what ``agent``/``staff`` commands take.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.cli import _fail, _now, _services, _session, distributor, staff
from bot.wechat import DeliveryError, shared_api
from models import accounts, invites, roster, staff_roster
from models.policy.roster import mask_openid
from models.policy.roster_wording import INVITE_STATE_WORDS

invite = AppGroup("invite", help="Invite codes: revoke one.")
agent = AppGroup("agent", help="A distributor's agents: unbind, hand over open filings.")


def _when(moment: datetime | None) -> str:
    """A local minute, or ``-`` for none."""
    return f"{moment.astimezone(_services().tz):%Y-%m-%d %H:%M}" if moment else "-"


def _expiry_days() -> int:
    return _services().settings.accounts.invite_expiry_days


# ---------------------------------------------------------------- invites


@distributor.command("invite")
@click.argument("name")
@click.option("--count", default=1, show_default=True, help="how many codes (one agent each)")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write distributor, code, expiry to this CSV file (UTF-8, for Excel)",
)
def distributor_invite(name: str, count: int, csv_file: Path | None) -> None:
    """One-time invite codes for agents of this company, one a line on stdout; each
    expires after ``accounts.invite_expiry_days``."""
    try:
        with _session() as session:
            company, codes = invites.make_agent_invites(
                session, name, count, _expiry_days(), _now()
            )
            made = [(company.name, c.code, c.expires_at) for c in codes]
    except accounts.AccountError as error:
        _fail(str(error))
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(["distributor", "code", "expires_at"])
            writer.writerows((who, code, _when(until)) for who, code, until in made)
        click.echo(f"{len(made)} codes written to {csv_file}", err=True)
    for _, code, _ in made:
        click.echo(code)


@distributor.command("invites")
@click.argument("name")
def distributor_invites(name: str) -> None:
    """The company's agent codes: code, state (open/used/expired/revoked), made, expires,
    used or revoked at, and by whom."""
    with _session() as session:
        try:
            rows = invites.list_invites(session, name, _now())
        except accounts.AccountError as error:
            _fail(str(error))
    for row in rows:
        closed = row.used_at or row.revoked_at
        click.echo(
            f"{row.code}\t{row.state}\t{_when(row.created_at)}\t{_when(row.expires_at)}\t"
            f"{_when(closed)}\t{row.used_by or '-'}"
        )
    counts = {state: sum(r.state == state for r in rows) for state in INVITE_STATE_WORDS}
    click.echo(", ".join(f"{n} {state}" for state, n in counts.items()), err=True)


@invite.command("revoke")
@click.argument("code")
@click.option("--reason", default="", help="why; kept in the decision log")
def invite_revoke(code: str, reason: str) -> None:
    """An unused code (agent's or staff's) stops binding at once."""
    try:
        with _session() as session:
            revoked = invites.revoke(session, code, reason, _now()).code
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(f"{revoked} revoked", err=True)


@staff.command("invite")
@click.argument("project_code")
@click.argument("role", type=click.Choice(accounts.STAFF_ROLES))
def staff_invite(project_code: str, role: str) -> None:
    """Prints a one-time invite code for a front desk or manager of the project."""
    try:
        with _session() as session:
            code = accounts.staff_invite(session, project_code, role, _now(), _expiry_days())
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(code)


# ---------------------------------------------------------------- agents


@distributor.command("agents")
@click.argument("name")
def distributor_agents(name: str) -> None:
    """The company's agents: number, name, openid (masked), bound at, unbound at, open
    filings."""
    with _session() as session:
        try:
            rows = roster.list_agents(session, name, _now())
        except accounts.AccountError as error:
            _fail(str(error))
    for row in rows:
        click.echo(
            f"{row.id}\t{row.name}\t{mask_openid(row.openid)}\t{_when(row.bound_at)}\t"
            f"{_when(row.unbound_at)}\t{row.open_filings}"
        )
    click.echo(f"{sum(r.unbound_at is None for r in rows)} bound, {len(rows)} in all", err=True)


@agent.command("unbind")
@click.argument("ref", metavar="OPENID|ID")
@click.option("--reason", default="", help="why; kept in the decision log")
def agent_unbind(ref: str, reason: str) -> None:
    """The agent is no agent any more (told by push); their filings stay with the company."""
    try:
        with _session() as session:
            unbound = roster.unbind(session, ref, reason, _now())
            number, name = unbound.id, unbound.name
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(f"agent {number} {name} unbound; the push is queued", err=True)


@agent.command("reassign")
@click.argument("departed", metavar="FROM")
@click.argument("successor", metavar="TO")
@click.option("--reason", default="", help="why; kept in the decision log")
def agent_reassign(departed: str, successor: str, reason: str) -> None:
    """Hand FROM's open filings to TO, an agent of the same company; prints their numbers."""
    try:
        with _session() as session:
            moved = [f.id for f in roster.reassign(session, departed, successor, reason, _now())]
    except accounts.AccountError as error:
        _fail(str(error))
    click.echo(f"{len(moved)} open filings handed over", err=True)
    for number in moved:
        click.echo(f"#{number}")


# ---------------------------------------------------------------- staff


@staff.command("list")
@click.argument("project_code")
def staff_list(project_code: str) -> None:
    """The project's staff: number, name, role, openid (masked), bound at."""
    with _session() as session:
        try:
            rows = staff_roster.list_staff(session, project_code)
        except accounts.AccountError as error:
            _fail(str(error))
    for row in rows:
        click.echo(
            f"{row.id}\t{row.name}\t{row.role}\t{mask_openid(row.openid)}\t{_when(row.bound_at)}"
        )
    click.echo(f"{len(rows)} staff", err=True)


@staff.command("remove")
@click.argument("ref", metavar="OPENID|ID")
@click.option("--project", "project_code", default=None, help="only this project's post")
@click.option("--reason", default="", help="why; kept in the decision log")
def staff_remove(ref: str, project_code: str | None, reason: str) -> None:
    """Remove the post(s); with none left, take the staff menu's tag off in WeChat."""
    try:
        with _session() as session:
            removed = staff_roster.remove(session, ref, project_code, reason, _now())
    except accounts.AccountError as error:
        _fail(str(error))
    posts = ", ".join(f"{code} {role}" for code, role in removed.posts)
    click.echo(f"{removed.name}: post removed ({posts}); commands refused from now", err=True)
    if removed.posts_left:
        click.echo(f"{removed.posts_left} other post(s) left: the staff menu stays", err=True)
        return
    settings = _services().settings
    try:
        api = shared_api(settings)
        api.untag_users(api.ensure_tag(settings.menu.staff_tag), [removed.openid])
    except DeliveryError as error:
        _fail(f"the post is removed, but WeChat refused to take the staff menu off: {error}")
    click.echo(f"staff menu tag {settings.menu.staff_tag} taken off", err=True)
