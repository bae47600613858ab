"""The WeChat edge. ``create_app`` wires settings, database, store and routes; nothing else.

Nothing is connected at import time; the scheduler is never started here (it runs as its
own process: ``flask --app bot scheduler run``), because every gunicorn worker would
otherwise run every job.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from bot import cli, webhook
from bot.config import load_settings
from bot.inbound import Gateway
from bot.store import make_store
from handlers.context import Services
from models.db import make_engine

logger = logging.getLogger(__name__)


def build_services(settings: dict[str, Any]) -> Services:
    return Services(
        settings=settings, tz=ZoneInfo(settings["app"]["timezone"]), engine=make_engine(settings)
    )


def configure_logging(level: str) -> None:
    """Logs go to stderr; stdout is kept for what commands print (an invite code)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    configure_logging(settings["app"]["log_level"])
    app = Flask(__name__)
    services = build_services(settings)
    redis_cfg = settings["redis"]
    if not redis_cfg["url"]:
        logger.warning("redis.url is empty: in-process store, run a single web process only")
    store = make_store(redis_cfg["url"], redis_cfg["prefix"], redis_cfg["socket_timeout_seconds"])
    app.extensions["baobei"] = {
        "settings": settings,
        "services": services,
        "store": store,
        "gateway": Gateway(services, store),
    }
    app.register_blueprint(webhook.blueprint)
    cli.init_app(app)
    return app
