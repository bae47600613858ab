"""Who sent a message: an agent of a distributor, staff of some projects, or nobody yet.

The router asks this only when it must (a staff command, or an agent command refused
because the sender is not an agent): the filing path identifies its agent inside its own
single read (``models.filing_sql``), so a filing costs no extra statement for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from models.entities import Agent, Staff
from models.policy import Role


@dataclass(frozen=True)
class StaffPost:
    """One project a staff member serves, in one role."""

    staff_id: int
    project_id: int
    role: Role
    name: str


@dataclass(frozen=True)
class Identity:
    """The sender's bindings; an empty one is a stranger (not bound yet)."""

    openid: str
    agent_id: int | None = None
    distributor_id: int | None = None
    posts: tuple[StaffPost, ...] = ()

    @property
    def roles(self) -> frozenset[Role]:
        found = {post.role for post in self.posts}
        if self.agent_id is not None:
            found.add(Role.AGENT)
        return frozenset(found)

    @property
    def is_staff(self) -> bool:
        return bool(self.posts)

    def post_in(self, project_id: int) -> StaffPost | None:
        """The sender's post in that project: a command about a filing acts in the
        filing's project, so staff of another project are refused (R12)."""
        return next((post for post in self.posts if post.project_id == project_id), None)


def identify(engine: Engine, openid: str) -> Identity:
    """Two indexed lookups by openid (agents.openid is unique, staff.openid indexed)."""
    with engine.connect() as conn:
        agent = conn.execute(
            select(Agent.id, Agent.distributor_id).where(
                Agent.openid == openid, Agent.unbound_at.is_(None)  # unbound: no agent (R12)
            )
        ).first()
        posts = conn.execute(
            select(Staff.id, Staff.project_id, Staff.role, Staff.name)
            .where(Staff.openid == openid)
            .order_by(Staff.project_id)
        ).all()
    return Identity(
        openid=openid,
        agent_id=agent.id if agent else None,
        distributor_id=agent.distributor_id if agent else None,
        posts=tuple(StaffPost(p.id, p.project_id, Role(p.role), p.name) for p in posts),
    )
