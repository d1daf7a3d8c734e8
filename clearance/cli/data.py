"""``hetao purge``, ``hetao backup`` and ``hetao restore``: what is kept, and for how long."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from clearance.cli.context import load_settings, migrated_engine


def cmd_purge(args: argparse.Namespace) -> int:
    from clearance.core.zone import utcnow
    from clearance.custody import retention
    from clearance.db.actors import SystemActor
    from clearance.db.engine import make_sessionmaker

    settings = load_settings()
    engine = migrated_engine(settings, "purge")
    action = retention.RetentionAction(settings.retention_action)
    days = settings.crossing_retention_days if args.days is None else args.days
    if days < 1:
        raise SystemExit("hetao: --days must be at least 1")

    def progress(done: int) -> None:
        print(f"  {done:,} crossings done", file=sys.stderr, flush=True)

    result = retention.purge(
        make_sessionmaker(engine),
        now=utcnow(),
        retention_days=days,
        action=action,
        dry_run=args.dry_run,
        progress=None if args.quiet else progress,
        actor=SystemActor.command_line(),
    )
    verb = {"anonymise": "anonymised", "delete": "deleted"}[action.value]
    when = f"{result.cutoff:%Y-%m-%d %H:%M} UTC"
    if args.dry_run:
        print(f"would have {verb} {result.crossings:,} crossings decided before {when}")
    else:
        print(
            f"{verb} {result.crossings:,} crossings decided before {when} "
            f"(retention {days} days); {result.alerts:,} alerts anonymised; "
            f"{result.web_sessions:,} expired sign-ins removed"
        )
    return 0


def _backup_passphrase(*, confirm: bool) -> str:
    """The passphrase from HETAO_BACKUP_PASSPHRASE, or asked for on a terminal."""
    given = os.environ.get("HETAO_BACKUP_PASSPHRASE")
    if given:
        return given
    if not sys.stdin.isatty():
        raise SystemExit("hetao: set HETAO_BACKUP_PASSPHRASE, or run this on a terminal to be asked for it")
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("Repeat it: ") != passphrase:
        raise SystemExit("hetao: the passphrases differ")
    return passphrase


def cmd_backup(args: argparse.Namespace) -> int:
    from clearance.custody import backup
    from clearance.db.actors import SystemActor
    from clearance.db.engine import make_sessionmaker, session_scope

    settings = load_settings()
    target: Path = args.output
    if target.exists():
        raise SystemExit(f"hetao: {target} exists: choose a new file (a backup never overwrites one)")
    passphrase = _backup_passphrase(confirm=True)
    partial = target.with_name(target.name + ".partial")
    try:
        sessions = make_sessionmaker(migrated_engine(settings, "back up"))
        with session_scope(sessions) as session, partial.open("wb") as out:
            summary = backup.make_backup(
                session, settings, out=out, passphrase=passphrase, actor=SystemActor.command_line()
            )
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    print(
        f"backed up {sum(summary.rows.values()):,} rows of {len(summary.rows)} tables and "
        f"{len(summary.keys)} key files (schema {summary.revision}) to {target}, encrypted"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from clearance.custody import backup
    from clearance.db.actors import SystemActor

    settings = load_settings()
    engine = migrated_engine(settings, "restore")
    passphrase = _backup_passphrase(confirm=False)
    with args.file.open("rb") as source:
        summary = backup.restore_backup(
            engine, settings, source=source, passphrase=passphrase, actor=SystemActor.command_line()
        )
    print(
        f"restored {sum(summary.rows.values()):,} rows of {len(summary.rows)} tables and "
        f"{len(summary.keys)} key files into {settings.keys_dir}"
    )
    return 0


def add_commands(commands: Any) -> None:
    purge = commands.add_parser(
        "purge", help="anonymise or delete crossings past the retention period (safe to run from cron)"
    )
    purge.add_argument("--days", type=int, help="retention in days (default: HETAO_CROSSING_RETENTION_DAYS)")
    purge.add_argument("--dry-run", action="store_true", help="count what would be purged, change nothing")
    purge.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    purge.set_defaults(func=cmd_purge)

    backup = commands.add_parser(
        "backup", help="the database and the keys together, encrypted with a passphrase, in one new file"
    )
    backup.add_argument("--output", type=Path, required=True, help="the new backup file")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser(
        "restore", help="a backup into an empty, migrated database and a data directory without keys"
    )
    restore.add_argument("file", type=Path)
    restore.set_defaults(func=cmd_restore)
