"""``hetao flow``: the flow of commuters per bridge, direction and hour, from the crossings recorded.

hetao flow --since 2026-12-01 --until 2026-12-05 [--csv | --json]
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from clearance.cli.context import print_columns
from clearance.core.zone import days_span


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value / 1000:.1f} s"


def cmd_flow(args: argparse.Namespace) -> int:
    from clearance.cli.context import unit_of_work
    from clearance.dashboard.flow import flow_csv, flow_report

    until_day = args.until or args.since
    if until_day < args.since:
        raise ValueError("--until is before --since")
    since, until = days_span(args.since, until_day)
    with unit_of_work("read the flow of crossings") as session:
        report = flow_report(session, since=since, until=until)
    if args.json:
        print(json.dumps(report))
        return 0
    if args.csv:
        print(flow_csv(report), end="")
        return 0
    print(f"crossings from {args.since} to {until_day} (zone time, UTC+8)")
    header = (
        "bridge",
        "direction",
        "hour",
        "crossings",
        "referred",
        "clear p50",
        "clear p95",
        "timed",
        "leave p50",
        "leave p95",
    )
    rows: list[tuple[Any, ...]] = [
        (
            r["bridge"],
            r["direction"],
            r["hour"][:16].replace("T", " "),
            r["crossings"],
            f"{r['referred_share']:.1%}",
            _ms(r["clear_p50_ms"]),
            _ms(r["clear_p95_ms"]),
            r["timed"],
            _ms(r["left_p50_ms"]),
            _ms(r["left_p95_ms"]),
        )
        for r in report["hours"]
    ]
    print_columns(header, rows)
    if not rows:
        print("(no crossings in this range)")
    for busiest in report["busiest_15_minutes"]:
        print(
            f"busiest 15 minutes, {busiest['bridge']} footbridge {busiest['direction']}: "
            f"{busiest['start'][:16].replace('T', ' ')} ({busiest['crossings']} crossings)"
        )
    return 0


def add_commands(commands: Any) -> None:
    parser = commands.add_parser(
        "flow", help="crossings, referrals and time to clear per bridge, direction and hour"
    )
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first day (zone time)")
    parser.add_argument("--until", type=date.fromisoformat, help="last day, included (default: --since)")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="the hourly rows as CSV")
    shape.add_argument("--json", action="store_true", help="the whole report as JSON")
    parser.set_defaults(func=cmd_flow)
