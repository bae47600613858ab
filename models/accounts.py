"""Projects, distributors and invite codes: the operator's side (binding: ``models.binding``).

Every change of a distributor's standing is a decision and goes into the log (R12), since
it decides whether its agents may file (R3).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import DecisionLogEntry, Distributor, InviteCode, Project
from models.policy import DistributorStatus, Policy
from models.policy.roster import invite_expires_at
from models.privacy import scrub, scrub_json
from models.requests import INVITE_ALPHABET, INVITE_LENGTH

DISTRIBUTOR_STATUSES = tuple(DistributorStatus)
STAFF_ROLES = ("frontdesk", "manager")


class AccountError(ValueError):
    """An operator's request that cannot be carried out; the message says why."""


def log_decision(
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    subject: str,
    rule: str,
    outcome: str,
    explanation: str,
    facts: dict[str, Any],
    project_id: int | None = None,
    policy: dict[str, Any] | None = None,
) -> None:
    """Keep a decision (R12); what it quotes of typed text is scrubbed of phones first."""
    session.add(
        DecisionLogEntry(
            at=now,
            actor=actor,
            action=action,
            subject=subject,
            rule=rule,
            outcome=outcome,
            explanation=scrub(explanation),
            facts=scrub_json(facts),
            project_id=project_id,
            policy=policy,
        )
    )


def add_project(
    session: Session,
    code: str,
    name: str,
    values: dict[str, Any],
    defaults: dict[str, Any],
    now: datetime,
) -> Project:
    policy = Policy.from_mapping({**defaults, **values})
    code = code.strip().upper()
    if session.scalar(select(Project).where((Project.code == code) | (Project.name == name))):
        raise AccountError(f"a project with code {code} or name {name} exists already")
    project = Project(code=code, name=name, policy=policy.as_dict(), created_at=now)
    session.add(project)
    session.flush()
    log_decision(
        session,
        now,
        "cli",
        "project_add",
        f"project:{project.id}",
        "R12",
        "created",
        f"新建项目 {code} {name}",
        {"code": code, "name": name},
        project.id,
        policy.as_dict(),
    )
    return project


def set_project_policy(
    session: Session, code: str, values: dict[str, Any], now: datetime
) -> Project:
    project = find_project(session, code)
    policy = Policy.from_mapping({**Policy.from_stored(project.policy).as_dict(), **values})
    project.policy = policy.as_dict()
    log_decision(
        session,
        now,
        "cli",
        "policy_set",
        f"project:{project.id}",
        "R12",
        "changed",
        f"修改项目 {project.code} 的规则参数",
        {"changed": values},
        project.id,
        policy.as_dict(),
    )
    return project


def find_project(session: Session, ref: str) -> Project:
    project = session.scalar(
        select(Project).where((Project.code == ref.upper()) | (Project.name == ref))
    )
    if project is None:
        raise AccountError(f"no project {ref}")
    return project


def new_invite(session: Session, now: datetime, expiry_days: int, **fields: Any) -> InviteCode:
    """A fresh code; it binds until ``expiry_days`` after ``now`` (0 = never, R12)."""
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
    expires_at = invite_expires_at(now, expiry_days)
    invite = InviteCode(code=code, created_at=now, expires_at=expires_at, **fields)
    session.add(invite)
    session.flush()
    return invite


def add_distributor(
    session: Session, name: str, now: datetime, expiry_days: int = 0
) -> tuple[Distributor, str]:
    """Register a distributor company and return it with an agent invite code (which
    never expires unless ``expiry_days`` says: the CLI passes the config's)."""
    name = name.strip()
    if not name:
        raise AccountError("the distributor's full name is empty")
    if session.scalar(select(Distributor).where(Distributor.name == name)):
        raise AccountError(f"distributor {name} exists already")
    distributor = Distributor(
        name=name, status=DistributorStatus.ACTIVE, created_at=now, updated_at=now
    )
    session.add(distributor)
    session.flush()
    invite = new_invite(session, now, expiry_days, kind="agent", distributor_id=distributor.id)
    log_decision(
        session,
        now,
        "cli",
        "distributor_add",
        f"distributor:{distributor.id}",
        "R3",
        DistributorStatus.ACTIVE,
        f"登记分销商 {name}",
        {"name": name},
    )
    return distributor, invite.code


def agent_invite(session: Session, name: str, now: datetime, expiry_days: int = 0) -> str:
    distributor = find_distributor(session, name)
    return new_invite(session, now, expiry_days, kind="agent", distributor_id=distributor.id).code


def staff_invite(
    session: Session, project_ref: str, role: str, now: datetime, expiry_days: int = 0
) -> str:
    if role not in STAFF_ROLES:
        raise AccountError(f"role must be one of {', '.join(STAFF_ROLES)}")
    project = find_project(session, project_ref)
    fields = {"kind": "staff", "project_id": project.id, "role": role}
    return new_invite(session, now, expiry_days, **fields).code


def find_distributor(session: Session, name: str) -> Distributor:
    distributor = session.scalar(select(Distributor).where(Distributor.name == name.strip()))
    if distributor is None:
        raise AccountError(f"no distributor named {name}")
    return distributor


def set_distributor_status(
    session: Session, name: str, status: str, reason: str, now: datetime
) -> Distributor:
    if status not in DISTRIBUTOR_STATUSES:
        raise AccountError(f"status must be one of {', '.join(DISTRIBUTOR_STATUSES)}")
    standing = DistributorStatus(status)
    distributor = find_distributor(session, name)
    previous, distributor.status, distributor.updated_at = distributor.status, standing, now
    words = {
        DistributorStatus.ACTIVE: "恢复合作",
        DistributorStatus.SUSPENDED: "暂停合作",
        DistributorStatus.BLACKLISTED: "列入黑名单",
    }
    log_decision(
        session,
        now,
        "cli",
        "distributor_status",
        f"distributor:{distributor.id}",
        "R3",
        standing,
        f"分销商 {distributor.name} {words[standing]}：{reason or '未注明'}",
        {"from": previous, "to": standing, "reason": reason},
    )
    return distributor
