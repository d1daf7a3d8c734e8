"""``hetao admin``: organisations, staff accounts, checkpoints and kiosks, each change audited as
the command line's."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from clearance.cli.context import load_settings, unit_of_work
from clearance.core import zone
from clearance.core.enums import Bridge, Direction, Park, Role


def _edited(before: tuple[object, ...], after: tuple[object, ...]) -> str:
    return "" if before != after else " (nothing to change)"


def cmd_create_organisation(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    with unit_of_work("create an organisation") as session:
        organisation = accounts.create_organisation(
            session, name=args.name, park=Park(args.park), actor=SystemActor.command_line()
        )
        print(f"organisation {organisation.name!r} ({organisation.park.value}) id {organisation.id}")
    return 0


def cmd_edit_organisation(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    with unit_of_work("edit an organisation") as session:
        organisation = accounts.find_organisation(session, args.organisation)
        before = (organisation.name, organisation.park)
        accounts.edit_organisation(
            session,
            organisation=organisation,
            name=args.name,
            park=Park(args.park) if args.park else None,
            actor=SystemActor.command_line(),
        )
        after = (organisation.name, organisation.park)
        print(f"organisation {organisation.name!r} ({organisation.park.value}){_edited(before, after)}")
    return 0


def cmd_list_organisations(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts

    with unit_of_work("list organisations") as session:
        for organisation, staff in accounts.organisations_with_staff_counts(session):
            print(f"{organisation.id}  {organisation.name}  {organisation.park.value}  {staff} staff")
    return 0


def cmd_create_checkpoint(args: argparse.Namespace) -> int:
    from clearance.core.enums import Bridge
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    settings = load_settings()
    with unit_of_work("create a checkpoint") as session:
        checkpoint = stations.create_checkpoint(
            session,
            name=args.name,
            bridge=Bridge(args.bridge),
            face_only=args.face_only,
            face_only_bound=settings.face_only_max_gallery,
            actor=SystemActor.command_line(),
        )
        print(f"checkpoint {checkpoint.name!r} on the {checkpoint.bridge.value} bridge, id {checkpoint.id}")
    return 0


def cmd_edit_checkpoint(args: argparse.Namespace) -> int:
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    settings = load_settings()
    with unit_of_work("edit a checkpoint") as session:
        checkpoint = stations.find_checkpoint(session, args.checkpoint)
        before = (checkpoint.name, checkpoint.face_only)
        stations.edit_checkpoint(
            session,
            checkpoint=checkpoint,
            name=args.name,
            face_only=args.face_only,
            face_only_bound=settings.face_only_max_gallery,
            actor=SystemActor.command_line(),
        )
        walk = "face-only walk-through" if checkpoint.face_only else "QR only"
        edited = _edited(before, (checkpoint.name, checkpoint.face_only))
        print(f"checkpoint {checkpoint.name!r} on the {checkpoint.bridge.value} bridge, {walk}{edited}")
    return 0


def cmd_list_checkpoints(args: argparse.Namespace) -> int:
    from clearance.stations import service as stations

    with unit_of_work("list checkpoints") as session:
        for checkpoint in stations.list_checkpoints(session):
            walk = "  face-only walk-through" if checkpoint.face_only else ""
            print(f"{checkpoint.id}  {checkpoint.name}  {checkpoint.bridge.value} bridge{walk}")
    return 0


def cmd_create_kiosk(args: argparse.Namespace) -> int:
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    with unit_of_work("create a kiosk") as session:
        checkpoint = stations.find_checkpoint(session, args.checkpoint)
        kiosk, api_key = stations.create_kiosk(
            session,
            checkpoint=checkpoint,
            name=args.name,
            direction=Direction(args.direction),
            actor=SystemActor.command_line(),
        )
        print(f"kiosk {checkpoint.name}/{kiosk.name} ({kiosk.direction.value}) id {kiosk.id}")
    print(f"API key (shown once; give it to the kiosk as --key): {api_key}")
    return 0


def cmd_list_kiosks(args: argparse.Namespace) -> int:
    from clearance.stations import service as stations

    with unit_of_work("list kiosks") as session:
        for kiosk in stations.list_kiosks(session):
            seen = zone.for_people(kiosk.last_seen_at) if kiosk.last_seen_at else "never"
            state = "enabled" if kiosk.is_active else "DISABLED"
            print(
                f"{kiosk.id}  {kiosk.checkpoint.name}/{kiosk.name}  {kiosk.direction.value}  {state}  "
                f"last call {seen}"
            )
    return 0


def cmd_rename_kiosk(args: argparse.Namespace) -> int:
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    with unit_of_work("rename a kiosk") as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        before = kiosk.name
        stations.edit_kiosk(session, kiosk=kiosk, name=args.name, actor=SystemActor.command_line())
        print(f"kiosk {kiosk.checkpoint.name}/{kiosk.name}{_edited((before,), (kiosk.name,))}")
    return 0


def cmd_switch_kiosk(args: argparse.Namespace) -> int:
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    active = args.admin_command == "enable-kiosk"
    with unit_of_work(args.admin_command.replace("-", " ")) as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        stations.set_kiosk_active(
            session, kiosk=kiosk, active=active, actor=SystemActor.command_line(), reason=args.reason
        )
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
    if active:
        print(f"kiosk {name} enabled: its key is accepted again")
    else:
        print(f"kiosk {name} disabled: its key is refused from its next call (401)")
    return 0


def cmd_rekey_kiosk(args: argparse.Namespace) -> int:
    from clearance.db.actors import SystemActor
    from clearance.stations import service as stations

    with unit_of_work("re-key a kiosk") as session:
        kiosk = stations.find_kiosk(session, args.kiosk)
        api_key = stations.rekey_kiosk(session, kiosk=kiosk, actor=SystemActor.command_line())
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
    print(f"kiosk {name}: new API key (shown once; the old one is refused from now on):")
    print(api_key)
    return 0


def _new_password(given: str | None) -> tuple[str, bool]:
    """The password given, or prompted for on a terminal, or generated (then True)."""
    from clearance.core import security

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

    with unit_of_work("list users") as session:
        for user in accounts.list_users(session):
            state = "enabled" if user.is_active else "DISABLED"
            organisation = f"  organisation {user.organisation_id}" if user.organisation_id else ""
            print(f"{user.id}  {user.username}  {user.role.value}  {state}{organisation}")
    return 0


def cmd_switch_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    active = args.admin_command == "enable-user"
    with unit_of_work(args.admin_command.replace("-", " ")) as session:
        user = accounts.get_user_or_raise(session, args.user)
        accounts.set_user_active(
            session, user=user, active=active, actor=SystemActor.command_line(), reason=args.reason
        )
        name = user.username
    if active:
        print(f"user {name!r} enabled")
    else:
        print(f"user {name!r} disabled: signed out everywhere, API tokens refused from their next request")
    return 0


def cmd_edit_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    with unit_of_work("edit a user") as session:
        user = accounts.get_user_or_raise(session, args.user)
        before = (user.role, user.organisation_id)
        organisation = accounts.find_organisation(session, args.organisation) if args.organisation else None
        accounts.edit_user(
            session,
            user=user,
            role=Role(args.role) if args.role else None,
            organisation_id=organisation.id if organisation else None,
            actor=SystemActor.command_line(),
        )
        where = f" of {user.organisation.name!r}" if user.organisation else ""
        edited = _edited(before, (user.role, user.organisation_id))
        ended = ", signed out everywhere (tokens too)" if before[0] is not user.role else ""
        print(f"user {user.username!r}: {user.role.value}{where}{ended}{edited}")
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    password, generated = _new_password(args.password)
    with unit_of_work("reset a password") as session:
        user = accounts.get_user_or_raise(session, args.user)
        accounts.reset_password(session, user=user, password=password, actor=SystemActor.command_line())
        name = user.username
    print(f"new password set for {name!r}; their browser sessions ended")
    if generated:
        print(f"generated password: {password}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from clearance.accounts import service as accounts
    from clearance.db.actors import SystemActor

    password, generated = _new_password(args.password)
    with unit_of_work("create a user") as session:
        organisation_id = (
            accounts.find_organisation(session, args.organisation).id if args.organisation else None
        )
        user = accounts.create_user(
            session,
            username=args.username,
            password=password,
            role=Role(args.role),
            organisation_id=organisation_id,
            actor=SystemActor.command_line(),
        )
        print(f"user {user.username!r} ({user.role.value}) id {user.id}")
    if generated:
        print(f"generated password: {password}")
    return 0


def add_commands(commands: Any) -> None:
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
