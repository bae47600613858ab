"""``flask --app bot scheduler run|run-once`` and ``flask --app bot pushes list|retry``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from models import clock, push_delivery
from models.db import make_session_factory
from models.policy import IMAGE_KINDS, NOT_MESSAGES
from models.push_entities import PushStatus
from models.services import Services
from scheduler.outbox import kinds_without_template, warn_kinds_without_template
from scheduler.runner import run_forever, run_once

scheduler = AppGroup("scheduler", help="The scheduler process (never inside web workers).")
pushes = AppGroup("pushes", help="The outbox: pushes not (yet) delivered, and retrying one.")


def _services() -> Services:
    return current_app.extensions["baobei"]["services"]


@scheduler.command("run")
def run() -> None:
    """Run as the scheduler process; waits as standby while another one leads."""
    services = _services()
    if not services.settings.scheduler.enabled:
        click.echo("scheduler.enabled is false: nothing to run", err=True)
        return
    run_forever(services)


@scheduler.command("run-once")
def once() -> None:
    """Run every job once now, drain the outbox, and exit (cron, tests)."""
    services = _services()
    warn_kinds_without_template(services.settings)
    for name, result in run_once(services).items():
        click.echo(f"{name}: {result}", err=True)


@pushes.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([status.value for status in PushStatus]),
    help="only these (repeatable); default: pending, sending, failed, undeliverable and withheld",
)
def pushes_list(statuses: tuple[str, ...]) -> None:
    """One push a line: id, status, kind, recipient, channel, tries, next try, last error.

    The channel is ``text`` for a kind without a template: WeChat delivers such a push only
    within 48 hours of the agent's last message.
    """
    services = _services()
    texts = set(kinds_without_template(services.settings))
    tags = {kind.value for kind in NOT_MESSAGES}
    images = {kind.value for kind in IMAGE_KINDS}
    with make_session_factory(services.engine)() as session:
        rows = push_delivery.listing(session, statuses or push_delivery.OPEN_STATUSES)
    for row in rows:
        channel = (
            "tag" if row.kind in tags else "image" if row.kind in images
            else "text" if row.kind in texts else "template"
        )  # fmt: skip
        error = " ".join(str(part) for part in (row.last_errcode, row.last_error) if part)
        due = row.next_attempt_at.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{row.id}\t{row.status}\t{row.kind}\t{row.openid}\t{channel}\t"
            f"{row.attempts}\t{due}\t{error}".rstrip()
        )
    click.echo(f"{len(rows)} pushes", err=True)


@pushes.command("retry")
@click.argument("push_id", type=int)
def pushes_retry(push_id: int) -> None:
    """Queue a failed or undeliverable push again, due now; prints its id."""
    services = _services()
    with make_session_factory(services.engine).begin() as session:
        queued = push_delivery.retry(session, push_id, clock.now(services.tz))
    if not queued:
        click.echo(f"error: push {push_id} is not failed or undeliverable", err=True)
        sys.exit(2)
    click.echo(push_id)
