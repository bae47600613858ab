"""裁定: a manager's final ruling of a deal's conflict claims (R10).

``裁定 #编号`` names a filing: the deal is the first live deal of that filing's client
(or of a client linked to it); failing that, the deal of the latest claim made from that
filing. The pending list shows the number to use. The ruling is computed by
``models.policy.claims.rule_claims`` (R10.1-R10.4), or overridden by the manager with a
reason (``改判 <分销商全称> <理由>``, R10.5, naming one of the parties). It is final:
one per deal; it settles every open claim, moves the attribution of the client's live
deals when it changes, is logged with its rule, the policy values and the facts, and
every party's agent is pushed it without another company's name (R3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from models import outbox
from models import policy as rules
from models.accounts import log_decision
from models.claim_cases import read_case
from models.claim_entities import Claim, ClaimRulingRow, ClaimStatus
from models.claims import deal_for_client
from models.db import make_session_factory
from models.deal_entities import Deal
from models.entities import Agent, Distributor, Filing, Project
from models.identity import Identity
from models.policy.claim_wording import (
    ClaimPushFacts,
    computed_explanation,
    explanation,
    ruling_push,
    standing_line,
)
from models.policy.claims import ClaimRuling, Override, rule_claims
from models.privacy import scrub

__all__ = ["Result", "RulingOutcome", "rule"]

Said = tuple[int, str, str]  # the named filing as replies show it: number, name, mask


class Result(Enum):
    RULED = "ruled"
    ALREADY_RULED = "already_ruled"
    NOT_FOUND = "not_found"  # no such filing, or another project's (R12: alike)
    NOT_MANAGER = "not_manager"
    NO_DEAL = "no_deal"
    NO_CLAIMS = "no_claims"
    BAD_OVERRIDE = "bad_override"  # the named distributor is not a party


@dataclass(frozen=True)
class RulingOutcome:
    result: Result
    filing_no: int
    client_name: str = ""
    phone_mask: str = ""
    computed: str = ""  # the computed ruling's explanation (R10.1-R10.4)
    final: str = ""  # the final explanation (== computed unless overridden)
    rule: str = ""
    winner: str | None = None  # company names: a manager's reply only
    previous: str | None = None
    computed_winner: str | None = None
    parties: tuple[str, ...] = ()  # one line per competitor
    told: int = 0


def rule(
    engine: Engine, identity: Identity, filing_no: int, override: tuple[str, str] | None,
    now: datetime, tz: ZoneInfo,
) -> RulingOutcome:  # fmt: skip
    """Rule the deal's claims once and for all, or say how it was ruled."""
    with make_session_factory(engine).begin() as session:
        found = _locked_deal(session, identity, filing_no)
        if isinstance(found, RulingOutcome):
            return found
        deal, staff_id, said = found
        done = session.scalar(select(ClaimRulingRow).where(ClaimRulingRow.deal_id == deal.id))
        if done is not None:
            return _as_ruled(session, done, said)
        claims = session.scalars(
            select(Claim).where(Claim.deal_id == deal.id, Claim.status == ClaimStatus.OPEN)
            .order_by(Claim.id)
        ).all()  # fmt: skip
        if not claims:
            return RulingOutcome(Result.NO_CLAIMS, *said)
        return _rule_open(session, deal, claims, override, staff_id, said, now, tz)


def _locked_deal(
    session: Session, identity: Identity, filing_no: int
) -> tuple[Deal, int, Said] | RulingOutcome:
    """The deal a manager's ``裁定 #编号`` is about, its row locked: a second manager's
    ruling of the same deal waits here, then finds it ruled (one ruling per deal)."""
    filing = session.get(Filing, filing_no)
    post = identity.post_in(filing.project_id) if filing else None
    if filing is None or post is None:
        return RulingOutcome(Result.NOT_FOUND, filing_no)
    said = (filing.id, filing.client_name, filing.phone_mask)
    if post.role != rules.Role.MANAGER:
        return RulingOutcome(Result.NOT_MANAGER, *said)
    deal = _deal(session, filing)
    if deal is None:
        return RulingOutcome(Result.NO_DEAL, *said)
    session.execute(select(Deal.id).where(Deal.id == deal.id).with_for_update())
    return deal, post.staff_id, said


def _rule_open(
    session: Session, deal: Deal, claims: Sequence[Claim], override: tuple[str, str] | None,
    staff_id: int, said: Said, now: datetime, tz: ZoneInfo,
) -> RulingOutcome:  # fmt: skip
    """Compute (or override) the ruling of the deal's open claims, store, log, push it."""
    project = session.get(Project, deal.project_id)
    assert project is not None
    policy = rules.Policy.from_stored(project.policy)
    case = read_case(session, deal, claims)
    chosen = _override(session, override, {case.attributed, *case.claimants} - {None})
    if chosen is False:
        return RulingOutcome(Result.BAD_OVERRIDE, *said)
    ruling = rule_claims(case, policy, chosen if isinstance(chosen, Override) else None)
    row = _settle(session, deal, claims, ruling, staff_id, now, tz)
    _log(session, deal, claims, ruling, row, staff_id, now, policy)
    told = _tell_parties(session, project, deal, claims, ruling, row, now, tz)
    return _outcome(session, said, ruling, row, told, tz)


def _deal(session: Session, filing: Filing) -> Deal | None:
    """The filing's client's deal (or a linked client's); else the deal its latest claim
    is on: a deal recorded by full phone on a client the site created has no number of
    its own, and a claimant's filing of the same person under another name or mask is
    on another client, so the claim is what ties the number to the deal."""
    if filing.client_id is not None and (deal := deal_for_client(session, filing.client_id)):
        return deal
    claim = session.scalar(
        select(Claim).where(Claim.filing_id == filing.id).order_by(Claim.id.desc()).limit(1)
    )
    return session.get(Deal, claim.deal_id) if claim else None


def _override(
    session: Session, override: tuple[str, str] | None, parties: set[int | None]
) -> Override | None | bool:
    """The manager's 改判: a party's full name and the reason; False: not a party."""
    if override is None:
        return None
    company, reason = override
    found = session.scalar(select(Distributor.id).where(Distributor.name == company))
    if found is None or found not in parties:
        return False
    return Override(found, scrub(reason))


def _settle(
    session: Session, deal: Deal, claims: Sequence[Claim], ruling: ClaimRuling,
    staff_id: int, now: datetime, tz: ZoneInfo,
) -> ClaimRulingRow:  # fmt: skip
    """Store the ruling, settle the open claims, move the client's live deals if it moves."""
    row = ClaimRulingRow(
        deal_id=deal.id, project_id=deal.project_id, ruled_by=staff_id, ruled_at=now,
        rule=ruling.rule, previous_distributor_id=ruling.attributed,
        computed_distributor_id=ruling.computed, winner_distributor_id=ruling.winner,
        override_reason=ruling.override_reason, explanation=explanation(ruling, tz),
    )  # fmt: skip
    session.add(row)
    session.flush()
    for claim in claims:
        upheld = claim.distributor_id == ruling.winner
        claim.status = ClaimStatus.UPHELD if upheld else ClaimStatus.DISMISSED
        claim.ruling_id = row.id
    if ruling.moved:
        session.execute(
            update(Deal)
            .where(Deal.client_id == deal.client_id, Deal.voided_at.is_(None))
            .values(distributor_id=ruling.winner)
        )
    return row


def _log(
    session: Session, deal: Deal, claims: Sequence[Claim], ruling: ClaimRuling,
    row: ClaimRulingRow, staff_id: int, now: datetime, policy: rules.Policy,
) -> None:  # fmt: skip
    facts: dict[str, Any] = {
        "deal_id": deal.id, "deal_at": deal.event_at.isoformat(),
        "claim_ids": [claim.id for claim in claims], "previous": ruling.attributed,
        "computed": ruling.computed, "computed_rule": ruling.computed_step.value,
        "winner": ruling.winner, "override_reason": ruling.override_reason,
        "standings": [
            {"distributor_id": s.distributor_id, "valid": s.valid, "details": s.details.value,
             "lock_at": s.lock_at.isoformat() if s.lock_at else None,
             "filing_id": s.filing_id, "relation": s.relation}
            for s in ruling.standings
        ],
    }  # fmt: skip
    outcome = "moved" if ruling.moved else "kept"
    log_decision(
        session, now, f"staff:{staff_id}", "claim_ruling", f"deal:{deal.id}", ruling.rule,
        outcome, row.explanation, facts, deal.project_id, policy.as_dict(),
    )  # fmt: skip


def _tell_parties(
    session: Session, project: Project, deal: Deal, claims: Sequence[Claim],
    ruling: ClaimRuling, row: ClaimRulingRow, now: datetime, tz: ZoneInfo,
) -> int:  # fmt: skip
    """Each party's agent, once: the claimants, the attributed one's, the winner's."""
    filings: dict[int, int] = {claim.agent_id: claim.filing_id for claim in claims}
    for distributor in (ruling.attributed, ruling.winner):
        standing = ruling.standing(distributor)
        if standing is not None and standing.filing_id is not None:
            filing = session.get(Filing, standing.filing_id)
            if filing is not None:
                filings.setdefault(filing.agent_id, filing.id)
    told = 0
    for agent_id, filing_id in filings.items():
        filing = session.get(Filing, filing_id)
        assert filing is not None
        openid = session.scalar(select(Agent.openid).where(
            Agent.id == agent_id, Agent.distributor_id == filing.distributor_id
        ))  # fmt: skip
        if openid is None:
            continue
        facts = ClaimPushFacts(project.name, filing.client_name, filing.phone_mask,
                               filing.id, now.astimezone(tz))  # fmt: skip
        ours = ruling.winner == filing.distributor_id
        text, fields = ruling_push(facts, ours, ruling.rule, row.explanation)
        told += outbox.push_now(
            session, kind=rules.PushKind.RULING, subject=f"claimruling:{row.id}:agent:{agent_id}",
            openid=openid, text=text, fields=fields, now=now, tz=tz,
        )  # fmt: skip
    return told


def _name(session: Session, distributor_id: int | None) -> str | None:
    if distributor_id is None:
        return None
    return session.scalar(select(Distributor.name).where(Distributor.id == distributor_id))


def _outcome(
    session: Session, said: Said, ruling: ClaimRuling, row: ClaimRulingRow,
    told: int, tz: ZoneInfo,
) -> RulingOutcome:  # fmt: skip
    parties = tuple(
        standing_line(s, _name(session, s.distributor_id) or "-", tz) for s in ruling.standings
    )
    return RulingOutcome(
        Result.RULED, *said, computed_explanation(ruling, tz), row.explanation, ruling.rule,
        _name(session, ruling.winner), _name(session, ruling.attributed),
        _name(session, ruling.computed), parties, told,
    )  # fmt: skip


def _as_ruled(session: Session, row: ClaimRulingRow, said: Said) -> RulingOutcome:
    """A ruled deal: the ruling stands (final) and is shown again."""
    return RulingOutcome(
        Result.ALREADY_RULED, *said, row.explanation, row.explanation, row.rule,
        _name(session, row.winner_distributor_id), _name(session, row.previous_distributor_id),
        _name(session, row.computed_distributor_id),
    )  # fmt: skip
