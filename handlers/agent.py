"""The agent's commands: one small function each, load -> decide (policy) -> persist -> reply."""

from __future__ import annotations

from handlers import replies
from handlers.commands import (
    Bind,
    Cancel,
    FileClients,
    Help,
    ParseError,
    Query,
    ReportVisit,
)
from handlers.context import Inbound
from models import binding, filings, queries, visits
from models.db import make_session_factory
from models.errors import NotBound
from models.policy import Reason
from models.services import Services


def bind(command: Bind, services: Services, inbound: Inbound) -> str:
    with make_session_factory(services.engine).begin() as session:
        bound = binding.bind(session, inbound.openid, command.code, command.name, inbound.now)
    return replies.bound(bound, services.tz)


def file_clients(command: FileClients, services: Services, inbound: Inbound) -> str:
    """Each client of the message is decided on its own and answered in order (R1-R4)."""
    parts: list[str] = []
    several = len(command.entries) > 1
    for index, entry in enumerate(command.entries):
        if isinstance(entry, ParseError):
            parts.append(replies.line_error(index, entry, brief=several))
            continue
        source = inbound.msg_key if len(command.entries) == 1 else f"{inbound.msg_key}#{index}"
        outcome = filings.file_one(
            services.engine,
            inbound.openid,
            command.project,
            entry,
            inbound.now,
            services.tz,
            source,
        )
        if several:
            parts.append(replies.filing_line(outcome, services.tz))
        else:
            project_name = outcome.project_name or command.project
            parts.append(replies.filing_outcome(outcome, project_name, services.tz))
    return replies.filing_results(parts)


def query(command: Query, services: Services, inbound: Inbound) -> str:
    found = queries.agent_filings(
        services.engine, inbound.openid, inbound.now, command.page, command.phone_mask
    )
    if found is None:
        raise NotBound("agent")
    rows, has_more = found
    return replies.filing_list(rows, command.page, has_more, services.tz)


def cancel(command: Cancel, services: Services, inbound: Inbound) -> str:
    action = visits.cancel_filing(
        services.engine, inbound.openid, command.filing_no, inbound.now, services.tz
    )
    if action.ruling.reason is Reason.CANCELLED:
        return replies.cancelled(action.number)
    return replies.cancel_refused(action.number, action.ruling.explanation())


def show_help(command: Help, services: Services, inbound: Inbound) -> str:
    """The help names the rules of the projects an agent can file for, as each is set."""
    return replies.help_text(command.topic, queries.project_policies(services.engine))


def report_visit(command: ReportVisit, services: Services, inbound: Inbound) -> str:
    action = visits.report_visit(
        services.engine,
        inbound.openid,
        command.ref,
        command.at,
        inbound.now,
        services.tz,
        inbound.msg_key,
    )
    if not action.ruling.ok:
        return replies.visit_refused(action.number, action.ruling.explanation())
    assert action.at is not None
    return replies.visit_reported(
        action.number, action.client_name, action.phone_mask, action.at, services.tz
    )
