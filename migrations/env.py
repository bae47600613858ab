"""Alembic environment: the URL comes from the service's own settings (or the caller)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import models.arrival_entities  # noqa: F401  (the arrivals registered at the case site)
import models.claim_entities  # noqa: F401  (R10: claims, their rulings, client links)
import models.deal_entities  # noqa: F401  (deal events recorded by the case site)
import models.entities  # noqa: F401  (registers every table on Base.metadata)
import models.evidence_entities  # noqa: F401  (staff photos attached to arrivals)
import models.imports.entities  # noqa: F401  (the sales system's deal records, imported)
import models.push_entities  # noqa: F401  (the outbox and the protection rows)
import models.violation_entities  # noqa: F401  (R11 violations recorded by managers)
from models.db import Base
from models.settings import load_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings().database.url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        {"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
