"""``hetao plan``: how many kiosks a lane group (one bridge, one direction) needs for its morning.

hetao plan --population 10000                          # 70 % of them 08:00-09:30, two bridges
hetao plan --arrivals morning.csv --service-times lane2.txt --chart plan.svg
hetao plan --recorded --bridge east --direction to_sz --since 2026-11-30 --until 2026-12-04
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from clearance.core.enums import Bridge, Direction


def _window(text: str) -> tuple[int, int]:
    from clearance.planning.arrivals import parse_time

    first, _, last = text.partition("-")
    start, end = parse_time(first, where="--peak/--window"), parse_time(last, where="--peak/--window")
    if end <= start:
        raise argparse.ArgumentTypeError(f"{text!r}: the end must come after the start")
    return start, end


def _profile(args: argparse.Namespace) -> Any:
    from clearance.planning import arrivals

    if args.arrivals:
        return arrivals.read_csv(args.arrivals)
    if args.recorded:
        from clearance.cli.context import unit_of_work
        from clearance.planning.recorded import recorded_profile

        if not (args.bridge and args.direction and args.since):
            raise SystemExit("hetao: --recorded needs --bridge, --direction and --since")
        with unit_of_work("read recorded crossings") as session:
            return recorded_profile(
                session,
                bridge=Bridge(args.bridge),
                direction=Direction(args.direction),
                since=args.since,
                until=args.until or args.since,
                window=args.window,
            )
    return arrivals.for_population(
        args.population,
        peak=args.peak,
        peak_share=args.peak_share,
        window=args.window,
        lane_groups=args.lane_groups,
    )


def _recorded_service(args: argparse.Namespace) -> Any:
    from clearance.cli.context import unit_of_work
    from clearance.planning.recorded import recorded_service_times
    from clearance.planning.simulation import ServiceTimes

    if not (args.bridge and args.direction and args.since):
        raise SystemExit("hetao: --recorded-service needs --bridge, --direction and --since")
    until = args.until or args.since
    with unit_of_work("read recorded times at the lanes") as session:
        seconds = recorded_service_times(
            session,
            bridge=Bridge(args.bridge),
            direction=Direction(args.direction),
            since=args.since,
            until=until,
        )
    if not seconds:
        raise SystemExit(
            f"hetao: no person at the {args.bridge} footbridge, {args.direction}, {args.since} to {until} "
            "has both a time to clear and a time to leave recorded (kiosks measure them since "
            "2026-12-04): give --service-times or --service-mean"
        )
    return ServiceTimes.from_samples(
        seconds,
        source=f"the kiosks at the {args.bridge} footbridge, {args.direction}, {args.since} to {until} "
        "(time to clear + time to leave)",
    )


def cmd_plan(args: argparse.Namespace) -> int:
    from clearance.planning import simulation
    from clearance.planning.chart import plan_chart

    profile = _profile(args)
    if args.service_times:
        service = simulation.ServiceTimes.read(args.service_times)
    elif args.recorded_service:
        service = _recorded_service(args)
    else:
        service = simulation.ServiceTimes(args.service_mean, args.service_cv, source="--service-mean")
    busiest, people = profile.busiest()
    print(
        f"arrivals: {profile.source}: {profile.total:,.0f} people, "
        f"busiest 15 minutes {busiest} ({people:,.0f})"
    )
    print(f"service: {service.describe()}")
    print(
        f"simulating {args.runs} mornings per kiosk count (seed {args.seed})...", file=sys.stderr, flush=True
    )
    header = "kiosks  wait p50  wait p95  longest wait  queue p95  longest queue  lanes busy"
    print(header)

    def row(outcome: simulation.LaneOutcome) -> None:
        print(
            f"{outcome.kiosks:>6}  {outcome.wait_p50:>6.0f} s  {outcome.wait_p95:>6.0f} s  "
            f"{outcome.wait_max:>10.0f} s  {outcome.queue_p95:>9.0f}  {outcome.longest_queue:>13}  "
            f"{outcome.utilisation:>9.0%}",
            flush=True,
        )

    result = simulation.plan(
        profile,
        service,
        target_p95=args.target,
        runs=args.runs,
        seed=args.seed,
        max_kiosks=args.max_kiosks,
        progress=row,
    )
    if result.kiosks is None:
        print(
            f"no number of kiosks up to {args.max_kiosks} keeps the 95th-percentile wait "
            f"within {args.target:g} s"
        )
    else:
        print(
            f"{result.kiosks} kiosk(s) in this direction keep the 95th-percentile wait "
            f"within {args.target:g} s "
            "(one shared queue: a floor; people in separate lines wait longer)"
        )
    if args.chart:
        args.chart.write_text(plan_chart(result), encoding="utf-8")
        print(f"chart: {args.chart}")
    if args.json:
        print(
            json.dumps(
                {
                    "source": profile.source,
                    "people": profile.total,
                    "service": service.describe(),
                    "target_p95_s": args.target,
                    "kiosks": result.kiosks,
                    "outcomes": [asdict(o) for o in result.outcomes],
                }
            )
        )
    return 0 if result.kiosks is not None else 1


def add_commands(commands: Any) -> None:
    parser = commands.add_parser(
        "plan",
        help="simulate a morning's queue at one bridge and direction; print the kiosks it needs",
        description="Simulate the queue at one lane group (one bridge, one direction) for 1, 2, 3 ... "
        "kiosks and print the fewest that keep the 95th-percentile wait within the target.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--population", type=int, default=10_000, help="commuters crossing in the morning (default 10000)"
    )
    source.add_argument("--arrivals", type=Path, help="CSV of start (HH:MM) and arrivals per 15 minutes")
    source.add_argument("--recorded", action="store_true", help="arrivals from the crossings recorded")
    parser.add_argument(
        "--peak", type=_window, default=(8 * 60, 9 * 60 + 30), help="HH:MM-HH:MM (08:00-09:30)"
    )
    parser.add_argument("--peak-share", type=float, default=0.7, help="share crossing in the peak (0.7)")
    parser.add_argument(
        "--window", type=_window, default=(6 * 60 + 30, 11 * 60), help="the morning simulated (06:30-11:00)"
    )
    parser.add_argument(
        "--lane-groups", type=int, default=2, help="bridges sharing the population evenly (2)"
    )
    parser.add_argument("--bridge", choices=[b.value for b in Bridge])
    parser.add_argument("--direction", choices=[d.value for d in Direction])
    parser.add_argument("--since", type=date.fromisoformat, help="first day of recorded crossings")
    parser.add_argument("--until", type=date.fromisoformat, help="last day (default: --since)")
    service = parser.add_mutually_exclusive_group()
    service.add_argument("--service-times", type=Path, help="measured seconds at a lane, one per line")
    service.add_argument(
        "--recorded-service",
        action="store_true",
        help="seconds at a lane as the kiosks at --bridge and --direction measured them from --since to "
        "--until: each person's time to clear plus their time to leave",
    )
    parser.add_argument(
        "--service-mean",
        type=float,
        default=5.0,
        help="seconds a person holds a lane when no times are given (5: walk up, show the QR, walk on)",
    )
    parser.add_argument("--service-cv", type=float, default=0.5, help="their coefficient of variation (0.5)")
    parser.add_argument("--target", type=float, default=60.0, help="95th-percentile wait in seconds (60)")
    parser.add_argument("--runs", type=int, default=20, help="mornings simulated per kiosk count (20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-kiosks", type=int, default=30)
    parser.add_argument("--chart", type=Path, help="write the plan as an SVG chart here")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.set_defaults(func=cmd_plan)
