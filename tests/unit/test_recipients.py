"""Who may still hear a queued push, judged when it is sent (R12)."""

from __future__ import annotations

import pytest

from models.policy import PushKind
from models.policy.recipients import AUDIENCE, NOBODY, Audience, Standing, entitled

AGENT = Standing(bound_agent=True)
MANAGER = Standing(staff_posts=1)
AGENT_KINDS = [kind for kind, audience in AUDIENCE.items() if audience == Audience.AGENT]
STAFF_KINDS = [kind for kind, audience in AUDIENCE.items() if audience == Audience.STAFF]


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_an_unbound_agent_hears_no_ruling_reminder_deal_or_violation_queued_before(
    kind: str,
) -> None:
    ruling = entitled(kind, NOBODY)
    assert not ruling.ok and ruling.rule == "R12"
    assert ruling.why == "withheld: the recipient is no bound agent any more"
    assert entitled(kind, AGENT).ok


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_staff_with_no_post_left_get_no_digest_claim_or_chart(kind: str) -> None:
    assert entitled(kind, NOBODY).why == "withheld: the recipient has no staff post left"
    assert entitled(kind, MANAGER).ok
    assert entitled(kind, Standing(staff_posts=2)).ok


def test_the_unbound_agent_is_still_told_of_the_unbinding_itself() -> None:
    assert entitled(PushKind.ROSTER, NOBODY).ok


def test_an_agents_push_does_not_go_to_a_staff_member_nor_a_staff_push_to_an_agent() -> None:
    assert not entitled(PushKind.RULING, MANAGER).ok
    assert not entitled(PushKind.MORNING_DIGEST, AGENT).ok


def test_every_message_kind_has_an_audience_and_the_staff_tagging_is_no_message() -> None:
    assert set(AUDIENCE) == set(PushKind) - {PushKind.STAFF_TAG}
    assert entitled(PushKind.STAFF_TAG, NOBODY).ok  # `staff remove` drops a waiting one
