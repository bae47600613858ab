"""Engine, session factory and the column types shared by every table.

The same code runs on SQLite (the embedded default) and PostgreSQL (production and CI).
Two differences are handled here and nowhere else: SQLite forgets time zones, so
``AwareDateTime`` stores UTC and hands back aware instants; and SQLite's driver opens
transactions lazily, so writers ``BEGIN IMMEDIATE`` to serialise on the database lock
instead of failing with "database is locked" half-way through a decision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

from models.settings import DatabaseSettings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AwareDateTime(TypeDecorator[datetime]):
    """A time-zone aware instant on every backend: stored in UTC, read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored instant must be time-zone aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, typed as such, for the hot paths written in Core."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


def make_engine(database: DatabaseSettings) -> Engine:
    """Build the engine for ``database.url``; nothing is connected until first use.

    ``hide_parameters``: a failing statement's error names the statement, never its bound
    values, which hold what agents typed (R12: no log line may carry a phone)."""
    if database.url.startswith("sqlite"):
        engine = create_engine(
            database.url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )
        _serialise_sqlite_writers(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if database.statement_timeout is not None:
        connect_args["options"] = f"-c statement_timeout={database.statement_timeout}"
    return create_engine(
        database.url,
        pool_size=database.pool_size,
        max_overflow=database.pool_size,
        connect_args=connect_args,
        hide_parameters=True,
    )


def _serialise_sqlite_writers(engine: Engine) -> None:
    """SQLAlchemy's documented recipe: take over BEGIN so it can be IMMEDIATE, use WAL."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
