"""The ``hetao`` command line: one module per subject, each adding its commands the same way
(``add_commands``); what they share (settings, the database) is ``clearance.cli.context``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from clearance.cli import admin, data, db, flow, keys, liveness, models, plan, server
from clearance.core.errors import HetaoError

SUBJECTS = (server, db, admin, data, keys, models, liveness, flow, plan)
"""The command line's modules, in the order ``hetao --help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hetao", description="Hetao Clearance")
    commands = parser.add_subparsers(dest="command", required=True)
    for subject in SUBJECTS:
        subject.add_commands(commands)
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
