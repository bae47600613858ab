"""The case site's deal commands (issue 18 item 1, R9): record a deal event, void deals.

The router has checked the sender is staff (``RecordDeal``) or a manager (``VoidDeal``);
the model checks the sender's post in the filing's project (R12).
"""

from __future__ import annotations

from handlers import replies_deals
from handlers.commands import RecordDeal, VoidDeal
from handlers.context import Inbound
from models import deals
from models.services import Services


def record_deal(command: RecordDeal, services: Services, inbound: Inbound) -> str:
    """认筹/认购/签约: stored and attributed at its own time, never blocked (R9)."""
    assert inbound.identity is not None  # set by the router for staff routes
    outcome = deals.record(
        services.engine, inbound.identity, command.filing_no, command.kind, command.amount,
        command.at, inbound.now, inbound.msg_key, command.buyer,
    )  # fmt: skip
    return replies_deals.deal_recorded(outcome, services.tz)


def void_deal(command: VoidDeal, services: Services, inbound: Inbound) -> str:
    """退定 (managers): the client's deals no longer count; expiry resumes (R9)."""
    assert inbound.identity is not None
    outcome = deals.void(
        services.engine, inbound.identity, command.filing_no, command.reason, inbound.now
    )
    return replies_deals.deal_voided(outcome)
