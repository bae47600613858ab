"""A manager's 统计 (menu ``STAFF_STATS``) also brings the week's funnel as a picture.

The webhook answers the text at once and only queues the chart (one outbox row per
project the manager manages); the scheduler's
push sender draws it, uploads it as temporary media and sends it as a customer-service
image, inside the 48 hours the click opened. Drawing (matplotlib, about a second cold) and
uploading (up to the API timeout) would not fit the webhook's 5 s next to the text; the
outbox also gives the image the pushes' retries and their record.

A retried click carries the same CreateTime, so the same minute: the outbox's unique key
(subject = staff, project and minute) queues it once. Another click a minute later gets a
new chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from models import outbox
from models.policy import PushKind, local_day
from models.policy.funnel import this_week
from models.reports.chart import chinese_font, render_png
from models.reports.funnel import funnel_of
from models.settings import ReportSettings


def queue(
    engine: Engine, openid: str, posts: Iterable[tuple[int, int]], now: datetime, tz: ZoneInfo
) -> int:
    """Queue the week's chart of each (staff id, project id) for ``openid``; how many new."""
    minute = now.astimezone(tz)
    queued = 0
    with engine.begin() as conn:
        for staff_id, project_id in posts:
            queued += outbox.enqueue(
                conn, kind=PushKind.STAFF_CHART,
                subject=f"chart:{staff_id}:{project_id}:{minute:%H%M}",
                due_day=local_day(now, tz), openid=openid, text="",
                fields={"project": str(project_id), "until": str(int(now.timestamp()))},
                send_after=now, now=now,
            )  # fmt: skip
    return queued


def render(engine: Engine, fields: dict[str, str], tz: ZoneInfo, settings: ReportSettings) -> bytes:
    """The PNG a queued chart push stands for: its project's week up to the click."""
    until = datetime.fromtimestamp(int(fields["until"]), tz)
    first, last = this_week(until, tz)
    with engine.connect() as conn:
        funnel = funnel_of(conn, int(fields["project"]), first, last, tz, until=until)
    font = chinese_font(settings.font_path)
    return render_png(funnel, font, settings.chart_max_distributors)
