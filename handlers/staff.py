"""The case site's commands: one small function each, load -> decide (policy) -> persist -> reply.

The router has already checked the sender's role (``inbound.identity`` is set); a command
about a filing still checks the sender's post in that filing's project (R12).
"""

from __future__ import annotations

from handlers import replies
from handlers.commands import RegisterArrival
from handlers.context import Inbound
from models import arrivals
from models.services import Services


def register_arrival(command: RegisterArrival, services: Services, inbound: Inbound) -> str:
    """The front desk (or a manager) registers an arrival; the policy proposes a ruling (R5)."""
    assert inbound.identity is not None  # set by the router for staff routes
    request = arrivals.ArrivalRequest(
        filing_no=command.filing_no,
        full_phone=command.full_phone,
        project=command.project,
        client_name=command.client_name,
        at=command.at,
        remote=command.remote,
        consultant=command.consultant,
    )
    late_limit = services.settings.staff.late_registration_hours
    outcome = arrivals.register(
        services.engine,
        inbound.identity,
        request,
        inbound.now,
        services.tz,
        late_limit,
        inbound.msg_key,
    )
    return replies.arrival_registered(outcome, command, services.tz, late_limit)
