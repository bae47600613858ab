"""R11 violations as pure rulings: what a manager's record of a violation decides.

Seed 000 (分销商客户管理规定) names two violations of a distributor. Interception (拦截,
截客, 翘客: soliciting near the sales office, grabbing another's client): "第一次罚款5万,
第二次停止合作,拉入黑名单": the first one is a fine, the second one (counted over every
project, since the distributor is one company) stops cooperation at once. False filing
(违约报备: a client who is not theirs): the commission for that client is withheld (or,
if paid, refunded within 3 days of the notice) and the developer may end the contract
with 100,000 yuan of liquidated damages, so the damages are recorded as the policy's
amount, not as charged.

Pure: the count of earlier interceptions and the time of the record are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.policy.dates import end_of_day, local_day
from models.policy.values import Policy

RULE = "R11"


class ViolationKind(StrEnum):
    """The two violations of R11, as stored (``violations.kind``)."""

    INTERCEPTION = "interception"  # 截客: fined, then blacklisted
    FALSE_FILING = "false_filing"  # 违约报备: commission withheld, damages, refund


class ViolationOutcome(StrEnum):
    """What the record decided (the decision log's ``outcome``)."""

    FINED = "fined"  # a first interception
    BLACKLISTED = "blacklisted"  # a second (or later) interception, in any project
    WITHHELD = "withheld"  # a false filing: the client's commission withheld


@dataclass(frozen=True)
class ViolationRuling:
    """The decision on one violation, with the amounts of the policy it was made under."""

    kind: ViolationKind
    outcome: ViolationOutcome
    offence: int  # this distributor's nth violation of this kind (1 = first)
    fine_yuan: int | None = None  # a first interception's fine (None: none, or 0 = off)
    damages_yuan: int | None = None  # a false filing's liquidated damages (policy's)
    refund_due_at: datetime | None = None  # a paid commission is returned by then
    rule: str = RULE

    @property
    def blacklist(self) -> bool:
        return self.outcome is ViolationOutcome.BLACKLISTED


def refund_deadline(noticed_at: datetime, policy: Policy, tz: ZoneInfo) -> datetime | None:
    """R11: a paid commission is returned within N days of the notice, the notice day
    being day 1 (as R10's claim window): noticed 12-01 10:00, 3 days -> 12-03 23:59:59.
    0 = no deadline."""
    if policy.refund_deadline_days <= 0:
        return None
    day = local_day(noticed_at, tz) + timedelta(days=policy.refund_deadline_days - 1)
    return end_of_day(day, tz)


def rule_violation(
    kind: ViolationKind,
    earlier_interceptions: int,
    recorded_at: datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> ViolationRuling:
    """Decide one violation of a distributor recorded at ``recorded_at``.

    ``earlier_interceptions`` counts the distributor's interceptions recorded before this
    one in every project: none -> a fine of ``interception_fine_yuan`` (0: no fine);
    one or more -> cooperation stopped and the distributor blacklisted at once. A false
    filing withholds the client's commission and records the damages and refund deadline.
    """
    if kind is ViolationKind.INTERCEPTION:
        offence = earlier_interceptions + 1
        if earlier_interceptions == 0:
            fine = policy.interception_fine_yuan or None
            return ViolationRuling(kind, ViolationOutcome.FINED, offence, fine_yuan=fine)
        return ViolationRuling(kind, ViolationOutcome.BLACKLISTED, offence)
    return ViolationRuling(
        kind,
        ViolationOutcome.WITHHELD,
        1,
        damages_yuan=policy.false_filing_damages_yuan or None,
        refund_due_at=refund_deadline(recorded_at, policy, tz),
    )
