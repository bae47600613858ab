"""Every command the grammar can produce has a handler; every menu key is a command."""

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


def test_only_commands_that_carry_the_message_key_to_a_unique_column_skip_the_claim() -> None:
    # FileClients writes filings.source_msg (unique) for every client of the message;
    # adding a command here without such a column would let a retry write twice.
    assert router.SELF_DEDUPLICATING == (commands.FileClients,)
