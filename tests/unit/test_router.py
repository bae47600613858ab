"""Every command the grammar can produce has a handler; every menu key is a command.

Which commands may skip the dedup claim (``router.SELF_DEDUPLICATING``) is tested by its
effect, in tests/e2e/test_webhook_protocol.py: a retried 绑定 or 取消 is answered as the
first was and acts once; a retried 报备 is filed once.
"""

from __future__ import annotations

import typing

import pytest

from handlers import commands, router

pytestmark = pytest.mark.unit


def test_every_command_type_has_exactly_one_handler() -> None:
    command_types = set(typing.get_args(commands.Command))
    assert command_types == set(router.HANDLERS)


def test_every_menu_key_maps_to_a_command_with_a_handler() -> None:
    assert router.MENU_KEYS
    for key, command in router.MENU_KEYS.items():
        assert type(command) in router.HANDLERS, key

