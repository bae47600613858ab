"""Text and clicks -> typed commands -> the one handler for each command type.

The registry maps a command type to its handler; ``dispatch`` is the only place that turns
a domain refusal (not bound, unknown project, ...) into its reply, so handlers stay short.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers import agent, replies
from handlers.commands import (
    Bind,
    Cancel,
    Command,
    FileClients,
    Help,
    ParseError,
    Query,
    RegisterArrival,
    ReportVisit,
)
from handlers.context import Inbound
from handlers.grammar import parse
from models.errors import AmbiguousFiling, FilingNotFound, InvalidInvite, NotBound, UnknownProject
from models.services import Services

Handler = Callable[[Any, Services, Inbound], str]

HANDLERS: dict[type, Handler] = {
    Bind: agent.bind,
    FileClients: agent.file_clients,
    Query: agent.query,
    Cancel: agent.cancel,
    Help: agent.show_help,
    ReportVisit: agent.report_visit,
    RegisterArrival: agent.register_arrival,
}

# Menu buttons send fixed EventKeys; each is the same command as its text.
MENU_KEYS: dict[str, Any] = {
    "AGENT_CLIENTS": Query(),
    "AGENT_FORMAT": Help(topic="报备"),
    "AGENT_HELP": Help(),
}


# Commands whose every write carries the message's key under a unique constraint: a
# retry of the message cannot write twice and is answered from what the first one wrote,
# so they need no claim in Redis (two round trips saved on the busiest path).
SELF_DEDUPLICATING = (FileClients,)


def interpret(text: str, now: datetime) -> Command | ParseError:
    """What a text asks for; pure, so the webhook can decide how to deduplicate it."""
    return parse(text, now)


def handle_parsed(command: Command | ParseError, services: Services, inbound: Inbound) -> str:
    if isinstance(command, ParseError):
        return replies.parse_error(command)
    return dispatch(command, services, inbound)


def handle_click(key: str, services: Services, inbound: Inbound) -> str:
    command = MENU_KEYS.get(key)
    if command is None:
        return replies.help_text()
    return dispatch(command, services, inbound)


def dispatch(command: Any, services: Services, inbound: Inbound) -> str:
    handler = HANDLERS[type(command)]
    try:
        return handler(command, services, inbound)
    except NotBound as error:
        return replies.NOT_AGENT if error.role == "agent" else replies.NOT_STAFF
    except UnknownProject as error:
        return replies.unknown_project(error.ref)
    except InvalidInvite:
        return replies.INVALID_INVITE
    except FilingNotFound:
        return replies.FILING_NOT_FOUND
    except AmbiguousFiling as error:
        return replies.choose_filing(error.candidates)
