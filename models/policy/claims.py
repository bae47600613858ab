"""Conflict claims (撞单, R10): when a claim may be made, and the ruling over a deal.

A distributor's agent claims a client whose deal is attributed elsewhere (R9), within the
project's ``claim_window_days`` of the client's first deal event (that day is day 1;
0 = no deadline). A manager's ``裁定`` then rules once over every competing distributor:
the deal's attributed one and each claimant, each with its records (its protection rows)
on the deal's client and on the clients staff linked to it as relatives or co-buyers.

The tie-break order (domain.md R10), the first step that leaves one distributor decides
and is named in the ruling:

1. R10.1: only protections valid at the deal's time count;
2. R10.2: a record agreeing with the client's known details (the full phone from the deal
   or the front desk, the ID number and name from the deal) beats one contradicting them;
3. R10.3: the earliest lock time wins (``Protection.lock_at``: the arrival time of the
   approved visit that started the protection, or the filing time of a filing never
   visited; with ``claim_first_filer_wins``, 渠道带客's variant, the filing time always);
4. R10.4: the same over relatives and co-buyers: when a competing record is on a linked
   client, the earliest lock time among them all wins, and the ruling names R10.4;
5. R10.5: a manager's override, with a reason, replaces the computed winner.

A tie on lock time keeps the deal's current attribution (nothing proves it wrong).

Pure: times are arguments; no clock, no table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.policy.dates import claim_deadline
from models.policy.rules import mask_matches
from models.policy.states import ProtectionEnd
from models.policy.values import Policy

#: Ends that mean the row never protected the client at a later deal (withdrawn, refused).
NOT_VALID_ENDS = frozenset({ProtectionEnd.CANCELLED, ProtectionEnd.REJECTED})


class Step(StrEnum):
    """The point of R10 that decided a ruling (logged as the ruling's rule)."""

    VALID = "R10.1"
    DETAILS = "R10.2"
    LOCK = "R10.3"
    RELATIVES = "R10.4"
    OVERRIDE = "R10.5"


class Details(StrEnum):
    """How a record's details compare with what is known of the client (R10.2)."""

    CORRECT = "correct"  # its desk-recorded full phone is the client's
    UNCHECKED = "unchecked"  # nothing contradicts it (the mask and name agree)
    WRONG = "wrong"  # its mask, full phone or name contradicts the client's


# ---------------------------------------------------------------- the window


@dataclass(frozen=True)
class WindowCheck:
    """Whether a claim made at ``now`` is in time; ``deadline`` None: no deadline."""

    open: bool
    deadline: datetime | None


def check_window(
    first_event_at: datetime, now: datetime, policy: Policy, tz: ZoneInfo
) -> WindowCheck:
    """R10: a claim is in time until the end of day ``claim_window_days`` (the first deal
    event's day is day 1: deal 12-01 -> until 12-03 23:59:59); 0 = no deadline."""
    deadline = claim_deadline(first_event_at, policy, tz)
    return WindowCheck(deadline is None or now <= deadline, deadline)


# ---------------------------------------------------------------- the facts


@dataclass(frozen=True)
class Row:
    """One protection row of a distributor on one client."""

    starts_at: datetime
    ends_at: datetime
    ended_reason: str | None
    lock_at: datetime  # R10.3's lock time (the visit's arrival, or the filing time)
    filed_at: datetime  # the filing's time (渠道带客's first-filer variant)


@dataclass(frozen=True)
class Record:
    """A distributor's filing of a client, with its protection rows.

    ``relation`` None: a record of the deal's buyer (on the deal's client, or the same
    person filed under another number); else the link staff made (配偶, 共同购买, ...)
    and the record is compared with its own client's details.
    """

    distributor_id: int
    filing_id: int
    client_id: int
    name: str
    phone_mask: str
    rows: tuple[Row, ...]
    relation: str | None = None
    full_phone: str | None = field(default=None, repr=False)  # the desk's, at its arrival


@dataclass(frozen=True)
class Known:
    """What is known of one client's details: the deal's buyer, else the desk's record."""

    full_phone: str | None = field(default=None, repr=False)
    id_number: str | None = field(default=None, repr=False)
    name: str | None = None


@dataclass(frozen=True)
class Case:
    """Everything a ruling weighs, read by ``models.claim_rulings``."""

    deal_at: datetime  # the client's first live deal event
    deal_client_id: int
    attributed: int | None  # the deal's distributor (R9); None: nobody
    claimants: tuple[int, ...]  # the distributors with an open claim
    records: tuple[Record, ...]
    known: dict[int, Known]  # by client id; the deal's client's from the deal record


# ---------------------------------------------------------------- the ruling


@dataclass(frozen=True)
class Standing:
    """One competing distributor's best record, as the ruling saw it."""

    distributor_id: int
    valid: bool
    details: Details
    lock_at: datetime | None
    filing_id: int | None
    relation: str | None


@dataclass(frozen=True)
class ClaimRuling:
    """The ruling: the winner (None: nobody), the step that decided it, and the facts."""

    winner: int | None
    step: Step
    attributed: int | None
    computed: int | None  # what R10.1-R10.4 gave (== winner unless overridden)
    standings: tuple[Standing, ...]
    computed_step: Step
    override_reason: str | None = None

    @property
    def moved(self) -> bool:
        """The deal's attribution changes."""
        return self.winner != self.attributed

    @property
    def rule(self) -> str:
        return self.step.value

    def standing(self, distributor_id: int | None) -> Standing | None:
        return next((s for s in self.standings if s.distributor_id == distributor_id), None)


@dataclass(frozen=True)
class Override:
    """R10.5: the manager's winner (a distributor id) and reason."""

    distributor_id: int
    reason: str


def rule_claims(case: Case, policy: Policy, override: Override | None = None) -> ClaimRuling:
    """R10: rule over the deal's attributed distributor and every claimant."""
    competitors = list(dict.fromkeys(
        [d for d in (case.attributed, *case.claimants) if d is not None]
    ))  # fmt: skip
    standings = tuple(_standing(d, case, policy) for d in competitors)
    winner, step = _decide(standings, case.attributed)
    if override is not None:
        return ClaimRuling(
            override.distributor_id, Step.OVERRIDE, case.attributed, winner, standings, step,
            override.reason,
        )  # fmt: skip
    return ClaimRuling(winner, step, case.attributed, winner, standings, step)


def _decide(standings: Sequence[Standing], attributed: int | None) -> tuple[int | None, Step]:
    valid = [s for s in standings if s.valid]
    if len(valid) <= 1:
        return (valid[0].distributor_id if valid else None), Step.VALID
    right = [s for s in valid if s.details is not Details.WRONG]
    if len(right) == 1:
        return right[0].distributor_id, Step.DETAILS
    pool = right or valid
    step = Step.RELATIVES if any(s.relation for s in pool) else Step.LOCK
    first = min(s.lock_at for s in pool if s.lock_at is not None)
    tied = [s.distributor_id for s in pool if s.lock_at == first]
    return (attributed if attributed in tied else tied[0]), step


def _standing(distributor_id: int, case: Case, policy: Policy) -> Standing:
    """The distributor's best record: valid first, then right details, then earliest lock."""
    seen = [
        _weigh(record, case, policy) for record in case.records
        if record.distributor_id == distributor_id
    ]  # fmt: skip
    if not seen:
        return Standing(distributor_id, False, Details.UNCHECKED, None, None, None)
    return min(seen, key=_rank)


def _rank(standing: Standing) -> tuple[bool, bool, datetime | None]:
    lock = standing.lock_at or datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    return (not standing.valid, standing.details is Details.WRONG, lock)


def _weigh(record: Record, case: Case, policy: Policy) -> Standing:
    row = row_at(record.rows, case.deal_at)
    shown = row or (max(record.rows, key=lambda r: r.starts_at) if record.rows else None)
    lock = None
    if shown is not None:
        lock = shown.filed_at if policy.claim_first_filer_wins else shown.lock_at
    subject = case.deal_client_id if record.relation is None else record.client_id
    details = compare(record, case.known.get(subject, Known()))
    return Standing(
        record.distributor_id, row is not None, details, lock, record.filing_id, record.relation
    )


def row_at(rows: Sequence[Row], deal_at: datetime) -> Row | None:
    """R10.1: the row protecting the client at the deal's time (the latest started), if any.

    A row withdrawn (cancelled) or refused (rejected) never counts; one superseded by the
    same distributor's visit counts until its own end, as the visit row does.
    """
    valid = [
        row for row in rows
        if row.starts_at <= deal_at <= row.ends_at and row.ended_reason not in NOT_VALID_ENDS
    ]  # fmt: skip
    return max(valid, key=lambda row: row.starts_at, default=None)


def compare(record: Record, known: Known) -> Details:
    """R10.2: the filed mask and name and the desk's full phone against the known ones."""
    phone = known.full_phone
    if phone and not mask_matches(record.phone_mask, phone):
        return Details.WRONG
    if phone and record.full_phone and record.full_phone != phone:
        return Details.WRONG
    if known.name and known.name != record.name:
        return Details.WRONG
    if phone and record.full_phone == phone:
        return Details.CORRECT
    return Details.UNCHECKED
