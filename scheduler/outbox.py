"""The push sender: drains the outbox through the WeChat API, in the scheduler process only.

Each run claims due pushes with a lease (``models.push_delivery.claim``), sends each one at
the configured rate, and settles it by WeChat's answer in its own transaction:

- delivered -> ``sent`` (a template's msgid is kept for TEMPLATESENDJOBFINISH);
- -1 busy, no answer, a token error that survived the refresh -> tried again after
  ``backoff_base_seconds`` doubled per try (capped by ``backoff_max_seconds``), at most
  ``max_attempts`` tries, then ``failed``;
- 45009 daily quota -> held until the next day (midnight, project time zone);
- 40001/42001 -> ``WeChatApi`` takes the token another process renewed, or renews it once
  under the Redis lock, and sends again, within the same attempt;
- a recipient no longer entitled to the push (an agent unbound, staff with no post left,
  R12: ``models.policy.recipients``) -> ``withheld``, never sent, the decision logged;
- 43004 unfollowed, 45015/45047 customer-service window closed or its quota used, 47003 a
  template value refused, any other refusal -> ``undeliverable``, never tried again by
  itself (``flask --app bot pushes list`` shows them; ``pushes retry ID`` queues one).

A push that would break WeChat's template rules, or carry a full phone number, is made
undeliverable before it is sent, with an error in the log.

**Exactly once, and where it ends.** A push is settled right after WeChat answers, so a
``kill -9`` loses nothing: an unsent claimed push is claimed again when its lease ends. One
gap remains, between WeChat accepting a send and our commit of ``sent``: a crash there
sends that push again after the lease. For a template message the push id goes as
``client_msg_id``, and WeChat itself drops a repeat within ten minutes, which the lease is
well inside; for a customer-service text nothing closes the gap, and that one push may
arrive twice. docs/pushes.md has the whole story.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import redis as redis_lib

from bot.wechat import (
    BUSY,
    DAILY_QUOTA,
    OUTSIDE_REPLY_WINDOW,
    REPLY_QUOTA_USED,
    TEMPLATE_VALUE_REFUSED,
    UNFOLLOWED,
    DeliveryError,
    WeChatApi,
)
from models import clock, push_delivery
from models.policy import IMAGE_KINDS, NOT_MESSAGES
from models.policy.recipients import NOBODY, entitled
from models.push_delivery import Claimed, Settlement
from models.push_entities import PushKind, PushStatus
from models.services import Services
from models.settings import PushSettings, Settings, TemplateSettings
from models.template_rules import data_problems, text_problem
from scheduler.charts import send_chart

logger = logging.getLogger(__name__)
WINDOW_CLOSED = frozenset({OUTSIDE_REPLY_WINDOW, REPLY_QUOTA_USED})


class Pacer:
    """At most ``rate`` sends per second from this process; ``None``: no pause."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next, now) + self._interval


def kinds_without_template(settings: Settings) -> list[str]:
    """Push kinds that go as customer-service texts, which a quiet agent never receives."""
    return [
        kind.value
        for kind in PushKind
        if kind.value not in settings.pushes.templates
        and kind not in NOT_MESSAGES
        and kind not in IMAGE_KINDS
    ]


def warn_kinds_without_template(settings: Settings) -> None:
    """Said once at start-up: without a template a reminder to a quiet agent cannot arrive."""
    missing = kinds_without_template(settings)
    if missing:
        logger.warning(
            "no template for push kinds %s: they go as customer-service texts, which WeChat "
            "delivers only within 48 hours of the agent's last message; the rest are listed "
            "as undeliverable by `flask --app bot pushes list` (docs/pushes.md)",
            ", ".join(missing),
        )


def next_day(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight at the start of tomorrow in the project's time zone (WeChat's quota day)."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz)


def backoff(attempts: int, limits: PushSettings) -> timedelta:
    """The wait after the ``attempts``-th busy answer: base, 2x base, 4x base... capped."""
    seconds = limits.backoff_base_seconds * 2 ** max(attempts - 1, 0)
    cap = limits.backoff_cap
    return timedelta(seconds=min(seconds, cap) if cap is not None else seconds)


def judge(
    error: DeliveryError, push: Claimed, now: datetime, limits: PushSettings, tz: ZoneInfo
) -> Settlement:
    """What WeChat's error code means for this push (see the module docstring)."""
    code, detail = error.errcode, error.errmsg
    if code == DAILY_QUOTA:
        return Settlement(
            PushStatus.PENDING, "quota", code, detail, next_day(now, tz), counts=False
        )
    if code == UNFOLLOWED:
        return Settlement(PushStatus.UNDELIVERABLE, "unfollowed", code, detail)
    if code in WINDOW_CLOSED:
        logger.warning(
            "push %s (%s) to %s: window closed (%s)", push.id, push.kind, push.openid, code
        )
        return Settlement(PushStatus.UNDELIVERABLE, "window", code, detail)
    if code == TEMPLATE_VALUE_REFUSED:
        logger.error(
            "push %s (%s): WeChat refused a template value: %s", push.id, push.kind, detail
        )
        return Settlement(PushStatus.UNDELIVERABLE, "refused", code, detail)
    if not error.retryable:
        return Settlement(PushStatus.UNDELIVERABLE, "rejected", code, detail)
    tries = push.attempts + 1
    limit = limits.attempts_limit
    outcome = "busy" if code == BUSY else "unavailable"
    if limit is not None and tries >= limit:
        logger.warning("push %s failed after %d tries: %s %s", push.id, tries, code, detail)
        return Settlement(PushStatus.FAILED, outcome, code, detail)
    return Settlement(PushStatus.PENDING, outcome, code, detail, now + backoff(tries, limits))


def template_data(push: Claimed, template: TemplateSettings) -> tuple[dict, str | None]:
    """The template's ``data`` from the push's fields, or why it cannot be sent as is."""
    missing = [name for name in template.keywords if name not in push.fields]
    if missing:
        return {}, f"no value for template field(s) {missing}"
    data = {kw: {"value": push.fields[name]} for name, kw in template.keywords.items()}
    problems = data_problems(data)
    return data, ("; ".join(problems) if problems else None)


class Sender:
    """One drain of the outbox over one ``WeChatApi``."""

    def __init__(self, services: Services, api: WeChatApi | None = None) -> None:
        self.services = services
        self.limits = services.settings.pushes
        self.api = api or WeChatApi(services.settings, _redis(services.settings))
        self.pacer = Pacer(self.limits.rate)
        self.staff_tag: int | None = None  # the staff menu's tag id, found or made once

    def tag_staff(self, pushes: list[Claimed]) -> dict[int, Settlement]:
        """Staff just bound get the staff menu's tag: one call per batch (WeChat takes 50
        openids a call; ``tag_users`` splits longer lists). A failure settles the batch by
        WeChat's error code, as a send would."""
        now = clock.now(self.services.tz)
        try:
            if self.staff_tag is None:
                self.staff_tag = self.api.ensure_tag(self.services.settings.menu.staff_tag)
            self.api.tag_users(self.staff_tag, list(dict.fromkeys(p.openid for p in pushes)))
        except DeliveryError as error:
            self.staff_tag = None  # a tag deleted in the admin console is found or made again
            return {p.id: judge(error, p, now, self.limits, self.services.tz) for p in pushes}
        return {p.id: Settlement(PushStatus.SENT, "tagged") for p in pushes}

    def batch_size(self) -> int:
        """A batch the pacer lets through in half a lease, so no claim runs out mid-batch."""
        rate = self.limits.rate
        if rate is None:
            return self.limits.batch_size
        return max(1, min(self.limits.batch_size, int(rate * self.limits.lease_seconds / 2)))

    def send_one(self, push: Claimed) -> Settlement:
        """Validate, send, and say how it ended; never raises for WeChat's answers."""
        if push.kind in IMAGE_KINDS:
            return self.send_image(push)
        template = self.limits.templates.get(push.kind)
        data, problem = template_data(push, template) if template else ({}, text_problem(push.text))
        if problem:
            logger.error(
                "push %s (%s) not sent, it breaks WeChat's rules: %s", push.id, push.kind, problem
            )
            return Settlement(PushStatus.UNDELIVERABLE, "invalid", None, problem)
        self.pacer.wait()
        now = clock.now(self.services.tz)
        try:
            if template is None:
                self.api.send_text(push.openid, push.text)
                return Settlement(PushStatus.SENT, "sent")
            msgid = self.api.send_template(
                push.openid, template.template_id, data, client_msg_id=f"push-{push.id}"
            )
            return Settlement(PushStatus.SENT, "sent", wechat_msgid=msgid)
        except DeliveryError as error:
            return judge(error, push, now, self.limits, self.services.tz)

    def send_image(self, push: Claimed) -> Settlement:
        """A chart, drawn now and sent as a customer-service image (``scheduler.charts``)."""
        self.pacer.wait()
        now = clock.now(self.services.tz)
        try:
            return send_chart(self.api, self.services, push)
        except DeliveryError as error:
            return judge(error, push, now, self.limits, self.services.tz)

    def withhold_unentitled(self, batch: list[Claimed]) -> list[Claimed]:
        """Settle as withheld the pushes whose recipient was unbound or lost their last
        staff post since it was queued (R12, ``models.policy.recipients``); the rest go.
        One query for the batch."""
        found = push_delivery.standings(self.services.engine, [p.openid for p in batch])
        kept = []
        for push in batch:
            ruling = entitled(push.kind, found.get(push.openid, NOBODY))
            if ruling.ok:
                kept.append(push)
                continue
            logger.info("push %s (%s) to %s %s", push.id, push.kind, push.openid, ruling.why)
            push_delivery.withhold(self.services.engine, push, ruling, clock.now(self.services.tz))
        return kept

    def drain(self) -> int:
        """Send everything due now; the number of pushes delivered."""
        engine, tz = self.services.engine, self.services.tz
        lease = timedelta(seconds=self.limits.lease_seconds)
        size = self.batch_size()
        delivered = 0
        while batch := push_delivery.claim(engine, clock.now(tz), size, lease):
            batch = self.withhold_unentitled(batch)
            tags = [push for push in batch if push.kind == PushKind.STAFF_TAG]
            settled = self.tag_staff(tags) if tags else {}
            for push in batch:
                result = settled.get(push.id) or self.send_one(push)
                push_delivery.settle(engine, push.id, clock.now(tz), result)
                delivered += result.status == PushStatus.SENT
        return delivered


def _redis(settings: Settings) -> redis_lib.Redis | None:
    """The token store shared with the web workers; none means an in-process token."""
    if not settings.redis.url:
        return None
    return redis_lib.Redis.from_url(
        settings.redis.url,
        socket_timeout=settings.redis.socket_timeout,
        socket_connect_timeout=settings.redis.socket_timeout,
    )


def send_pushes(services: Services, now: datetime) -> int:
    """The scheduler's job: drain the outbox (``now`` is when the run began)."""
    del now  # each send is judged at its own moment, the clock's
    return Sender(services).drain()
