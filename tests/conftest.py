"""Shared fixtures: real PostgreSQL and SQLite, real Redis, the fake WeChat API, the clock.

Integration and end-to-end tests run once per database backend (``backend`` fixture);
``BAOBEI_TEST_BACKENDS=postgresql`` (comma-separated) narrows that. PostgreSQL and Redis
come from ``TEST_PG_URL`` (a server URL without database, default the local one) and
``TEST_REDIS_URL``; each test run creates its own PostgreSQL database and drops it after.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import time_machine
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from bot import create_app
from bot.fakeapi import FakeState, FakeWeChatServer
from bot.simulator import WeChatSimulator, flask_transport
from models import migrate
from models.arrival_entities import Arrival  # noqa: F401  (registers the arrivals table)
from models.claim_entities import Claim  # noqa: F401  (registers the R10 tables)
from models.db import Base
from models.deal_entities import Deal  # noqa: F401  (registers the deals table)
from models.evidence_entities import ArrivalPhoto  # noqa: F401  (registers the photos table)
from models.imports.entities import SalesRecord  # noqa: F401  (registers the sales records)
from models.push_entities import Push  # noqa: F401  (registers the outbox tables)

PG_SERVER = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
BACKENDS = os.environ.get("BAOBEI_TEST_BACKENDS", "sqlite,postgresql").split(",")
TOKEN = "test-token"
APP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # WeChat's documented sample key


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated once, dropped at the end."""
    name = f"baobei_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    migrate.upgrade(url)
    yield url
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "baobei.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_database")
    yield url
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer(FakeState(APP_ID, "test-secret")) as server:
        yield server


@pytest.fixture
def settings_overrides(
    database_url: str, redis_prefix: str, fake_wechat: FakeWeChatServer
) -> dict[str, Any]:
    return {
        "app": {"log_level": "WARNING", "retry_wait_seconds": 2.0},
        "database": {"url": database_url},
        "redis": {"url": REDIS_URL, "prefix": redis_prefix},
        "wechat": {
            "token": TOKEN,
            "app_id": APP_ID,
            "app_secret": "test-secret",
            "encoding_aes_key": AES_KEY,
            "api_base_url": fake_wechat.url,
        },
    }


@pytest.fixture
def app(settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(settings_overrides)
    yield application
    application.extensions["baobei"]["services"].engine.dispose()


@dataclass
class Rig:
    """An app built with other settings than the default test app, and its WeChat side."""

    app: Flask
    wechat: WeChatSimulator
    engine: Engine

    def cli(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def custom_app(settings_overrides: dict[str, Any]) -> Iterator[Callable[..., Rig]]:
    """``custom_app(app={...}, redis={...})``: the test settings with those sections updated."""
    built: list[Flask] = []

    def build(**sections: dict[str, Any]) -> Rig:
        overrides = copy.deepcopy(settings_overrides)
        for section, values in sections.items():
            overrides.setdefault(section, {}).update(values)
        application = create_app(overrides)
        built.append(application)
        wechat = overrides["wechat"]
        sim = WeChatSimulator(
            wechat["token"],
            wechat["app_id"],
            wechat["encoding_aes_key"] or None,
            flask_transport(application.test_client()),
        )
        return Rig(application, sim, application.extensions["baobei"]["services"].engine)

    yield build
    for application in built:
        application.extensions["baobei"]["services"].engine.dispose()


@pytest.fixture
def engine(app: Flask) -> Engine:
    return app.extensions["baobei"]["services"].engine


@pytest.fixture
def wechat(app: Flask) -> WeChatSimulator:
    """WeChat's servers, as the webhook sees them: signed, AES-encrypted messages."""
    return WeChatSimulator(TOKEN, APP_ID, AES_KEY, flask_transport(app.test_client()))


@pytest.fixture
def travel() -> Iterator[Callable[[datetime], None]]:
    """Move the one clock to an instant (frozen there) for the rest of the test."""
    travellers: list[Any] = []

    def go(moment: datetime) -> None:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield go
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def cli(app: Flask) -> Callable[..., Any]:
    """Run a ``flask --app bot`` command against the test app; returns the click result."""
    runner = app.test_cli_runner()

    def invoke(*args: str) -> Any:
        result = runner.invoke(args=list(args))
        return result

    return invoke
