"""A project's case-site staff as the channel team keeps them: listed and removed (R12).

Removing a staff member deletes their post (the ``staff`` row of that project): nothing
stores a staff id that needs the row (arrivals and deals keep the id as a plain number,
the decision log keeps who they were), and every lookup by openid then finds no post, so
their staff commands are refused at once. The staff menu's tag is taken off by the caller
(``bot.cli_people``: a WeChat call, after the commit) when no post is left; a tagging
still waiting in the outbox is dropped here so it cannot put the tag back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.accounts import AccountError, find_project, log_decision
from models.entities import Project, Staff
from models.policy import PushKind
from models.policy.roster import RULE
from models.push_entities import Push, PushStatus


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    role: str
    openid: str
    bound_at: datetime


@dataclass(frozen=True)
class Removed:
    """What ``remove`` did: whose posts went, and whether any post of theirs is left."""

    openid: str
    name: str
    posts: list[tuple[str, str]]  # (project code, role)
    posts_left: int


def list_staff(session: Session, project_ref: str) -> list[StaffView]:
    project = find_project(session, project_ref)
    rows = session.scalars(
        select(Staff).where(Staff.project_id == project.id).order_by(Staff.id)
    ).all()
    return [StaffView(s.id, s.name, s.role, s.openid, s.bound_at) for s in rows]


def _posts(session: Session, ref: str, project_ref: str | None) -> list[Staff]:
    """The posts named: one by its number, or an openid's (in one project, or all)."""
    ref = ref.strip()
    query = select(Staff).where(Staff.id == int(ref) if ref.isdigit() else Staff.openid == ref)
    if project_ref:
        query = query.where(Staff.project_id == find_project(session, project_ref).id)
    posts = list(session.scalars(query.order_by(Staff.id).with_for_update()).all())
    if not posts:
        where = f" in project {project_ref}" if project_ref else ""
        raise AccountError(f"no staff {ref}{where}")
    return posts


def remove(
    session: Session, ref: str, project_ref: str | None, reason: str, now: datetime
) -> Removed:
    """Remove the posts named; each removal is a decision (who, which post, why)."""
    posts = _posts(session, ref, project_ref)
    codes = {row.id: row.code for row in session.execute(select(Project.id, Project.code))}
    openid, name = posts[0].openid, posts[0].name
    for post in posts:
        log_decision(
            session, now, "cli", "staff_remove", f"staff:{post.id}", RULE, "removed",
            f"撤销案场人员 {post.name} 的岗位：{reason or '未注明'}",
            {"staff_id": post.id, "role": post.role, "project_id": post.project_id,
             "bound_at": post.bound_at.isoformat(), "reason": reason},
            post.project_id,
        )  # fmt: skip
        session.delete(post)
    session.execute(  # a tagging not sent yet would give the staff menu back
        update(Push)
        .where(
            Push.subject.in_([f"staff:{post.id}" for post in posts]),
            Push.kind == PushKind.STAFF_TAG,
            Push.status == PushStatus.PENDING,
        )
        .values(status=PushStatus.DROPPED, last_error="dropped: the staff post was removed")
    )
    session.flush()
    left = session.scalar(select(func.count(Staff.id)).where(Staff.openid == openid))
    return Removed(
        openid, name, [(codes.get(p.project_id, "?"), p.role) for p in posts], int(left or 0)
    )
