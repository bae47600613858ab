"""The WeChat edge. ``create_app`` wires settings, database, store and routes; nothing else.

Nothing is connected at import time; the scheduler is never started here (it runs as its
own process: ``flask --app bot scheduler run``), because every gunicorn worker would
otherwise run every job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot import cli, webhook
from bot.answer import Answerer
from bot.dedup import MessageDedup
from bot.fallback_store import DatabaseStore, FallbackStore
from bot.rate_limit import RateLimit
from bot.store import MemoryStore, Store, make_store
from bot.webhook_core import WebhookCore
from models.privacy import install_log_scrubber
from models.services import Services
from models.settings import load_settings

logger = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Logs go to stderr; stdout is kept for what commands print (an invite code).

    Every handler of the root logger masks phones in what it writes (R12), whoever logged
    the record: our code, a library, or an exception quoting a value."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_log_scrubber()


def build_webhook(services: Services, store: Store) -> WebhookCore:
    """The webhook's pieces: dedup and rate limit over ``store``, answers, the protocol."""
    app = services.settings.app
    answerer = Answerer(services, MessageDedup(store, app), RateLimit(store, app.rate_limit))
    return WebhookCore(services.settings.wechat, services.tz, answerer.answer)


def warn_when_serving_single_process(app: Flask) -> None:
    """An in-process store is only safe in one web process; say so when it serves, once
    (not on every ``flask --app bot`` command, which never serves)."""
    warned = False

    @app.before_request
    def _warn_once() -> None:
        nonlocal warned
        if not warned:
            warned = True
            logger.warning("redis.url is empty: in-process store, run a single web process only")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    configure_logging(settings.app.log_level)
    app = Flask(__name__)
    services = Services.build(settings)
    primary = make_store(settings.redis)
    store = FallbackStore(primary, DatabaseStore(services.engine, services.tz))
    if isinstance(primary, MemoryStore):
        warn_when_serving_single_process(app)
    app.extensions["baobei"] = {
        "settings": settings,
        "services": services,
        "store": store,
        "webhook_core": build_webhook(services, store),
    }
    app.register_blueprint(webhook.blueprint)
    cli.init_app(app)
    return app
