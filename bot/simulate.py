"""``flask --app bot simulate``: talk to the service as an agent or staff, no WeChat needed.

Every message is built, signed and (in safe mode) encrypted exactly as WeChat does by
``bot.simulator``, posted to the webhook (in-process, or ``--url`` of a running server),
and the decrypted reply is printed. ``--demo`` creates a demo project and distributor and
binds three demo users: an agent, a front desk and a manager, so a newcomer can file a
client, register its arrival and approve it at once. With ``--fake-url`` the pushes the
service sent through the local fake WeChat API are shown after each message, and
``/wait`` waits for the next one (the scheduler drains the outbox every few seconds).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from bot.simulator import Reply, WeChatSimulator, flask_transport, http_transport
from models import accounts, clock
from models.db import make_session_factory
from models.entities import Distributor, Project
from models.policy import Policy

DEMO_AGENT = "o_demo_agent"
DEMO_STAFF = "o_demo_staff"  # the demo project's manager
DEMO_DESK = "o_demo_desk"  # the demo project's front desk
DEMO_PROJECT = ("DEMO", "演示楼盘")
DEMO_DISTRIBUTOR = "演示房产经纪有限公司"
# The demo takes local clients without advance notice (R2), so an arrival registered
# minutes after the filing is a valid visit and the walk-through can end in an approval.
DEMO_POLICY = {"local_notice_minutes": 0}
WAIT_SECONDS = 15.0  # /wait's default: longer than the scheduler's outbox poll (10 s)


@dataclass(frozen=True)
class DemoCodes:
    """Fresh invite codes for the three demo users."""

    agent: str
    manager: str
    desk: str


def _demo_codes() -> DemoCodes:
    """Make sure the demo project (with its policy) and distributor exist; fresh codes."""
    services = current_app.extensions["baobei"]["services"]
    now = clock.now(services.tz)
    with make_session_factory(services.engine).begin() as session:
        project = session.scalar(select(Project).where(Project.code == DEMO_PROJECT[0]))
        if project is None:
            defaults = services.settings.policy.as_dict()
            accounts.add_project(session, *DEMO_PROJECT, DEMO_POLICY, defaults, now)
        elif _differs(Policy.from_stored(project.policy).as_dict(), DEMO_POLICY):
            accounts.set_project_policy(session, DEMO_PROJECT[0], DEMO_POLICY, now)
        if session.scalar(select(Distributor).where(Distributor.name == DEMO_DISTRIBUTOR)) is None:
            accounts.add_distributor(session, DEMO_DISTRIBUTOR, now)
        return DemoCodes(
            agent=accounts.agent_invite(session, DEMO_DISTRIBUTOR, now),
            manager=accounts.staff_invite(session, DEMO_PROJECT[0], "manager", now),
            desk=accounts.staff_invite(session, DEMO_PROJECT[0], "frontdesk", now),
        )


def _differs(stored: dict, wanted: dict) -> bool:
    return any(stored.get(key) != value for key, value in wanted.items())


def demo_script(codes: DemoCodes, openid: str) -> list[str]:
    """The demo's bindings, through the webhook like any user's, then back to ``--as``."""
    return [
        f"/as {DEMO_STAFF}",
        f"绑定 {codes.manager} 李经理",
        f"/as {DEMO_DESK}",
        f"绑定 {codes.desk} 陈前台",
        f"/as {DEMO_AGENT}",
        f"绑定 {codes.agent} 王小明",
        *([f"/as {openid}"] if openid != DEMO_AGENT else []),
    ]


class PushWatch:
    """The pushes the fake WeChat API received, each shown once (none without a URL)."""

    def __init__(self, fake_url: str) -> None:
        self.fake_url = fake_url
        self.seen = 0

    def show_new(self) -> int:
        """Print the pushes that arrived since the last look; how many there were."""
        if not self.fake_url:
            return 0
        try:
            sent = requests.get(f"{self.fake_url}/_fake/sent", timeout=2).json()
        except (requests.RequestException, ValueError):
            return 0
        fresh = sent[self.seen :]
        for push in fresh:
            shown = _push_text(push.get("payload") or {}, self.fake_url)
            click.echo(f"  [push to {push.get('touser')}] {shown}")
        self.seen = len(sent)
        return len(fresh)

    def wait(self, seconds: float) -> None:
        """Wait until at least one push arrives, or ``seconds`` pass."""
        if not self.fake_url:
            click.echo("  (/wait needs --fake-url: pushes are read from the fake WeChat API)")
            return
        deadline = time.monotonic() + seconds
        while not self.show_new():
            if time.monotonic() >= deadline:
                click.echo(f"  (no push within {seconds:g} s)")
                return
            time.sleep(0.3)


def _push_text(payload: dict, fake_url: str) -> str:
    """A text push's content, an image's address at the fake (open it to see the chart), or
    a template's id and its keyword values, on one line."""
    if payload.get("msgtype") == "text":
        return str(payload.get("text", {}).get("content", ""))
    if payload.get("msgtype") == "image":
        return f"image: {fake_url}/_fake/media/{payload.get('image', {}).get('media_id', '')}"
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
    """Type messages as WeChat users; '/as OPENID' switches user, '/click KEY' clicks,
    '/photo' sends a picture, '/wait [SECONDS]' waits for a push."""
    wechat = current_app.extensions["baobei"]["settings"].wechat
    transport = http_transport(url) if url else flask_transport(current_app.test_client())
    sim = WeChatSimulator(wechat.token, wechat.app_id, wechat.encoding_aes_key or None, transport)
    script = [*(demo_script(_demo_codes(), openid) if demo else []), *lines]
    session = Conversation(sim, PushWatch(fake_url), openid)
    # The demo's bindings run first in both modes; interactive input follows them.
    for line in _lines(script, session, interactive=not lines):
        if not session.perform(line):
            return


def _lines(script: list[str], session: Conversation, interactive: bool) -> Iterator[str]:
    """The script's lines (echoed after the prompt), then the keyboard's until EOF."""
    for line in script:
        click.echo(f"{session.openid}> {line}")
        yield line
    while interactive:
        try:
            yield input(f"{session.openid}> ")
        except EOFError:
            return


class Conversation:
    """One user at a time typing into the simulator; ``/as`` changes who."""

    def __init__(self, sim: WeChatSimulator, pushes: PushWatch, openid: str) -> None:
        self.sim = sim
        self.pushes = pushes
        self.openid = openid

    def perform(self, line: str) -> bool:
        """Act on one typed line; False when the user asked to quit."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if line.startswith("/as "):
            self.openid = line[4:].strip()
        elif line == "/wait" or line.startswith("/wait "):
            self.pushes.wait(_seconds(line[5:].strip()))
        elif line:
            self._show(self._send(line))
        sys.stdout.flush()
        return True

    def _send(self, line: str) -> Reply:
        if line.startswith("/click "):
            return self.sim.click(self.openid, line[7:].strip())
        if line == "/photo":  # a picture, as staff send the signed 来访客户确认单
            return self.sim.send(self.sim.image_xml(self.openid))
        return self.sim.say(self.openid, line)

    def _show(self, reply: Reply) -> None:
        if reply.status != 200:
            click.echo(f"  HTTP {reply.status}: {reply.raw.decode(errors='replace')}", err=True)
        click.echo(reply.text or "  (no reply: success)")
        self.pushes.show_new()


def _seconds(typed: str) -> float:
    try:
        return float(typed) if typed else WAIT_SECONDS
    except ValueError:
        return WAIT_SECONDS
