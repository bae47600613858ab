"""The case site's deal commands (issue 18 item 1, R9): record a deal event, void deals,
exclude them from commission.

The router has checked the sender is staff (``RecordDeal``) or a manager (``VoidDeal``,
``ExcludeDeal``); the model checks the sender's post in the client's project (R12).
"""

from __future__ import annotations

from handlers import replies_deals
from handlers.commands import ExcludeDeal, RecordDeal, VoidDeal
from handlers.context import Inbound
from models import deal_exclusion, deals
from models.requests import DealRequest
from models.services import Services


def record_deal(command: RecordDeal, services: Services, inbound: Inbound) -> str:
    """认筹/认购/签约: stored and attributed at its own time, never blocked (R9)."""
    assert inbound.identity is not None  # set by the router for staff routes
    request = DealRequest(
        command.kind, command.filing_no, command.client_phone, command.client_name,
        command.amount, command.at, command.buyer,
    )  # fmt: skip
    outcome = deals.record(
        services.engine, inbound.identity, request, inbound.now, inbound.msg_key, services.tz
    )
    return replies_deals.deal_recorded(outcome, services.tz)


def void_deal(command: VoidDeal, services: Services, inbound: Inbound) -> str:
    """退定 (managers): the client's deals no longer count; expiry resumes (R9)."""
    assert inbound.identity is not None
    outcome = deals.void(
        services.engine, inbound.identity, command.filing_no, command.reason, inbound.now,
        services.tz,
    )  # fmt: skip
    return replies_deals.deal_voided(outcome)


def exclude_deal(command: ExcludeDeal, services: Services, inbound: Inbound) -> str:
    """不计佣 (managers): the client's live deals earn no commission (R9)."""
    assert inbound.identity is not None
    outcome = deal_exclusion.exclude(
        services.engine, inbound.identity, command.filing_no, command.reason, inbound.now
    )
    return replies_deals.deal_excluded(outcome)
