"""The case site's commands: one small function each, load -> decide (policy) -> persist -> reply.

The router has already checked the sender's role (``inbound.identity`` is set); a command
about a filing still checks the sender's post in that filing's project (R12).
"""

from __future__ import annotations

from handlers import replies
from handlers.commands import RegisterArrival
from handlers.context import Inbound
from models.services import Services


def register_arrival(command: RegisterArrival, services: Services, inbound: Inbound) -> str:
    """The front desk registers an arrival (R5). Not built yet: the staff issue builds it."""
    return replies.STAFF_ARRIVAL_PENDING
