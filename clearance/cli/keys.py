"""``hetao keys``: make, list and rotate the server's keys."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from clearance.cli.context import load_settings, migrated_engine, unit_of_work
from clearance.db.keyring import load_keyring


def cmd_keys_init(args: argparse.Namespace) -> int:
    from clearance.custody import keys

    settings = load_settings()
    for path in keys.init_keys(settings):
        print(f"made {path} (owner-only)")
    print(
        "Back these files up with the database, and keep the copies apart from it: the data key "
        "opens the templates, the signing key makes credentials."
    )
    return 0


def cmd_keys_rotate_signing(args: argparse.Namespace) -> int:
    from clearance.core.zone import utcnow
    from clearance.custody import keys
    from clearance.db.actors import SystemActor

    with unit_of_work("rotate the signing key") as session:
        old, new = keys.rotate_signing_key(
            session, load_settings(), actor=SystemActor.command_line(), now=utcnow()
        )
    print(
        f"credentials are signed with {new} from now on (running servers take it up at once); {old} "
        "signs nothing more but keeps verifying what it signed until those credentials expire or are "
        "re-issued. Kiosks learn the new public key at their next sync."
    )
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from clearance.core.zone import utcnow
    from clearance.custody import keys

    settings = load_settings()
    keyring = load_keyring(settings)
    with unit_of_work("list the keys") as session:
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
    from clearance.custody import rekey
    from clearance.db.actors import SystemActor
    from clearance.db.engine import make_sessionmaker
    from clearance.db.keyring import RETIRED_DATA_KEYS

    settings = load_settings()
    sessions = make_sessionmaker(migrated_engine(settings, "rotate keys"))

    def progress(field: str, done: int) -> None:
        print(f"  {field}: {done:,} re-sealed", file=sys.stderr, flush=True)

    rotation = rekey.rotate(settings, sessions, actor=SystemActor.command_line(), progress=progress)
    print(
        f"new data key {rotation.new_key_id.hex()} seals from now on; "
        f"{rotation.old_key_id.hex()} is kept to open what it sealed"
    )
    print("re-sealed " + ", ".join(f"{count:,} {field}" for field, count in rotation.resealed.items()))
    if rotation.stale:
        raise SystemExit(
            f"hetao: still sealed with an older key: {rotation.stale}; run `hetao keys rotate` again"
        )
    retired = sorted(settings.keys_dir.glob(RETIRED_DATA_KEYS))
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


def add_commands(commands: Any) -> None:
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
