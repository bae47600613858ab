"""The newcomer's path: ``./scripts/run.sh`` starts the service, the simulator talks to it.

The interactive tests type the README's own first filing into ``simulate --demo``, so the
first thing a newcomer tries is the first thing checked.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine

from bot.simulator import WeChatSimulator, http_transport
from models import outbox
from models.push_entities import PushKind
from tests.recipients import bind_agents

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_walk_through() -> list[str]:
    """Every line the README's walk-through types into the simulator, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    typed = re.findall(r"^o_demo_\w+> (.+?)\s*$", readme, re.MULTILINE)
    assert typed, "README.md shows no walk-through typed into the simulator"
    return typed


def readme_first_filing() -> str:
    """The first message the README has the demo agent type into the simulator."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^o_demo_agent> (报备 .+?)\s*$", readme, re.MULTILINE)
    assert found, "README.md shows no filing typed into the simulator"
    return found.group(1)


def test_simulate_demo_shows_a_filing_going_in_and_its_reply(cli: Callable[..., Any]) -> None:
    result = cli(
        "simulate", "--demo", "--say", "报备 DEMO 张三 13812345678 本地 明天 15:00", "--say", "查询"
    )
    assert result.exit_code == 0, result.output
    assert "o_demo_agent> 报备 DEMO" in result.output
    assert "报备成功 #" in result.output and "138****5678" in result.output
    assert "绑定成功" in result.output  # the demo users were bound through the webhook


def test_interactive_simulate_demo_binds_the_demo_users_before_the_first_filing(
    app: Flask,
) -> None:
    typed = f"{readme_first_filing()}\n查询\n"

    result = app.test_cli_runner().invoke(args=["simulate", "--demo"], input=typed)

    assert result.exit_code == 0, result.output
    assert "您还没有绑定" not in result.output
    assert "报备成功 #" in result.output and "138****5678" in result.output


def test_interactive_simulate_as_staff_stays_the_staff_user_after_the_demo_binding(
    app: Flask,
) -> None:
    result = app.test_cli_runner().invoke(
        args=["simulate", "--demo", "--as", "o_demo_staff"], input="查询\n"
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("绑定成功") == 3  # the manager, the front desk and the agent
    # the typed 查询 came from the staff user, who gets the staff's answer (the day's
    # visits, issue 17): not the agent, who would have been shown a filings list
    assert "o_demo_staff> 今天（" in result.output and "我的客户" not in result.output


def test_simulate_demo_binds_a_front_desk_and_a_manager_who_get_staff_answers(
    cli: Callable[..., Any],
) -> None:
    result = cli(
        "simulate",
        "--demo",
        "--as",
        "o_demo_desk",
        "--say",
        "查询",
        "--say",
        "/as o_demo_staff",
        "--say",
        "查询",
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("绑定成功") == 3
    for staff in ("o_demo_desk", "o_demo_staff"):
        assert f"{staff}> 查询\n今天（" in result.output  # the staff's day, not a stranger's
    assert "您还没有绑定" not in result.output


def test_simulate_photo_sends_a_picture_the_demo_desk_is_told_will_join_its_arrival(
    cli: Callable[..., Any],
) -> None:
    result = cli("simulate", "--demo", "--as", "o_demo_desk", "--say", "/photo")

    assert result.exit_code == 0, result.output
    assert "o_demo_desk> /photo\n已收到照片。请在10分钟内登记到访" in result.output


def test_simulate_wait_without_the_fake_api_says_it_needs_it(cli: Callable[..., Any]) -> None:
    result = cli("simulate", "--say", "/wait 0.1")

    assert result.exit_code == 0, result.output
    assert "/wait needs --fake-url" in result.output


@dataclass
class Running:
    """``./scripts/run.sh`` serving on free ports, with its environment."""

    port: int
    fake_port: int
    env: dict[str, str]
    log: Path


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One ``run.sh`` shared by the tests that do not mind each other's data."""
    with run_sh(tmp_path_factory.mktemp("run")) as service:
        yield service


@pytest.fixture
def fresh_running(tmp_path: Path) -> Iterator[Running]:
    """A ``run.sh`` of this test's own: the README's walk-through files the README's client."""
    with run_sh(tmp_path) as service:
        yield service


@contextlib.contextmanager
def run_sh(tmp_path: Path) -> Iterator[Running]:
    port, fake_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "FAKE_PORT": str(fake_port),
        "BAOBEI_DATABASE__URL": f"sqlite:///{tmp_path / 'run.db'}",
        "BAOBEI_PUSHES__POLL_SECONDS": "1",  # the scheduler drains the outbox every second
    }
    env.pop("BAOBEI_CONFIG", None)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["./scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail(log.read_text()[-2000:])
        yield Running(port, fake_port, env, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def simulate_against(running: Running, typed: list[str], *options: str) -> str:
    """The README's simulator command against ``run.sh``, with ``typed`` at the keyboard."""
    simulate = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "bot", "simulate", *options]
        + ["--url", f"http://127.0.0.1:{running.port}/wechat"]
        + ["--fake-url", f"http://127.0.0.1:{running.fake_port}"],
        cwd=ROOT,
        env=running.env,
        input="".join(f"{line}\n" for line in typed),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert simulate.returncode == 0, simulate.stdout + simulate.stderr
    return simulate.stdout


def test_readme_walk_through_ends_with_the_visit_approved_and_the_agents_push_shown(
    fresh_running: Running,
) -> None:
    running = fresh_running
    typed = readme_walk_through()
    filing = typed.index(readme_first_filing())
    first = simulate_against(running, typed[: filing + 1], "--demo")
    number = re.search(r"报备成功 #(\d+)", first)
    assert number, first
    # the README's #1 is the demo's first filing; this service may have filed others before
    rest = [line.replace("#1", f"#{number.group(1)}") for line in typed[filing + 1 :]]
    assert "通过 #1" in typed[filing + 1 :] and "/wait" in typed

    shown = simulate_against(running, rest)

    assert "到访报备成功" in shown, shown
    arrival = shown.split("o_demo_desk> ")[1]
    assert "有效" in arrival and "自然到访" not in arrival, shown
    assert "已收到照片，将作为来访客户确认单附在 #" in shown, shown  # the signed form's photo
    arrived = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    until = (arrived + timedelta(days=44)).isoformat()  # 45 days, the arrival day as day 1
    # a push is printed as it arrives, after the prompt of whoever is typing
    pushed = [line for line in shown.splitlines() if "[push to o_demo_agent]" in line]
    assert any("保护至" in line and until in line for line in pushed), shown


def test_run_script_serves_the_webhook_with_the_scheduler_and_the_fake_api(
    running: Running,
) -> None:
    simulate = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "bot",
            "simulate",
            "--demo",
            "--url",
            f"http://127.0.0.1:{running.port}/wechat",
            "--fake-url",
            f"http://127.0.0.1:{running.fake_port}",
            "--say",
            "报备 DEMO 李四 13912345678 异地 后天 10:00",
        ],
        cwd=ROOT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "报备成功 #" in simulate.stdout, simulate.stdout + simulate.stderr
    assert requests.get(f"http://127.0.0.1:{running.fake_port}/_fake/stats", timeout=2).ok
    assert b"scheduler leadership taken" in (ROOT / ".run" / "scheduler.log").read_bytes()


def test_readme_simulator_command_with_typed_input_files_against_the_running_service(
    running: Running,
) -> None:
    # The README's command as printed by run.sh, with the README's first filing typed in.
    shown = simulate_against(running, [readme_first_filing()], "--demo")
    assert "您还没有绑定" not in shown
    assert "报备成功 #" in shown, shown


def test_the_access_log_of_the_run_script_keeps_signatures_and_nonces_out(
    running: Running,
) -> None:
    sim = WeChatSimulator(
        "baobei-dev-token",
        "wx0000000000000000",
        None,
        http_transport(f"http://127.0.0.1:{running.port}/wechat"),
    )
    assert sim.say("o_log_reader", "帮助").status == 200
    log = running.log.read_text(encoding="utf-8", errors="replace")
    assert '"POST /wechat HTTP/1.1" 200' in log  # the request is logged ...
    assert "signature=" not in log and "nonce=" not in log  # ... without its query string


def test_the_scheduler_of_run_sh_sends_pushes_to_the_fake_and_the_simulator_shows_them(
    running: Running,
) -> None:
    now = datetime.now(UTC)
    engine = create_engine(running.env["BAOBEI_DATABASE__URL"])
    try:
        with engine.begin() as conn:
            bind_agents(conn, ["o_demo_agent"], now)
            outbox.enqueue(
                conn,
                kind=PushKind.FILING_LAPSED,
                subject="filing:run-sh",
                due_day=now.date(),
                openid="o_demo_agent",
                text="报备 #1 张三 138****5678 已过保护期",
                fields={},
                send_after=now,
                now=now,
            )
    finally:
        engine.dispose()
    fake = f"http://127.0.0.1:{running.fake_port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sent = requests.get(f"{fake}/_fake/sent", params={"touser": "o_demo_agent"}, timeout=2)
        if any("已过保护期" in str(push["payload"]) for push in sent.json()):
            break
        time.sleep(0.2)
    else:
        pytest.fail((ROOT / ".run" / "scheduler.log").read_text()[-2000:])

    simulate = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bot", "simulate", "--fake-url", fake]
        + ["--url", f"http://127.0.0.1:{running.port}/wechat", "--say", "查询"],
        cwd=ROOT,
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "[push to o_demo_agent] 报备 #1 张三 138****5678 已过保护期" in simulate.stdout, (
        simulate.stdout + simulate.stderr
    )
