"""The pure layers stay pure: no web, database, cache or WeChat imports, and no clock reads.

models/policy/ and the command grammar are unit-tested without I/O; ``now`` is always an
argument (models/clock.py is the one clock). This test reads their source with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

PURE_MODULES = [
    "models/policy/__init__.py",
    "models/policy/values.py",
    "models/policy/wording.py",
    "models/policy/dates.py",
    "models/policy/rules.py",
    "models/requests.py",
    "handlers/commands.py",
    "handlers/grammar.py",
    "handlers/fields.py",
    "handlers/filing_grammar.py",
]

FORBIDDEN_PACKAGES = {"flask", "sqlalchemy", "redis", "wechatpy", "requests", "psycopg"}

# (object, attribute): reading the clock, called or passed on (e.g. default_factory=...)
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}
CLOCK_IMPORTS = {("time", "time"), ("datetime", "now")}


def _top_package(module: str) -> str:
    top = module.split(".")[0]
    # psycopg2 / psycopg_pool are the same driver family
    return "psycopg" if top.startswith("psycopg") else top


def _dotted_tail(node: ast.AST) -> str | None:
    """The last name of ``datetime`` in ``datetime.now`` or ``dt.datetime.now``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def impurities(source: str, filename: str = "<source>") -> list[str]:
    """Every forbidden import and clock read in ``source``, as 'line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _top_package(alias.name) in FORBIDDEN_PACKAGES:
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _top_package(node.module) in FORBIDDEN_PACKAGES:
                found.append(f"{node.lineno}: from {node.module} import ...")
            for alias in node.names:
                if (node.module, alias.name) in CLOCK_IMPORTS:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            if (_dotted_tail(node.value), node.attr) in CLOCK_READS:
                found.append(f"{node.lineno}: {_dotted_tail(node.value)}.{node.attr}")
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


@pytest.mark.parametrize("relative", PURE_MODULES)
def test_pure_modules_import_no_io_library_and_read_no_clock(relative):
    path = ROOT / relative
    if not path.exists():
        pytest.skip(f"{relative} does not exist yet")

    assert impurities(path.read_text(encoding="utf-8"), str(path)) == []


def test_the_policy_module_exists_to_be_checked():
    assert (ROOT / "models/policy/rules.py").is_file()
    assert (ROOT / "handlers/commands.py").is_file()


def test_the_purity_check_catches_every_forbidden_import_and_clock_read():
    source = "\n".join(
        [
            "import flask",
            "from sqlalchemy import select",
            "import redis.asyncio",
            "from wechatpy import WeChatClient",
            "import requests",
            "import psycopg2",
            "from psycopg import sql",
            "now = datetime.now(tz)",
            "day = date.today()",
            "t = time.time()",
            "u = dt.datetime.utcnow()",
            "f = field(default_factory=datetime.now)",
            "from time import time",
        ]
    )

    assert impurities(source) == [
        "1: import flask",
        "2: from sqlalchemy import ...",
        "3: import redis.asyncio",
        "4: from wechatpy import ...",
        "5: import requests",
        "6: import psycopg2",
        "7: from psycopg import ...",
        "8: datetime.now",
        "9: date.today",
        "10: time.time",
        "11: datetime.utcnow",
        "12: datetime.now",
        "13: from time import time",
    ]


def test_the_purity_check_lets_plain_datetime_arithmetic_through():
    source = "\n".join(
        [
            "from datetime import date, datetime, time, timedelta",
            "from zoneinfo import ZoneInfo",
            "from dataclasses import dataclass",
            "end = datetime.combine(day, time(23, 59), tzinfo=tz)",
            "later = now + timedelta(days=7)",
            "from . import policy",
        ]
    )

    assert impurities(source) == []
