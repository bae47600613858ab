"""The README and docs/rules.md say what the code does, so a newcomer can follow them verbatim.

Each README command line is parsed by the real CLI (arguments, options, choices), the way a
shell would hand it over; nothing is executed. The rule book's policy table must name every
policy key the code knows, so a new key cannot ship undocumented.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import fields
from pathlib import Path

import click
import pytest

from bot import create_app
from bot.menu import load_menus
from handlers.router import MENU_KEYS
from models.policy import Policy

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
RUNNERS = ("./scripts/", ".venv/bin/", "export ", "cd ")


def bash_lines(markdown: str) -> list[str]:
    """Every command line of the ```bash blocks, comments dropped."""
    blocks = re.findall(r"^```bash\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    lines = (line.split(" #")[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def flask_commands(markdown: str) -> list[list[str]]:
    """The words after ``flask --app bot`` of every README command, as a shell splits them."""
    found = []
    for line in bash_lines(markdown):
        words = shlex.split(line)
        if words[:3] == [".venv/bin/flask", "--app", "bot"]:
            found.append(words[3:])
    return found


def test_every_readme_command_runs_from_a_fresh_clone_without_activating_a_venv() -> None:
    bare = [line for line in bash_lines(README) if not line.startswith(RUNNERS)]
    assert bare == []


@pytest.mark.parametrize("words", flask_commands(README), ids=" ".join)
def test_readme_flask_command_is_accepted_by_the_cli(words: list[str]) -> None:
    app = create_app({"database": {"url": "sqlite://"}})
    command: click.Command = app.cli
    path: list[str] = []
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        path.append(words.pop(0))
        command = command.commands[path[-1]]
    assert path and not isinstance(command, click.Group), f"no such command: {path}"
    # parses arguments, options and choices exactly as the shell would pass them, or raises
    command.make_context(" ".join(path), list(words))


def test_readme_names_the_commands_ci_runs() -> None:
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_command.startswith("exec ")
    assert ci_command.removeprefix("exec ") in bash_lines(README)


def test_readme_points_at_the_rules_in_the_repository_not_outside_it() -> None:
    assert "docs/rules.md" in README
    assert "../" not in README


def test_readme_documents_every_menu_key_and_the_shipped_menu_uses_exactly_those() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, re.MULTILINE))
    menus = load_menus(ROOT / "menu.example.toml", set(MENU_KEYS))
    buttons = [
        button for top in menus.agents + menus.staff for button in top.get("sub_button", [top])
    ]
    assert documented == {button["key"] for button in buttons} == set(MENU_KEYS)


def test_readme_says_a_new_menu_may_show_up_to_five_minutes_late() -> None:
    assert "up to 5 minutes late" in README


def test_rules_policy_table_names_every_policy_key_with_its_default() -> None:
    table = {
        key: default.strip()
        for key, default in re.findall(r"^\|[^|]*\| `([a-z_]+)` \|([^|]*)\|", RULES, re.MULTILINE)
    }
    example = tomllib.loads((ROOT / "config.example.toml").read_text())["policy"]
    code = {field.name: getattr(Policy(), field.name) for field in fields(Policy)}
    assert set(table) == set(code) == set(example)
    for key, default in code.items():
        first_word = re.match(r"\w+", table[key])
        assert first_word and first_word.group() == str(default).lower(), key
        assert example[key] == default, key


def test_rules_cover_r1_to_r12_each_with_a_status() -> None:
    for number in range(1, 13):
        heading = re.search(rf"^## R{number} .*$", RULES, re.MULTILINE)
        assert heading, f"R{number} has no section"
    statuses = re.findall(r"^\| R(\d+) \|[^|]*\| (enforced|planned)", RULES, re.MULTILINE)
    assert [int(number) for number, _ in statuses] == list(range(1, 13))
