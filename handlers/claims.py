"""R10's commands: an agent's 撞单, staff's 关联 / 取消关联, a manager's 裁定.

The router has checked the role (agents for 撞单, staff for 关联, managers for the rest);
the models check the sender's filing (撞单: the agent's own, R12) or post in the filing's
project, and judge at the message's time.
"""

from __future__ import annotations

from handlers import replies_claims
from handlers.commands import FileClaim, LinkClients, RuleClaims, UnlinkClients
from handlers.context import Inbound
from models import claim_rulings, claims, client_links
from models.services import Services


def file_claim(command: FileClaim, services: Services, inbound: Inbound) -> str:
    """撞单: stored once per message, if in time and there is a deal to claim."""
    outcome = claims.file_claim(
        services.engine, inbound.openid, command.filing_no, command.reason, inbound.now,
        services.tz, inbound.msg_key,
    )  # fmt: skip
    return replies_claims.claim_filed(outcome, services.tz)


def link_clients(command: LinkClients, services: Services, inbound: Inbound) -> str:
    assert inbound.identity is not None  # set by the router for staff routes
    outcome = client_links.link(
        services.engine, inbound.identity, command.first, command.second, command.relation,
        inbound.now,
    )  # fmt: skip
    return replies_claims.linked(outcome)


def unlink_clients(command: UnlinkClients, services: Services, inbound: Inbound) -> str:
    assert inbound.identity is not None
    outcome = client_links.unlink(
        services.engine, inbound.identity, command.first, command.second, inbound.now
    )
    return replies_claims.linked(outcome)


def rule_claims(command: RuleClaims, services: Services, inbound: Inbound) -> str:
    """裁定: the computed ruling first; final."""
    assert inbound.identity is not None
    override = None
    if command.override_company and command.override_reason:
        override = (command.override_company, command.override_reason)
    outcome = claim_rulings.rule(
        services.engine, inbound.identity, command.filing_no, override, inbound.now, services.tz
    )
    return replies_claims.ruled(outcome)
