"""A manager's commission exclusion of a client's deals: ``不计佣`` (issue 18 item 1, R9).

A manager who finds a deal was dumped on the site (甩客) or a client hidden from it
(藏客) marks the client's live deals as earning no commission, with the reason, who and
when; the attribution stays as R9 ruled it and the commission report (issue 19) leaves
the deals out. The ruling is pure (``models.policy.deals.exclude_from_commission``) and
logged naming R9 with the project's policy values. There is no undo (not required): a
wrong exclusion is corrected in the data by an operator, which the log makes visible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update

from models.accounts import log_decision
from models.db import make_session_factory
from models.deal_entities import Deal
from models.deals import DealOutcome, Result, find, policy_values
from models.identity import Identity
from models.policy import Role
from models.policy.deals import exclude_from_commission

__all__ = ["exclude"]


def exclude(
    engine: Engine, identity: Identity, filing_no: int, reason: str, now: datetime
) -> DealOutcome:
    """不计佣 (managers of the filing's project): the client's live deals, not yet
    excluded, earn no commission; nothing is written when there is none."""
    with make_session_factory(engine).begin() as session:
        found = find(session, identity, filing_no, frozenset({Role.MANAGER}))
        if isinstance(found, DealOutcome):
            return found
        client, post = found.client, found.post
        marked = session.execute(
            update(Deal)
            .where(
                Deal.client_id == client.id, Deal.voided_at.is_(None),
                Deal.excluded_at.is_(None),
            )
            .values(excluded_at=now, excluded_by=post.staff_id, exclude_reason=reason)
            .returning(Deal.id)
        ).all()  # fmt: skip
        ruling = exclude_from_commission(len(marked), reason)
        if not marked:
            return DealOutcome(Result.NOTHING_TO_EXCLUDE, filing_no, client.name,
                               client.phone_mask)  # fmt: skip
        log_decision(
            session, now, f"staff:{post.staff_id}", "deal_exclude", f"client:{client.id}",
            ruling.rule, ruling.outcome, ruling.explanation,
            {"filing_id": filing_no, "deal_ids": [row.id for row in marked], "reason": reason},
            client.project_id, policy_values(session, client.project_id),
        )  # fmt: skip
        return DealOutcome(Result.EXCLUDED, filing_no, client.name, client.phone_mask,
                           explanation=ruling.explanation, count=len(marked))  # fmt: skip
