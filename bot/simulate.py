"""``flask --app bot simulate``: talk to the service as an agent or staff, no WeChat needed.

Every message is built, signed and (in safe mode) encrypted exactly as WeChat does by
``bot.simulator``, posted to the webhook (in-process, or ``--url`` of a running server),
and the decrypted reply is printed. ``--demo`` creates a demo project and distributor and
binds the two demo users, so a newcomer can file a client at once. With ``--fake-url`` the
pushes the service sent through the local fake WeChat API are shown after each message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from bot.simulator import WeChatSimulator, flask_transport, http_transport
from models import accounts, clock
from models.db import make_session_factory
from models.entities import Distributor, Project

DEMO_AGENT = "o_demo_agent"
DEMO_STAFF = "o_demo_staff"
DEMO_PROJECT = ("DEMO", "演示楼盘")
DEMO_DISTRIBUTOR = "演示房产经纪有限公司"


def _demo_codes() -> tuple[str, str]:
    """Make sure the demo project and distributor exist; fresh invite codes for both."""
    services = current_app.extensions["baobei"]["services"]
    now = clock.now(services.tz)
    with make_session_factory(services.engine).begin() as session:
        if session.scalar(select(Project).where(Project.code == DEMO_PROJECT[0])) is None:
            defaults = services.settings.policy.as_dict()
            accounts.add_project(session, *DEMO_PROJECT, {}, defaults, now)
        if session.scalar(select(Distributor).where(Distributor.name == DEMO_DISTRIBUTOR)) is None:
            accounts.add_distributor(session, DEMO_DISTRIBUTOR, now)
        agent_code = accounts.agent_invite(session, DEMO_DISTRIBUTOR, now)
        staff_code = accounts.staff_invite(session, DEMO_PROJECT[0], "manager", now)
    return agent_code, staff_code


def _show_pushes(fake_url: str, seen: int) -> int:
    try:
        sent = requests.get(f"{fake_url}/_fake/sent", timeout=2).json()
    except (requests.RequestException, ValueError):
        return seen
    for push in sent[seen:]:
        click.echo(f"  [push to {push.get('touser')}] {_push_text(push.get('payload') or {})}")
    return len(sent)


def _push_text(payload: dict) -> str:
    """A text push's content, or a template's id and its keyword values, on one line."""
    if payload.get("msgtype") == "text":
        return str(payload.get("text", {}).get("content", ""))
    data = payload.get("data") or {}
    values = " ".join(f"{k}={v.get('value')}" for k, v in data.items() if isinstance(v, dict))
    return f"template {payload.get('template_id')}: {values}"


@click.command("simulate")
@click.option("--url", default="", help="webhook URL of a running server; default in-process")
@click.option("--as", "openid", default=DEMO_AGENT, help="the sender's openid")
@click.option("--demo", is_flag=True, help="create the demo project and bind the demo users")
@click.option("--fake-url", default="", help="the fake WeChat API, to show pushes")
@click.option("--say", "lines", multiple=True, help="send these messages and exit")
@with_appcontext
def simulate(url: str, openid: str, demo: bool, fake_url: str, lines: tuple[str, ...]) -> None:
    """Type messages as WeChat users; '/as OPENID' switches user, '/click KEY' clicks."""
    wechat = current_app.extensions["baobei"]["settings"].wechat
    transport = http_transport(url) if url else flask_transport(current_app.test_client())
    sim = WeChatSimulator(wechat.token, wechat.app_id, wechat.encoding_aes_key or None, transport)
    script = list(lines)
    if demo:
        agent_code, staff_code = _demo_codes()
        script = [
            f"/as {DEMO_STAFF}",
            f"绑定 {staff_code} 李经理",
            f"/as {DEMO_AGENT}",
            f"绑定 {agent_code} 王小明",
            *([f"/as {openid}"] if openid != DEMO_AGENT else []),  # back to --as
            *script,
        ]
    interactive = not lines
    seen = 0
    # The demo's bindings run first in both modes; interactive input follows them.
    source: Iterator[str] | None = iter(script)
    while True:
        if source is not None:
            line = next(source, None)
            if line is None:
                if not interactive:
                    return
                source = None
                continue
            click.echo(f"{openid}> {line}")
        else:
            try:
                line = input(f"{openid}> ")
            except EOFError:
                return
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line.startswith("/as "):
            openid = line[4:].strip()
            continue
        reply = (
            sim.click(openid, line[7:].strip())
            if line.startswith("/click ")
            else sim.say(openid, line)
        )
        if reply.status != 200:
            click.echo(f"  HTTP {reply.status}: {reply.raw.decode(errors='replace')}", err=True)
        click.echo(reply.text or "  (no reply: success)")
        if fake_url:
            seen = _show_pushes(fake_url, seen)
        sys.stdout.flush()
