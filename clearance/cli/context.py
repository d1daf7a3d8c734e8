"""What every ``hetao`` command shares: the settings (every problem named as the operator sets
it), and the database, which must be migrated to the newest revision before a command touches it."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from pydantic import ValidationError

from clearance.core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


def load_settings() -> Settings:
    """The settings from the environment; the command stops with one line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SystemExit(settings_problems(exc)) from None


def settings_problems(exc: ValidationError) -> str:
    """One line per invalid setting, named as the operator sets it (``HETAO_…``)."""
    lines = []
    for error in exc.errors():
        where = "_".join(str(part) for part in error["loc"]).upper()
        name = f"HETAO_{where}" if where else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"hetao: {name}: {message}" if where else f"hetao: {message}")
    return "\n".join(lines)


def migrated_engine(settings: Settings, action: str) -> Engine:
    """An engine on the configured database, which must be migrated to the newest revision."""
    from clearance.db import migrations
    from clearance.db.engine import make_engine

    engine = make_engine(settings.sqlalchemy_url)
    if not migrations.is_current(engine):
        raise SystemExit(f"hetao: cannot {action}: the database is not migrated; run `hetao db upgrade`")
    return engine


def unit_of_work(action: str) -> AbstractContextManager[Session]:
    """A session on the configured database that commits when the block ends."""
    from clearance.db.engine import make_sessionmaker, session_scope

    return session_scope(make_sessionmaker(migrated_engine(load_settings(), action)))


def print_columns(header: Sequence[object], rows: Sequence[Sequence[object]], *, indent: str = "") -> None:
    """``header`` and ``rows`` as left-aligned columns, two spaces apart."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(indent + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def database_label(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
