"""A case-site manager's commands: 通过, 驳回, 大宗, and the pending list (R5-R7).

The router has checked the sender's role (``inbound.identity`` is set: a manager of some
project for 通过/驳回/大宗, staff for the list); each command about a filing acts in that
filing's project and checks the sender's post there (``models.approvals``).
"""

from __future__ import annotations

from handlers import replies_approvals as words
from handlers import replies_claims
from handlers.commands import Approve, ListPending, MarkBulk, Reject
from handlers.context import Inbound
from models import approvals, claim_views
from models.identity import Identity
from models.services import Services


def _who(inbound: Inbound) -> Identity:
    assert inbound.identity is not None, "staff routes are identified by the router"
    return inbound.identity


def approve(command: Approve, services: Services, inbound: Inbound) -> str:
    action = approvals.approve(
        services.engine, _who(inbound), command.filing_no, command.exception, inbound.now,
        services.tz,
    )  # fmt: skip
    return words.staff_action(action, "approve")


def reject(command: Reject, services: Services, inbound: Inbound) -> str:
    action = approvals.reject(
        services.engine, _who(inbound), command.filing_no, command.reason, inbound.now,
        services.tz,
    )  # fmt: skip
    return words.staff_action(action, "reject")


def mark_bulk(command: MarkBulk, services: Services, inbound: Inbound) -> str:
    action = approvals.mark_bulk(
        services.engine, _who(inbound), command.filing_no, inbound.now, services.tz
    )
    return words.staff_action(action, "bulk")


def list_pending(command: ListPending, services: Services, inbound: Inbound) -> str:
    """The pending arrivals, then the open claims of the projects the sender manages."""
    arrivals = approvals.pending_list(services.engine, _who(inbound))
    pending = words.pending_list(arrivals, services.tz)
    claims = claim_views.open_claims(services.engine, _who(inbound))
    return replies_claims.with_claims(pending, claims, services.tz)
