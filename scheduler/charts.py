"""The push sender's images: a queued chart is drawn, uploaded and sent here.

A chart push (``PushKind.STAFF_CHART``, queued by a manager's 统计) names its project and
the moment of the click; the picture is drawn now, from the database as it was up to that
moment, uploaded as temporary media and sent as a customer-service image. WeChat's answers
settle it as any push's (``scheduler.outbox.judge``): 45015 after the 48-hour window is
undeliverable, a busy API is tried again.
"""

from __future__ import annotations

import logging

from bot.wechat import WeChatApi
from models.push_delivery import Claimed, Settlement
from models.push_entities import PushStatus
from models.reports import staff_chart
from models.services import Services

logger = logging.getLogger(__name__)
CHART_FILE = "funnel.png"


def send_chart(api: WeChatApi, services: Services, push: Claimed) -> Settlement:
    """Draw, upload and send one chart; ``DeliveryError`` goes to the caller's judge."""
    try:
        png = staff_chart.render(
            services.engine, push.fields, services.tz, services.settings.reports
        )
    except (KeyError, ValueError) as error:  # a row not written by staff_chart.queue
        logger.error("push %s (%s) has no chart to draw: %r", push.id, push.kind, error)
        return Settlement(PushStatus.UNDELIVERABLE, "invalid", None, f"no chart: {error!r}")
    media_id = api.upload_image(png, CHART_FILE)
    api.send_image(push.openid, media_id)
    return Settlement(PushStatus.SENT, "sent")
