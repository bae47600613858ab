"""R11's commands (issue 18 item 3): a manager records a violation, or lists them.

The router has checked the sender is a manager (``MANAGERS``); the model finds the
manager's project (a false filing's own project) and the distributor by its full name.
"""

from __future__ import annotations

from handlers import replies_violations
from handlers.commands import ListViolations, RecordViolation
from handlers.context import Inbound
from models import violation_list, violations
from models.services import Services


def record_violation(command: RecordViolation, services: Services, inbound: Inbound) -> str:
    """违规: ruled by R11 at the message's time, stored once, the distributor told."""
    assert inbound.identity is not None  # set by the router for staff routes
    outcome = violations.record(
        services.engine, inbound.identity, command.distributor, command.kind,
        command.filing_no, command.description, inbound.now, services.tz, inbound.msg_key,
    )  # fmt: skip
    return replies_violations.violation_recorded(
        outcome, services.tz, services.settings.evidence.window
    )


def list_violations(command: ListViolations, services: Services, inbound: Inbound) -> str:
    """违规记录: the latest violations of the manager's projects."""
    assert inbound.identity is not None
    rows = violation_list.recent(services.engine, inbound.identity)
    return replies_violations.violation_list(rows, services.tz)
