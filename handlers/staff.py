"""The case site's commands: one small function each, load -> decide (policy) -> persist -> reply.

The router has already checked the sender's role (``inbound.identity`` is set); a command
about a filing still checks the sender's post in that filing's project (R12). Views read
only the projects the sender serves (``Identity.posts``), whatever the message names.
"""

from __future__ import annotations

from handlers import replies, replies_staff
from handlers.commands import ChannelStats, DayVisits, Help, Query, RegisterArrival
from handlers.context import Inbound
from models import arrivals, staff_views
from models.identity import Identity
from models.policy import Role, local_day
from models.reports import staff_chart
from models.services import Services


def _who(inbound: Inbound) -> Identity:
    assert inbound.identity is not None, "the router identifies staff before their handlers"
    return inbound.identity


def _projects(inbound: Inbound, role: Role | None = None) -> list[int]:
    """The projects the sender serves (in ``role``, if given)."""
    return [post.project_id for post in _who(inbound).posts if role in (None, post.role)]


def register_arrival(command: RegisterArrival, services: Services, inbound: Inbound) -> str:
    """The front desk (or a manager) registers an arrival; the policy proposes a ruling (R5)."""
    assert inbound.identity is not None  # set by the router for staff routes
    request = arrivals.ArrivalRequest(
        filing_no=command.filing_no,
        full_phone=command.full_phone,
        project=command.project,
        client_name=command.client_name,
        at=command.at,
        remote=command.remote,
        consultant=command.consultant,
    )
    late_limit = services.settings.staff.late_registration_hours
    outcome = arrivals.register(
        services.engine,
        inbound.identity,
        request,
        inbound.now,
        services.tz,
        late_limit,
        inbound.msg_key,
    )
    return replies.arrival_registered(outcome, command, services.tz, late_limit)


def query(command: Query, services: Services, inbound: Inbound) -> str:
    """``查询 <手机号>``: the client in the sender's projects; ``查询`` alone: the day."""
    if command.phone_mask is None:
        return day_visits(DayVisits(), services, inbound)
    found = staff_views.find_clients(
        services.engine, _projects(inbound), command.phone_mask, inbound.now
    )
    return replies_staff.client_views(command.phone_mask, found, services.tz)


def day_visits(command: DayVisits, services: Services, inbound: Inbound) -> str:
    """The day's expected and reported visits of the sender's projects (R5)."""
    day = local_day(inbound.now, services.tz)
    with services.engine.connect() as conn:
        visits = staff_views.day_visits(conn, _projects(inbound), day, services.tz)
    return replies_staff.day_visits(day, visits, several=len(_projects(inbound)) > 1)


def channel_stats(command: ChannelStats, services: Services, inbound: Inbound) -> str:
    """Per distributor, today and this week, in each project the sender manages; the week's
    funnel chart follows as an image for each project with anything to show (queued here,
    drawn and sent by the scheduler's push sender: ``models.reports.staff_chart``)."""
    found = staff_views.projects(services.engine, _projects(inbound, Role.MANAGER))
    stats = {
        project.id: staff_views.distributor_stats(
            services.engine, project.id, inbound.now, services.tz
        )
        for project in found
    }
    if services.settings.reports.stats_chart:
        posts = [
            (post.staff_id, post.project_id)
            for post in _who(inbound).posts
            if post.role == Role.MANAGER and stats.get(post.project_id)
        ]
        staff_chart.queue(services.engine, inbound.openid, posts, inbound.now, services.tz)
    parts = [replies_staff.channel_stats(project.name, stats[project.id]) for project in found]
    return replies_staff.joined(parts)


def show_help(command: Help, services: Services, inbound: Inbound) -> str:
    """The staff's own help: their verbs and menu, and their projects' rules as set."""
    found = staff_views.projects(services.engine, _projects(inbound))
    roles = _who(inbound).roles
    return replies_staff.staff_help(command.topic, found, manager=Role.MANAGER in roles)
