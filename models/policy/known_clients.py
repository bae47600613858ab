"""R3 for a client the case site says it knows: mark them known, or leave them be.

A client the sales system (来电来访) or the site's own and partners' lists name is no
distributor's to file. But a client a distributor protects right now is not taken over by
an import: that is a ruling for the channel team (the distributor may have filed first, or
the site's record may prove the filing false, R11), so the row is reported, not applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.policy.rules import is_protected
from models.policy.states import ClientStatus


class KnownOutcome(StrEnum):
    """What an import does with one known client (the summary counts these)."""

    CREATE = "created"  # a new client, known to the site
    MARK_KNOWN = "updated"  # a client on file, no longer protected: now the site's
    ADD_PHONE = "phone_added"  # known already; the site's full phone was missing
    UNCHANGED = "unchanged"  # known already, with its phone: nothing to write
    PROTECTED = "protected"  # a distributor protects them: reported, not overwritten


@dataclass(frozen=True)
class OnFile:
    """What the project's client record (same name, same mask) says now."""

    state: str  # a ClientStatus
    full_phone: str | None
    protected_until: datetime | None


def decide_known(on_file: OnFile | None, now: datetime) -> KnownOutcome:
    """R3, for the import of a known client at ``now``.

    No record -> CREATE. 甲 filed 张三 on 11-22 (protected until 11-29), imported 11-25 ->
    PROTECTED; imported 11-30 (lapsed) -> MARK_KNOWN. Known already -> UNCHANGED, or
    ADD_PHONE when the record lacks the full phone: the first source the site gave stays,
    so a re-import of the same file changes nothing.
    """
    if on_file is None:
        return KnownOutcome.CREATE
    if on_file.state == ClientStatus.KNOWN:
        return KnownOutcome.UNCHANGED if on_file.full_phone else KnownOutcome.ADD_PHONE
    if is_protected(on_file.protected_until, now):
        return KnownOutcome.PROTECTED
    return KnownOutcome.MARK_KNOWN
