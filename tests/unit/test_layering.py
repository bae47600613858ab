"""The pure modules read no clock: ``now`` is always an argument.

Which modules are pure is said once, in the import-linter contract ``pure-modules`` of
pyproject.toml; ``lint-imports`` (run by ./scripts/test.sh) checks that they import no web,
database, cache or WeChat library. It cannot see a clock read (``datetime.now()`` inside a
rule makes a ruling depend on when the worker ran, not on the message's time), so this test
reads those modules' source with ``ast``, whether a module is one file or a package.
models/clock.py is the one clock.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

# (object, attribute): reading the clock, called or passed on (e.g. default_factory=...)
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
}
# ``from time import time`` and friends hide the read behind a bare name.
CLOCK_IMPORTS = {("time", "time"), ("time", "time_ns"), ("time", "localtime")}
# What an alias may stand for: ``from datetime import datetime as dt`` then ``dt.now()``.
CLOCK_CLASSES = {("datetime", "datetime"), ("datetime", "date")}


def pure_module_names(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The source modules of the ``pure-modules`` contract, the one list of pure modules."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (pure,) = [contract for contract in contracts if contract.get("id") == "pure-modules"]
    return list(pure["source_modules"])


def module_files(module: str, root: Path = ROOT) -> list[Path]:
    """The files of ``a.b``: ``a/b.py``, or every ``.py`` under the package ``a/b/``.

    A name that is neither fails: a pure module that vanished must not pass unread.
    """
    base = root.joinpath(*module.split("."))
    if base.with_suffix(".py").is_file():
        return [base.with_suffix(".py")]
    if (base / "__init__.py").is_file():
        return sorted(base.rglob("*.py"))
    raise FileNotFoundError(f"pure module {module} is neither {base}.py nor a package")


def _clock_aliases(tree: ast.AST) -> dict[str, str]:
    """Local names bound to ``datetime``/``date`` by ``from datetime import X as Y``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.asname and (node.module, alias.name) in CLOCK_CLASSES:
                    aliases[alias.asname] = alias.name
    return aliases


def _dotted_tail(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The last name of ``datetime`` in ``datetime.now``, ``dt.datetime.now`` or ``dt.now``."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def clock_reads(source: str, filename: str = "<source>") -> list[str]:
    """Every clock read in ``source``, as 'line: what'."""
    tree = ast.parse(source, filename=filename)
    aliases = _clock_aliases(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (node.module, alias.name) in CLOCK_IMPORTS:
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            owner = _dotted_tail(node.value, aliases)
            if (owner, node.attr) in CLOCK_READS:
                found.append(f"{node.lineno}: {owner}.{node.attr}")
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


@pytest.mark.parametrize("module", pure_module_names())
def test_pure_modules_read_no_clock(module: str) -> None:
    files = module_files(module)

    found = {
        str(path.relative_to(ROOT)): clock_reads(path.read_text(encoding="utf-8"), str(path))
        for path in files
    }

    assert {path: reads for path, reads in found.items() if reads} == {}


def test_a_pure_package_is_read_file_by_file(tmp_path: Path) -> None:
    package = tmp_path / "models" / "policy"
    package.mkdir(parents=True)
    for name in ("__init__.py", "values.py", "rules.py"):
        (package / name).write_text("")
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "grammar.py").write_text("")

    assert [p.name for p in module_files("models.policy", tmp_path)] == [
        "__init__.py",
        "rules.py",
        "values.py",
    ]
    assert module_files("handlers.grammar", tmp_path) == [tmp_path / "handlers" / "grammar.py"]
    with pytest.raises(FileNotFoundError, match="models.requests"):
        module_files("models.requests", tmp_path)


def test_the_clock_check_catches_every_way_of_reading_the_clock() -> None:
    source = "\n".join(
        [
            "now = datetime.now(tz)",
            "day = date.today()",
            "t = time.time()",
            "u = dt.datetime.utcnow()",
            "f = field(default_factory=datetime.now)",
            "from time import time",
            "from datetime import datetime as moment",
            "n = moment.now(tz)",
            "ns = time.time_ns()",
        ]
    )

    assert clock_reads(source) == [
        "1: datetime.now",
        "2: date.today",
        "3: time.time",
        "4: datetime.utcnow",
        "5: datetime.now",
        "6: from time import time",
        "8: datetime.now",
        "9: time.time_ns",
    ]


def test_the_clock_check_lets_plain_datetime_arithmetic_through() -> None:
    source = "\n".join(
        [
            "from datetime import date, datetime, time, timedelta",
            "from zoneinfo import ZoneInfo",
            "end = datetime.combine(day, time(23, 59), tzinfo=tz)",
            "later = now + timedelta(days=7)",
            "stamp = datetime.fromtimestamp(create_time, tz)",
            "from . import policy",
        ]
    )

    assert clock_reads(source) == []
