"""Alembic environment: the models' metadata, the URL from settings (or the caller's override)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from clearance.core.settings import Settings
from clearance.db import models  # noqa: F401  (registers every table on the metadata)
from clearance.db.base import Base
from clearance.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or Settings().sqlalchemy_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        literal_binds=connection is None,
    )


if context.is_offline_mode():
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _configure(existing)
        with context.begin_transaction():
            context.run_migrations()
    else:
        engine = make_engine(_url())
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
