"""The ``hetao`` command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from clearance.core import zone
from clearance.core.enums import Bridge, Direction, Park, Role
from clearance.core.errors import HetaoError
from clearance.core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


def _settings() -> Settings:
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


SHUTDOWN_GRACE_SECONDS = 3


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from clearance.cli import logs
    from clearance.web.app import create_app

    settings = _settings()
    if args.workers < 1:
        raise SystemExit("hetao: --workers must be at least 1")
    if args.workers > 1 and not settings.sqlalchemy_url.startswith("postgresql"):
        raise SystemExit(
            "hetao: several worker processes need PostgreSQL (HETAO_DATABASE_URL): "
            "SQLite has one writer at a time"
        )
    log_config = logs.configure(args.log_level)
    # One process: the app is made here, so a missing key or an unmigrated database stops the
    # command at once. Several: each worker makes its own from the environment, after this check.
    app = create_app(settings)
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(
        f"Hetao Clearance ({settings.environment.value}) on http://{args.host}:{args.port}  (API docs at "
        f"/docs), database {database_label(settings.sqlalchemy_url)}, data in {settings.data_dir}{workers}",
        flush=True,
    )
    uvicorn.run(
        "clearance.web.app:app_from_environment" if args.workers > 1 else app,
        factory=args.workers > 1,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=logs.config(args.log_level) if args.workers > 1 else log_config,
        # One JSON line per request comes from the app itself (ids, never query strings).
        access_log=False,
        # A client's address is taken from X-Forwarded-For only when it comes from a proxy the
        # operator named: otherwise anyone could claim any address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        # Live views hold their connection open: on Ctrl-C wait at most a few seconds for them.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from clearance.cli import demo

    return demo.run(settings=_settings(), serve=not args.no_serve, host=args.host, port=args.port)


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk import runner

    return runner.run(
        settings=_settings(),
        server=args.server,
        key=args.key,
        source=args.source,
        once=args.once,
        headless=args.headless,
        sync_interval=args.sync_interval,
    )


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from clearance.db import migrations

    settings = _settings()
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


def _migrated_engine(settings: Settings, action: str) -> Engine:
    """An engine on the configured database, which must be migrated to the newest revision."""
    from clearance.db import migrations
    from clearance.db.engine import make_engine

    engine = make_engine(settings.sqlalchemy_url)
    if not migrations.is_current(engine):
        raise SystemExit(f"hetao: cannot {action}: the database is not migrated; run `hetao db upgrade`")
    return engine


def _unit_of_work(action: str) -> AbstractContextManager[Session]:
    """A session on the configured database that commits when the block ends."""
    from clearance.db.engine import make_sessionmaker, session_scope

    return session_scope(make_sessionmaker(_migrated_engine(_settings(), action)))


def cmd_create_organisation(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    with _unit_of_work("create an organisation") as session:
        organisation = accounts.create_organisation(
            session, name=args.name, park=Park(args.park), actor=Actor.command_line()
        )
        print(f"organisation {organisation.name!r} ({organisation.park.value}) id {organisation.id}")
    return 0


def _edited(before: tuple[object, ...], after: tuple[object, ...]) -> str:
    return "" if before != after else " (nothing to change)"


def cmd_edit_organisation(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    with _unit_of_work("edit an organisation") as session:
        organisation = accounts.find_organisation(session, args.organisation)
        before = (organisation.name, organisation.park)
        accounts.edit_organisation(
            session,
            organisation=organisation,
            name=args.name,
            park=Park(args.park) if args.park else None,
            actor=Actor.command_line(),
        )
        after = (organisation.name, organisation.park)
        print(f"organisation {organisation.name!r} ({organisation.park.value}){_edited(before, after)}")
    return 0


def cmd_list_organisations(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts

    with _unit_of_work("list organisations") as session:
        for organisation, staff in accounts.organisations_with_staff_counts(session):
            print(f"{organisation.id}  {organisation.name}  {organisation.park.value}  {staff} staff")
    return 0


def cmd_create_checkpoint(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.core.enums import Bridge
    from clearance.stations import service as stations

    settings = _settings()
    with _unit_of_work("create a checkpoint") as session:
        checkpoint = stations.create_checkpoint(
            session,
            name=args.name,
            bridge=Bridge(args.bridge),
            face_only=args.face_only,
            face_only_bound=settings.face_only_max_gallery,
            actor=Actor.command_line(),
        )
        print(f"checkpoint {checkpoint.name!r} on the {checkpoint.bridge.value} bridge, id {checkpoint.id}")
    return 0


def cmd_edit_checkpoint(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.stations import service as stations

    settings = _settings()
    with _unit_of_work("edit a checkpoint") as session:
        checkpoint = stations.find_checkpoint(session, args.checkpoint)
        before = (checkpoint.name, checkpoint.face_only)
        stations.edit_checkpoint(
            session,
            checkpoint=checkpoint,
            name=args.name,
            face_only=args.face_only,
            face_only_bound=settings.face_only_max_gallery,
            actor=Actor.command_line(),
        )
        walk = "face-only walk-through" if checkpoint.face_only else "QR only"
        edited = _edited(before, (checkpoint.name, checkpoint.face_only))
        print(f"checkpoint {checkpoint.name!r} on the {checkpoint.bridge.value} bridge, {walk}{edited}")
    return 0


def cmd_list_checkpoints(args: argparse.Namespace) -> int:
    from clearance.stations import service as stations

    with _unit_of_work("list checkpoints") as session:
        for checkpoint in stations.list_checkpoints(session):
            walk = "  face-only walk-through" if checkpoint.face_only else ""
            print(f"{checkpoint.id}  {checkpoint.name}  {checkpoint.bridge.value} bridge{walk}")
    return 0


def cmd_create_kiosk(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.stations import service as stations

    with _unit_of_work("create a kiosk") as session:
        checkpoint = stations.find_checkpoint(session, args.checkpoint)
        kiosk, api_key = stations.create_kiosk(
            session,
            checkpoint=checkpoint,
            name=args.name,
            direction=Direction(args.direction),
            actor=Actor.command_line(),
        )
        print(f"kiosk {checkpoint.name}/{kiosk.name} ({kiosk.direction.value}) id {kiosk.id}")
    print(f"API key (shown once; give it to the kiosk as --key): {api_key}")
    return 0


def cmd_list_kiosks(args: argparse.Namespace) -> int:
    from clearance.stations import service as stations

    with _unit_of_work("list kiosks") as session:
        for kiosk in stations.list_kiosks(session):
            seen = zone.for_people(kiosk.last_seen_at) if kiosk.last_seen_at else "never"
            state = "enabled" if kiosk.is_active else "DISABLED"
            print(
                f"{kiosk.id}  {kiosk.checkpoint.name}/{kiosk.name}  {kiosk.direction.value}  {state}  "
                f"last call {seen}"
            )
    return 0


def cmd_rename_kiosk(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.stations import service as stations

    with _unit_of_work("rename a kiosk") as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        before = kiosk.name
        stations.edit_kiosk(session, kiosk=kiosk, name=args.name, actor=Actor.command_line())
        print(f"kiosk {kiosk.checkpoint.name}/{kiosk.name}{_edited((before,), (kiosk.name,))}")
    return 0


def cmd_switch_kiosk(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.stations import service as stations

    active = args.admin_command == "enable-kiosk"
    with _unit_of_work(args.admin_command.replace("-", " ")) as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        stations.set_kiosk_active(
            session, kiosk=kiosk, active=active, actor=Actor.command_line(), reason=args.reason
        )
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
    if active:
        print(f"kiosk {name} enabled: its key is accepted again")
    else:
        print(f"kiosk {name} disabled: its key is refused from its next call (401)")
    return 0


def cmd_rekey_kiosk(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.stations import service as stations

    with _unit_of_work("re-key a kiosk") as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        api_key = stations.rekey_kiosk(session, kiosk=kiosk, actor=Actor.command_line())
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
    print(f"kiosk {name}: new API key (shown once; the old one is refused from now on):")
    print(api_key)
    return 0


def _new_password(given: str | None) -> tuple[str, bool]:
    """The password given, or prompted for on a terminal, or generated (then True)."""
    from clearance.accounts import security

    if given is not None:
        return given, False
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise SystemExit("hetao: the passwords differ")
        return password, False
    return security.generate_password(), True


def cmd_list_users(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts

    with _unit_of_work("list users") as session:
        for user in accounts.list_users(session):
            state = "enabled" if user.is_active else "DISABLED"
            organisation = f"  organisation {user.organisation_id}" if user.organisation_id else ""
            print(f"{user.id}  {user.username}  {user.role.value}  {state}{organisation}")
    return 0


def cmd_switch_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    active = args.admin_command == "enable-user"
    with _unit_of_work(args.admin_command.replace("-", " ")) as session:
        user = accounts.get_user_or_raise(session, args.user)
        accounts.set_user_active(
            session, user=user, active=active, actor=Actor.command_line(), reason=args.reason
        )
        name = user.username
    if active:
        print(f"user {name!r} enabled")
    else:
        print(f"user {name!r} disabled: signed out everywhere, API tokens refused from their next request")
    return 0


def cmd_edit_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    with _unit_of_work("edit a user") as session:
        user = accounts.get_user_or_raise(session, args.user)
        before = (user.role, user.organisation_id)
        organisation = accounts.find_organisation(session, args.organisation) if args.organisation else None
        accounts.edit_user(
            session,
            user=user,
            role=Role(args.role) if args.role else None,
            organisation_id=organisation.id if organisation else None,
            actor=Actor.command_line(),
        )
        where = f" of {user.organisation.name!r}" if user.organisation else ""
        edited = _edited(before, (user.role, user.organisation_id))
        ended = ", signed out of every browser" if before[0] is not user.role else ""
        print(f"user {user.username!r}: {user.role.value}{where}{ended}{edited}")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    password, generated = _new_password(args.password)
    with _unit_of_work("reset a password") as session:
        user = accounts.get_user_or_raise(session, args.user)
        accounts.reset_password(session, user=user, password=password, actor=Actor.command_line())
        name = user.username
    print(f"new password set for {name!r}; their browser sessions ended")
    if generated:
        print(f"generated password: {password}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.audit.service import Actor

    password, generated = _new_password(args.password)
    with _unit_of_work("create a user") as session:
        organisation_id = (
            accounts.find_organisation(session, args.organisation).id if args.organisation else None
        )
        user = accounts.create_user(
            session,
            username=args.username,
            password=password,
            role=Role(args.role),
            organisation_id=organisation_id,
            actor=Actor.command_line(),
        )
        print(f"user {user.username!r} ({user.role.value}) id {user.id}")
    if generated:
        print(f"generated password: {password}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.core.zone import utcnow
    from clearance.custody import retention
    from clearance.db.engine import make_sessionmaker

    settings = _settings()
    engine = _migrated_engine(settings, "purge")
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
        actor=Actor.command_line(),
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


def database_label(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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
    from clearance.audit.service import Actor
    from clearance.custody import backup
    from clearance.db.engine import make_sessionmaker, session_scope

    settings = _settings()
    target: Path = args.output
    if target.exists():
        raise SystemExit(f"hetao: {target} exists: choose a new file (a backup never overwrites one)")
    passphrase = _backup_passphrase(confirm=True)
    partial = target.with_name(target.name + ".partial")
    try:
        sessions = make_sessionmaker(_migrated_engine(settings, "back up"))
        with session_scope(sessions) as session, partial.open("wb") as out:
            summary = backup.make_backup(
                session, settings, out=out, passphrase=passphrase, actor=Actor.command_line()
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
    from clearance.audit.service import Actor
    from clearance.custody import backup

    settings = _settings()
    engine = _migrated_engine(settings, "restore")
    passphrase = _backup_passphrase(confirm=False)
    with args.file.open("rb") as source:
        summary = backup.restore_backup(
            engine, settings, source=source, passphrase=passphrase, actor=Actor.command_line()
        )
    print(
        f"restored {sum(summary.rows.values()):,} rows of {len(summary.rows)} tables and "
        f"{len(summary.keys)} key files into {settings.keys_dir}"
    )
    return 0


def cmd_keys_init(args: argparse.Namespace) -> int:
    from clearance.custody import keys

    settings = _settings()
    for path in keys.init_keys(settings):
        print(f"made {path} (owner-only)")
    print(
        "Back these files up with the database, and keep the copies apart from it: the data key "
        "opens the templates, the signing key makes credentials."
    )
    return 0


def cmd_keys_rotate_signing(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.core.zone import utcnow
    from clearance.custody import keys

    with _unit_of_work("rotate the signing key") as session:
        old, new = keys.rotate_signing_key(session, _settings(), actor=Actor.command_line(), now=utcnow())
    print(
        f"credentials are signed with {new} from now on (running servers take it up at once); {old} "
        "signs nothing more but keeps verifying what it signed until those credentials expire or are "
        "re-issued. Kiosks learn the new public key at their next sync."
    )
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from clearance.core.zone import utcnow
    from clearance.custody import keys

    settings = _settings()
    keyring = keys.load_keyring(settings)
    with _unit_of_work("list the keys") as session:
        used = keys.signing_key_use(session, keyring, now=utcnow())
    print("credential signing keys (newest last):")
    if keyring.kid not in {u.kid for u in used}:
        print(f"  {keyring.kid}  current  (published when it signs its first credential)")
    for use in used:
        state = (
            "current"
            if use.current
            else ("retired " + f"{use.retired_at:%Y-%m-%d}" if use.retired_at else "")
        )
        print(
            f"  {use.kid}  {state or 'not current'}  created {use.created_at:%Y-%m-%d}  "
            f"{use.live_credentials} live credential(s)"
        )
    data = keyring.data_key
    print(f"data key: {data.key_id.hex()} seals; {len(data.retired)} retired key(s) still open older data")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from clearance.audit.service import Actor
    from clearance.custody import keys, rekey
    from clearance.db.engine import make_sessionmaker

    settings = _settings()
    sessions = make_sessionmaker(_migrated_engine(settings, "rotate keys"))

    def progress(field: str, done: int) -> None:
        print(f"  {field}: {done:,} re-sealed", file=sys.stderr, flush=True)

    rotation = rekey.rotate(settings, sessions, actor=Actor.command_line(), progress=progress)
    print(
        f"new data key {rotation.new_key_id.hex()} seals from now on; "
        f"{rotation.old_key_id.hex()} is kept to open what it sealed"
    )
    print("re-sealed " + ", ".join(f"{count:,} {field}" for field, count in rotation.resealed.items()))
    if rotation.stale:
        raise SystemExit(
            f"hetao: still sealed with an older key: {rotation.stale}; run `hetao keys rotate` again"
        )
    retired = sorted(settings.keys_dir.glob(keys.RETIRED_DATA_KEYS))
    if args.delete_retired:
        for path in retired:
            path.unlink()
        print(f"deleted {len(retired)} retired key file(s): nothing sealed with them is left")
    else:
        print(
            f"nothing is sealed with the old key any more; delete {', '.join(str(p) for p in retired)} "
            "when you no longer need it (backups taken before now were sealed with it)"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hetao", description="Hetao Clearance")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server (API, docs) on 127.0.0.1:8000")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (more than 1 needs PostgreSQL)",
    )
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser("demo", help="the whole system on a fresh SQLite file, one scripted morning")
    demo.add_argument("--no-serve", action="store_true", help="run the scenario and exit")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    kiosk = commands.add_parser("kiosk", help="a checkpoint station: frames in, one JSON line per decision")
    kiosk.add_argument("--server", required=True, help="the server's URL, e.g. http://127.0.0.1:8000")
    kiosk.add_argument("--key", required=True, help="this kiosk's API key")
    kiosk.add_argument("--source", required=True, help="camera index (0), video file or folder of images")
    kiosk.add_argument("--once", action="store_true", help="stop at the end of the file or folder")
    kiosk.add_argument("--headless", action="store_true", help="no screen, only the JSON lines")
    kiosk.add_argument("--sync-interval", type=float, default=15.0, help="seconds between whitelist syncs")
    kiosk.set_defaults(func=cmd_kiosk)

    db = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)
    revision = db.add_parser("revision", help="(developers) autogenerate a migration")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(func=cmd_db_revision)

    admin = commands.add_parser("admin", help="accounts and kiosks").add_subparsers(
        dest="admin_command", required=True
    )
    user = admin.add_parser("create-user", help="create a staff account")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--organisation", help="organisation name or id (enrollers only)")
    user.add_argument("--password", help="prompted for, or generated and printed, if left out")
    user.set_defaults(func=cmd_create_user)
    organisation = admin.add_parser("create-organisation", help="create an organisation")
    organisation.add_argument("--name", required=True)
    organisation.add_argument("--park", required=True, choices=[p.value for p in Park])
    organisation.set_defaults(func=cmd_create_organisation)
    edit_organisation = admin.add_parser(
        "edit-organisation", help="rename an organisation or change its park"
    )
    edit_organisation.add_argument("organisation", help="its name or id")
    edit_organisation.add_argument("--name", help="the new name")
    edit_organisation.add_argument("--park", choices=[p.value for p in Park])
    edit_organisation.set_defaults(func=cmd_edit_organisation)
    admin.add_parser("list-organisations", help="every organisation: id, name, park, staff").set_defaults(
        func=cmd_list_organisations
    )
    checkpoint = admin.add_parser("create-checkpoint", help="a checkpoint on a footbridge")
    checkpoint.add_argument("--name", required=True)
    checkpoint.add_argument("--bridge", required=True, choices=[b.value for b in Bridge])
    checkpoint.add_argument(
        "--face-only", action="store_true", help="offer face-only walk-through to commuters who opted in"
    )
    checkpoint.set_defaults(func=cmd_create_checkpoint)
    edit_checkpoint = admin.add_parser(
        "edit-checkpoint", help="rename a checkpoint or switch its face-only walk-through"
    )
    edit_checkpoint.add_argument("checkpoint", help="its name or id")
    edit_checkpoint.add_argument("--name", help="the new name")
    edit_checkpoint.add_argument(
        "--face-only", action=argparse.BooleanOptionalAction, help="offer face-only walk-through (or not)"
    )
    edit_checkpoint.set_defaults(func=cmd_edit_checkpoint)
    admin.add_parser("list-checkpoints", help="every checkpoint: id, name, bridge").set_defaults(
        func=cmd_list_checkpoints
    )
    kiosk = admin.add_parser("create-kiosk", help="a kiosk at a checkpoint (its API key is printed once)")
    kiosk.add_argument("--checkpoint", required=True, help="checkpoint name or id")
    kiosk.add_argument("--name", required=True)
    kiosk.add_argument("--direction", required=True, choices=[d.value for d in Direction])
    kiosk.set_defaults(func=cmd_create_kiosk)
    rename = admin.add_parser("rename-kiosk", help="a kiosk's new name")
    rename.add_argument("kiosk", help="its id, its name, or checkpoint/name")
    rename.add_argument("name", help="the new name")
    rename.set_defaults(func=cmd_rename_kiosk)
    admin.add_parser("list-users", help="every staff account: id, username, role, enabled").set_defaults(
        func=cmd_list_users
    )
    for verb, what in (
        ("disable", "sign them out everywhere and refuse their tokens and sign-ins"),
        ("enable", "let them sign in again"),
    ):
        switch_user = admin.add_parser(f"{verb}-user", help=f"{verb} a staff account: {what}")
        switch_user.add_argument("user", help="username or id")
        switch_user.add_argument("--reason", default="", help="why, for the audit trail")
        switch_user.set_defaults(func=cmd_switch_user)
    edit_user = admin.add_parser(
        "edit-user", help="another role or organisation for a staff account (a new role signs them out)"
    )
    edit_user.add_argument("user", help="username or id")
    edit_user.add_argument("--role", choices=[r.value for r in Role])
    edit_user.add_argument("--organisation", help="an enroller's organisation: name or id")
    edit_user.set_defaults(func=cmd_edit_user)
    reset = admin.add_parser("reset-password", help="a new password for a staff account (signs them out)")
    reset.add_argument("user", help="username or id")
    reset.add_argument("--password", help="prompted for, or generated and printed, if left out")
    reset.set_defaults(func=cmd_reset_password)
    admin.add_parser(
        "list-kiosks", help="every kiosk: id, checkpoint/name, direction, state, last call"
    ).set_defaults(func=cmd_list_kiosks)
    for verb, what in (
        ("disable", "refuse its key from its next call (a stolen or retired kiosk)"),
        ("enable", "accept its key again"),
    ):
        switch = admin.add_parser(f"{verb}-kiosk", help=f"{verb} a kiosk: {what}")
        switch.add_argument("kiosk", help="its id, its name, or checkpoint/name")
        switch.add_argument("--reason", default="", help="why, for the audit trail")
        switch.set_defaults(func=cmd_switch_kiosk)
    rekey = admin.add_parser(
        "rekey-kiosk", help="a new API key for a kiosk (printed once); the old one stops at once"
    )
    rekey.add_argument("kiosk", help="its id, its name, or checkpoint/name")
    rekey.set_defaults(func=cmd_rekey_kiosk)

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

    keys = commands.add_parser("keys", help="the server's keys").add_subparsers(
        dest="keys_command", required=True
    )
    init = keys.add_parser(
        "init", help="make the signing, data and index keys in HETAO_DATA_DIR/keys (never overwrites)"
    )
    init.set_defaults(func=cmd_keys_init)
    keys.add_parser(
        "list",
        help="the signing keys (which is current, how many live credentials each covers) and data keys",
    ).set_defaults(func=cmd_keys_list)
    keys.add_parser(
        "rotate-signing",
        help="a new credential signing key signs from now on; the old one keeps verifying what it signed",
    ).set_defaults(func=cmd_keys_rotate_signing)
    rotate = keys.add_parser(
        "rotate", help="make a new data key and re-seal everything with it, while servers keep running"
    )
    rotate.add_argument(
        "--delete-retired", action="store_true", help="delete the old key files once nothing needs them"
    )
    rotate.set_defaults(func=cmd_keys_rotate)

    from clearance.cli import liveness, models

    models.add_commands(commands)
    liveness.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except HetaoError as exc:
        print(f"hetao: {exc.detail}", file=sys.stderr)
        return 1
    except (FileNotFoundError, FileExistsError) as exc:
        print(f"hetao: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:
        print(f"hetao: {exc}", file=sys.stderr)
        return 2
