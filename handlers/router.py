"""Text and clicks -> typed commands -> the handler registered for the sender's role.

Which roles may run a command is declared here, where the command is registered
(``ROUTES``), and nowhere else. A command may have several routes, one per audience
(an agent's ``查询`` lists their filings; staff find their projects' clients): the first
route whose roles the sender holds runs.

Agent routes run without asking who the sender is first: the agent's handler identifies
its agent inside its own read (the filing path's single SELECT), so the busiest path pays
no extra statement for the check. Only when that handler finds no agent, or a route
needs staff, does the router look the sender up (``models.identity``), once per message.

``dispatch`` is also the one place that turns a domain refusal (not bound, unknown
project, ...) into its reply, so handlers stay short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from handlers import agent, approvals, claims, deals, replies, staff, violations
from handlers.commands import (
    Approve,
    Bind,
    Cancel,
    ChannelStats,
    Command,
    DayVisits,
    ExcludeDeal,
    FileClaim,
    FileClients,
    Help,
    LinkClients,
    ListPending,
    ListViolations,
    MarkBulk,
    ParseError,
    Query,
    RecordDeal,
    RecordViolation,
    RegisterArrival,
    Reject,
    ReportVisit,
    RuleClaims,
    UnlinkClients,
    VoidDeal,
)
from handlers.context import Inbound
from handlers.grammar import parse
from models.errors import AmbiguousFiling, FilingNotFound, InvalidInvite, NotBound, UnknownProject
from models.identity import Identity, identify
from models.policy import STAFF_ROLES, Role
from models.services import Services

Handler = Callable[[Any, Services, Inbound], str]

#: Roles as declared on routes. ``ANYONE`` also admits a sender bound to nothing yet.
ANYONE: frozenset[Role] | None = None
AGENTS = frozenset({Role.AGENT})
STAFF = STAFF_ROLES
MANAGERS = frozenset({Role.MANAGER})


@dataclass(frozen=True)
class Route:
    """One command for one audience: who may run it, and the handler that serves them."""

    command: type
    handler: Handler
    roles: frozenset[Role] | None


ROUTES: tuple[Route, ...] = (
    Route(Bind, agent.bind, ANYONE),
    Route(FileClients, agent.file_clients, AGENTS),
    Route(Query, agent.query, AGENTS),
    Route(Query, staff.query, STAFF),
    Route(Cancel, agent.cancel, AGENTS),
    Route(ReportVisit, agent.report_visit, AGENTS),
    Route(RegisterArrival, staff.register_arrival, STAFF),
    Route(Approve, approvals.approve, MANAGERS),
    Route(Reject, approvals.reject, MANAGERS),
    Route(MarkBulk, approvals.mark_bulk, MANAGERS),
    Route(ListPending, approvals.list_pending, STAFF),
    Route(DayVisits, staff.day_visits, STAFF),
    Route(ChannelStats, staff.channel_stats, MANAGERS),
    Route(RecordDeal, deals.record_deal, STAFF),  # the filing's project's desk or manager
    Route(VoidDeal, deals.void_deal, MANAGERS),
    Route(RecordViolation, violations.record_violation, MANAGERS),  # R11
    Route(ListViolations, violations.list_violations, MANAGERS),
    Route(ExcludeDeal, deals.exclude_deal, MANAGERS),
    Route(FileClaim, claims.file_claim, AGENTS),  # the agent's own filing (R12)
    Route(LinkClients, claims.link_clients, STAFF),  # the filings' project's desk or manager
    Route(UnlinkClients, claims.unlink_clients, MANAGERS),
    Route(RuleClaims, claims.rule_claims, MANAGERS),
    Route(Help, staff.show_help, STAFF),
    Route(Help, agent.show_help, ANYONE),
)

BY_COMMAND: dict[type, tuple[Route, ...]] = {}
for _route in ROUTES:
    BY_COMMAND[_route.command] = (*BY_COMMAND.get(_route.command, ()), _route)

# Menu buttons send fixed EventKeys; each is the same command as its text, routed by the
# sender's role like the text (the menus themselves: menu.example.toml, bot/menu.py).
MENU_KEYS: dict[str, Any] = {
    "AGENT_CLIENTS": Query(),
    "AGENT_FORMAT": Help(topic="报备"),
    "AGENT_HELP": Help(),
    "STAFF_PENDING": ListPending(),
    "STAFF_TODAY": DayVisits(),
    "STAFF_STATS": ChannelStats(),
    "STAFF_HELP": Help(),
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
    """A button's key; an unknown one (an old menu still shown) gets the sender's help."""
    return dispatch(MENU_KEYS.get(key, Help()), services, inbound)


def dispatch(command: Any, services: Services, inbound: Inbound) -> str:
    """Run the first route the sender may take; refuse politely, changing nothing, if none."""
    routes = BY_COMMAND[type(command)]
    who: Identity | None = None
    for route in routes:
        if route.roles is ANYONE or route.roles == AGENTS:
            try:
                return _run(route, command, services, inbound)
            except NotBound:
                continue  # not an agent: another route, or the refusal below
        who = who or identify(services.engine, inbound.openid)
        if route.roles is not None and who.roles & route.roles:
            return _run(route, command, services, replace(inbound, identity=who))
    who = who or identify(services.engine, inbound.openid)
    return replies.refused_role(command, _allowed(routes), who.roles)


def _allowed(routes: tuple[Route, ...]) -> frozenset[Role]:
    return frozenset(role for route in routes for role in route.roles or ())


def _run(route: Route, command: Any, services: Services, inbound: Inbound) -> str:
    try:
        return route.handler(command, services, inbound)
    except NotBound:
        raise
    except UnknownProject as error:
        return replies.unknown_project(error.ref)
    except InvalidInvite:
        return replies.INVALID_INVITE
    except FilingNotFound:
        return replies.FILING_NOT_FOUND
    except AmbiguousFiling as error:
        return replies.choose_filing(error.candidates)
