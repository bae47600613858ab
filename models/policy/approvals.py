"""A manager's rulings on the case site (R5 approval, R6 bulk, R7 renewal), pure.

The front desk's registration proposes a ruling (``valid`` or ``natural``,
``models.policy.arrivals.decide_arrival``); the manager's ``通过`` or ``驳回`` decides it,
and ``大宗`` extends a visited client's protection once. Every function here turns plain
facts into a ``StaffRuling`` that names its rule and explains itself in the rule book's
words; the caller (``models.approvals``) persists it and logs it with the policy values.

Worked examples (domain.md), each a unit test:
- approved, visited 11-22 -> protected until 01-05 23:59:59, even when approved 11-25 (R5);
- 大宗 on a client visited 11-22 -> until 02-19 23:59:59; a second 大宗 is refused (R6);
- protected until 01-05: a re-visit on 12-31, approved -> until 02-19 (R7); one on 12-29
  changes nothing and says the window opens 12-30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.policy.dates import (
    bulk_extension_end,
    renewal_window_start,
    renewed_end,
    visit_protection_end,
)
from models.policy.values import Policy
from models.policy.wording import day_words as _day

VALID, NATURAL = "valid", "natural"  # the ProposedRuling values an arrival stores
EXPIRED_WORDS = "到访保护期已结束，客户已转为案场公客"
STOPPED_WORDS = "该分销商已停止合作并列入黑名单（R11）"


class Outcome(StrEnum):
    """What a manager's command came to. The first six change something."""

    APPROVED = "approved"  # R5: the visit protection starts
    APPROVED_EXCEPTION = "approved_exception"  # R2's 原则上: a manager's recorded exception
    RENEWED = "renewed"  # R7: a re-visit inside the window
    REVISIT_CONFIRMED = "revisit_confirmed"  # R7: a re-visit before the window, no change
    REJECTED = "rejected"  # R5: a natural visit
    BULK_EXTENDED = "bulk_extended"  # R6
    NEEDS_EXCEPTION = "needs_exception"  # a natural proposal under R2: 例外 and a reason
    NO_EXCEPTION = "no_exception"  # natural under another rule: no manager may waive it
    NOT_VISITED = "not_visited"  # R6 on a client with no approved visit
    NOT_PROTECTED = "not_protected"  # R6 after the visit protection ended (R8)
    ALREADY_BULK = "already_bulk"  # R6: once per client
    BULK_OFF = "bulk_off"  # the project has no bulk extension (bulk_extension_days = 0)


#: Outcomes that change the arrival, the protection or both.
DECIDED = frozenset(
    {
        Outcome.APPROVED,
        Outcome.APPROVED_EXCEPTION,
        Outcome.RENEWED,
        Outcome.REVISIT_CONFIRMED,
        Outcome.REJECTED,
        Outcome.BULK_EXTENDED,
    }
)


@dataclass(frozen=True)
class StaffRuling:
    """A manager's command as ruled: the outcome, its rule and the dates it names."""

    outcome: Outcome
    rule: str
    until: datetime | None = None  # the protection's end after the ruling
    previous: datetime | None = None  # the end before it (R6, R7)
    window_opens: date | None = None  # R7: the first day of the renewal window
    proposed_rule: str | None = None  # the rule that made the proposal natural
    proposal: str | None = None  # the proposal's own explanation (decide_arrival's)
    reason: str | None = None  # the manager's typed reason (rejection, exception)

    @property
    def ok(self) -> bool:
        return self.outcome in DECIDED

    @property
    def protects(self) -> bool:
        """The client is (still) the channel's after this ruling."""
        return self.outcome in DECIDED - {Outcome.REJECTED}

    def explanation(self) -> str:
        """The ruling in the rule book's words (Chinese): logged, told to staff and agent."""
        return _explain(self)


@dataclass(frozen=True)
class ArrivalFacts:
    """A pending arrival as the manager's ruling sees it.

    ``protected_until``: the end of the filing distributor's visit protection when it
    still held at the arrival (a re-visit, R7); None otherwise. ``visited``: the filing
    had an approved visit already (a re-visit after its protection ended is R8's 公客).
    """

    proposed: str  # VALID | NATURAL
    proposed_rule: str
    explanation: str
    arrived_at: datetime
    protected_until: datetime | None = None
    visited: bool = False
    cooperation_stopped: bool = False  # the filing's distributor is blacklisted (R11)


def decide_revisit(
    protected_until: datetime, revisit_at: datetime, policy: Policy, tz: ZoneInfo
) -> StaffRuling:
    """R7: a confirmed re-visit inside the last N days (end day included) renews from the
    day after the old end; earlier, nothing changes. Until 01-05: 12-31 -> until 02-19;
    12-29 -> still 01-05, the window opens 12-30. Also what the registration proposes."""
    renewed = renewed_end(protected_until, revisit_at, policy, tz)
    opens = renewal_window_start(protected_until, policy, tz)
    if renewed is None:
        return StaffRuling(Outcome.REVISIT_CONFIRMED, "R7", protected_until, protected_until, opens)
    return StaffRuling(Outcome.RENEWED, "R7", renewed, protected_until, opens)


def decide_approval(
    facts: ArrivalFacts, exception: str | None, policy: Policy, tz: ZoneInfo
) -> StaffRuling:
    """``通过 #N [例外 <理由>]``: a valid proposal starts (or renews) the protection.

    A natural proposal is approved only as an exception to R2's notice (the seed's
    原则上), with the manager's reason; natural under R3/R4/R8 (known, lapsed, 公客) is
    no rule a manager may waive here: they reject it (or, for R10.5, rule on a claim).
    An arrival still pending when its distributor was blacklisted (R11) starts nothing:
    cooperation has stopped, so no new protection is granted; the manager rejects it.
    """
    if facts.cooperation_stopped:
        return StaffRuling(Outcome.NO_EXCEPTION, "R11", proposal=STOPPED_WORDS)
    if facts.visited:  # a re-visit: it renews or it does not (R7), it never starts anew
        if facts.protected_until is None:  # over by this arrival: the site's 公客 (R8)
            return StaffRuling(Outcome.NO_EXCEPTION, "R8", proposal=EXPIRED_WORDS)
        if facts.proposed == VALID:
            return decide_revisit(facts.protected_until, facts.arrived_at, policy, tz)
        return _natural(Outcome.NO_EXCEPTION, facts)
    until = visit_protection_end(facts.arrived_at, policy, tz)
    if facts.proposed == VALID:
        return StaffRuling(Outcome.APPROVED, "R5", until, proposal=facts.explanation)
    if facts.proposed_rule != "R2":
        return _natural(Outcome.NO_EXCEPTION, facts)
    if not exception:
        return _natural(Outcome.NEEDS_EXCEPTION, facts)
    return _natural(Outcome.APPROVED_EXCEPTION, facts, until, exception)


def _natural(
    outcome: Outcome, facts: ArrivalFacts, until: datetime | None = None,
    reason: str | None = None,
) -> StaffRuling:  # fmt: skip
    """A ruling on a natural proposal, naming the rule that made it natural."""
    return StaffRuling(
        outcome, facts.proposed_rule, until, proposed_rule=facts.proposed_rule,
        proposal=facts.explanation, reason=reason,
    )  # fmt: skip


def decide_rejection(facts: ArrivalFacts, reason: str) -> StaffRuling:
    """``驳回 #N <理由>``: a natural visit (R5). A rejected re-visit leaves the visit
    protection as it stands (until its end), it only renews nothing."""
    return StaffRuling(
        Outcome.REJECTED, "R5", until=facts.protected_until, proposal=facts.explanation,
        reason=reason,
    )  # fmt: skip


@dataclass(frozen=True)
class BulkFacts:
    """A filing's client as R6 sees it."""

    visited: bool  # an approved visit of this filing
    protected_until: datetime | None  # the open visit protection's end, if any
    extended_before: bool  # a bulk extension of this client exists already


def decide_bulk(facts: BulkFacts, now: datetime, policy: Policy, tz: ZoneInfo) -> StaffRuling:
    """R6: +45 days on a visited, still protected client, once: until 01-05 -> 02-19."""
    if not facts.visited:
        return StaffRuling(Outcome.NOT_VISITED, "R6")
    if facts.protected_until is None or now > facts.protected_until:
        return StaffRuling(Outcome.NOT_PROTECTED, "R8", previous=facts.protected_until)
    if facts.extended_before:
        return StaffRuling(Outcome.ALREADY_BULK, "R6", facts.protected_until)
    if policy.bulk_extension_days <= 0:
        return StaffRuling(Outcome.BULK_OFF, "R6", facts.protected_until)
    until = bulk_extension_end(facts.protected_until, policy, tz)
    return StaffRuling(Outcome.BULK_EXTENDED, "R6", until, facts.protected_until)


# ---------------------------------------------------------------- the rule book's words


def _explain(r: StaffRuling) -> str:
    why = f"（{r.reason}）" if r.reason else ""
    match r.outcome:
        case Outcome.APPROVED:
            return f"到访确认有效，到访保护至 {_day(r.until)}"
        case Outcome.APPROVED_EXCEPTION:
            return f"案场经理按例外确认有效{why}，到访保护至 {_day(r.until)}"
        case Outcome.RENEWED:
            return f"续期窗口内复访确认，到访保护由 {_day(r.previous)} 续至 {_day(r.until)}"
        case Outcome.REVISIT_CONFIRMED:
            return (
                f"复访已确认，但不在续期窗口内（{_day(r.window_opens)} 起），"
                f"保护期不变，仍至 {_day(r.until)}"
                if r.window_opens
                else f"复访已确认，本项目不设续期，保护期不变，仍至 {_day(r.until)}"
            )
        case Outcome.REJECTED:
            kept = f"；原到访保护不变，仍至 {_day(r.until)}" if r.until else "，按自然到访处理"
            return f"到访经案场审核未通过{why}{kept}"
        case Outcome.BULK_EXTENDED:
            return f"大宗客户延期，到访保护由 {_day(r.previous)} 延至 {_day(r.until)}"
        case Outcome.NEEDS_EXCEPTION:
            return (
                f"建议为自然到访（{r.proposal}）；如确需例外通过，请写明理由：通过 #编号 例外 理由"
            )
        case Outcome.NO_EXCEPTION:
            return f"建议为自然到访（{r.proposal}），不适用例外，请驳回"
        case Outcome.NOT_VISITED:
            return "该客户尚无经确认的到访，不能设为大宗客户"
        case Outcome.NOT_PROTECTED:
            ended = f"已于 {_day(r.previous)} 结束" if r.previous else "已结束"
            return f"该客户的到访保护期{ended}，不能延期"
        case Outcome.ALREADY_BULK:
            return f"该客户已按大宗客户延期过一次，不能再次延期（保护至 {_day(r.until)}）"
        case Outcome.BULK_OFF:
            return "本项目不设大宗客户延期"
    raise AssertionError(r.outcome)  # pragma: no cover
