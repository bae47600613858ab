"""The Official Account's two menus: the default one (agents) and the staff's personalised one.

The operator edits a TOML file (``menu.file``; ``menu.example.toml`` is shipped) and runs
``flask --app bot menu push``. WeChat keeps one default menu, which ``menu/create``
replaces, but ``menu/addconditional`` *adds* a personalised menu on every call: pushing
twice would leave two staff menus, and WeChat shows a user the first that matches. So the
push deletes the personalised menus matching the staff tag first (``menu/delconditional``
with each ``menuid`` that ``menu/get`` lists), then adds the new one. No menu id is kept on
our side: the account's own list is the truth, also after an edit in the admin console.

The staff menu matches a WeChat user tag (``menu.staff_tag``): staff are tagged through the
outbox when they bind (``scheduler.outbox``), and a push tags every staff member bound so
far, so staff bound before the first push get their menu too. WeChat clients may show a
new menu up to 5 minutes late.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.wechat import WeChatApi

ROOT = Path(__file__).resolve().parents[1]
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
TOP_NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES = 16, 60, 128  # WeChat's limits (menu/create)
LATE_NOTICE = (
    "WeChat clients may show the new menu up to 5 minutes late "
    "(微信客户端最多约5分钟后才显示新菜单)."
)


class MenuError(ValueError):
    """The menu file cannot be pushed as written; the message says where and why."""


@dataclass(frozen=True)
class Menus:
    """The two menus as WeChat's ``button`` lists."""

    agents: list[dict[str, Any]]
    staff: list[dict[str, Any]]

    def default_menu(self) -> dict[str, Any]:
        return {"button": self.agents}

    def staff_menu(self, tag_id: int) -> dict[str, Any]:
        return {"button": self.staff, "matchrule": {"tag_id": str(tag_id)}}


@dataclass(frozen=True)
class PushReport:
    tag_id: int
    staff_menuid: str
    replaced: int  # staff menus deleted before the new one was added
    tagged: int  # staff tagged by this push


def menu_path(name: str) -> Path:
    """A relative ``menu.file`` is read from the working directory, else the repository."""
    path = Path(name)
    if path.is_absolute() or path.exists():
        return path
    return ROOT / path


def load_menus(path: Path, known_keys: set[str]) -> Menus:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MenuError(f"menu file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise MenuError(f"{path}: {error}") from None
    return build_menus(document, known_keys)


def build_menus(document: dict[str, Any], known_keys: set[str]) -> Menus:
    """Check the file against WeChat's limits and the keys the service answers."""
    unknown = set(document) - {"agents", "staff"}
    if unknown:
        raise MenuError(f"unknown section(s) {sorted(unknown)}: only [agents] and [staff]")
    return Menus(
        *(
            _buttons(document.get(menu, {}).get("button"), menu, known_keys, top=True)
            for menu in ("agents", "staff")
        )
    )


def _buttons(raw: Any, where: str, known: set[str], top: bool) -> list[dict[str, Any]]:
    limit = MAX_BUTTONS if top else MAX_SUB_BUTTONS
    if not isinstance(raw, list) or not 1 <= len(raw) <= limit:
        raise MenuError(f"{where}: 1 to {limit} buttons are needed")
    return [_button(item, f"{where}.button[{n}]", known, top) for n, item in enumerate(raw, 1)]


def _button(item: Any, where: str, known: set[str], top: bool) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) - {"name", "key", "sub_button"}:
        raise MenuError(f"{where}: a button has a name and a key (or sub_button) only")
    name, key, subs = item.get("name"), item.get("key"), item.get("sub_button")
    limit = TOP_NAME_BYTES if top else SUB_NAME_BYTES
    if not isinstance(name, str) or not name or len(name.encode()) > limit:
        raise MenuError(f"{where}: the name must be 1 to {limit} bytes (UTF-8)")
    if top and subs is not None and key is None:
        return {"name": name, "sub_button": _buttons(subs, where, known, top=False)}
    if subs is not None or not isinstance(key, str):
        raise MenuError(f"{where}: a key is needed (sub_button only under a top button)")
    if key not in known or len(key.encode()) > KEY_BYTES:
        raise MenuError(f"{where}: unknown key {key!r}; the service answers {sorted(known)}")
    return {"type": "click", "name": name, "key": key}


def push_menus(api: WeChatApi, menus: Menus, tag_name: str, staff: list[str]) -> PushReport:
    """Replace both menus and tag the staff bound so far (in WeChat's batches of 50)."""
    api.create_menu(menus.default_menu())
    tag_id = api.ensure_tag(tag_name)
    old = [menu for menu in api.conditional_menus() if _matches_tag(menu, tag_id)]
    for menu in old:
        api.delete_conditional_menu(str(menu["menuid"]))
    menuid = api.add_conditional_menu(menus.staff_menu(tag_id))
    if staff:
        api.tag_users(tag_id, staff)
    return PushReport(tag_id, menuid, len(old), len(staff))


def _matches_tag(menu: dict[str, Any], tag_id: int) -> bool:
    """WeChat has named the rule's tag ``group_id`` and ``tag_id``: either is ours."""
    rule = menu.get("matchrule") or {}
    return str(tag_id) in (str(rule.get("tag_id", "")), str(rule.get("group_id", "")))
