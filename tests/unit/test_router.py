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


def test_every_command_the_grammar_can_produce_has_a_route() -> None:
    command_types = set(typing.get_args(commands.Command))
    assert command_types == set(router.BY_COMMAND)


def test_a_command_open_to_anyone_is_only_binding_and_help() -> None:
    open_to_anyone = {route.command for route in router.ROUTES if route.roles is router.ANYONE}
    assert open_to_anyone == {commands.Bind, commands.Help}


def test_a_command_never_has_two_routes_for_the_same_role() -> None:
    for command, routes in router.BY_COMMAND.items():
        roles = [role for route in routes for role in route.roles or ()]
        assert len(roles) == len(set(roles)), command


def test_every_menu_key_maps_to_a_command_with_a_route() -> None:
    assert router.MENU_KEYS
    for key, command in router.MENU_KEYS.items():
        assert type(command) in router.BY_COMMAND, key

