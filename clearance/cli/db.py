"""``hetao db``: the schema (Alembic is the only way it is made or changed)."""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

from clearance.cli.context import load_settings


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from clearance.db import migrations

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(url=settings.sqlalchemy_url)
    print(f"database at revision {migrations.head_revision()}")
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    from alembic import command

    from clearance.db import migrations

    # Compare the models with a scratch database at the newest revision, not with whatever
    # state the developer's own database is in.
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/revision.sqlite3"
        migrations.upgrade(url=url)
        command.revision(migrations.alembic_config(url=url), message=args.message, autogenerate=True)
    return 0


def add_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)
    revision = db.add_parser("revision", help="(developers) autogenerate a migration")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(func=cmd_db_revision)
