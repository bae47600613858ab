"""``flask --app bot scheduler run|run-once``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from scheduler.runner import run_forever, run_once

scheduler = AppGroup("scheduler", help="The scheduler process (never inside web workers).")


@scheduler.command("run")
def run() -> None:
    """Run as the scheduler process; waits as standby while another one leads."""
    services = current_app.extensions["baobei"]["services"]
    if not services.settings.scheduler.enabled:
        click.echo("scheduler.enabled is false: nothing to run", err=True)
        return
    run_forever(services)


@scheduler.command("run-once")
def once() -> None:
    """Run every job once now and exit (cron, tests)."""
    for name, result in run_once(current_app.extensions["baobei"]["services"]).items():
        click.echo(f"{name}: {result}", err=True)
