"""The flow of commuters, for officers and planners: per bridge, direction and hour (zone time),
how many attempts, how many referred, and how long people stood at the lane before the kiosk
decided (time to clear, measured by the kiosk from the first frame that showed them) and how
long they took to leave the view after it (time to leave, counted in the hour of the kiosk's next
record, which carries it); and the busiest 15 minutes of each bridge and direction. Counts and
times only: nothing names anyone.

    report = flow_report(session, since=..., until=...)   # the JSON of GET /api/v1/flow
    flow_csv(report)                                      # the same rows as CSV
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.core.enums import Decision
from clearance.core.errors import InvalidInput
from clearance.core.messages import Message
from clearance.core.zone import ZONE_TIME
from clearance.db.models import Checkpoint, Crossing

MAX_DAYS = 92
"""The longest range one report covers (a quarter): longer ones are asked for in parts."""
CSV_COLUMNS = (
    "bridge",
    "direction",
    "hour",
    "crossings",
    "cleared",
    "referred",
    "rejected",
    "referred_share",
    "timed",
    "clear_p50_ms",
    "clear_p95_ms",
    "left_timed",
    "left_p50_ms",
    "left_p95_ms",
)


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (a value that occurred), None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def flow_report(session: Session, *, since: datetime, until: datetime) -> dict[str, Any]:
    """Attempts decided from ``since`` up to ``until``, hour by hour per bridge and direction."""
    if until <= since:
        raise InvalidInput("the end of the range must come after its start")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidInput(
            Message("a report covers at most {most} days: ask for a shorter range", most=MAX_DAYS)
        )
    rows = session.execute(
        select(
            Checkpoint.bridge,
            Crossing.direction,
            Crossing.decided_at,
            Crossing.decision,
            Crossing.clear_ms,
            Crossing.previous_left_ms,
        )
        .join(Checkpoint, Crossing.checkpoint_id == Checkpoint.id)
        .where(Crossing.decided_at >= since, Crossing.decided_at < until)
    )
    hours: dict[tuple[str, str, str], dict[str, Any]] = {}
    quarters: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for bridge, direction, decided_at, decision, clear_ms, left_ms in rows:
        local = decided_at.astimezone(ZONE_TIME)
        key = (bridge.value, direction.value, f"{local:%Y-%m-%dT%H}:00+08:00")
        hour = hours.setdefault(key, {"decisions": Counter(), "times": [], "left": []})
        hour["decisions"][decision.value] += 1
        if clear_ms is not None:
            hour["times"].append(clear_ms)
        if left_ms is not None:
            hour["left"].append(left_ms)
        quarter = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        quarters[key[:2]][quarter.isoformat()] += 1
    report_rows = []
    for (bridge_name, direction_name, hour_start), hour in sorted(hours.items()):
        decisions, times, left = hour["decisions"], hour["times"], hour["left"]
        total = sum(decisions.values())
        report_rows.append(
            {
                "bridge": bridge_name,
                "direction": direction_name,
                "hour": hour_start,
                "crossings": total,
                "cleared": decisions[Decision.CLEARED.value],
                "referred": decisions[Decision.REFER.value],
                "rejected": decisions[Decision.REJECTED.value],
                "referred_share": round(decisions[Decision.REFER.value] / total, 4),
                "timed": len(times),
                "clear_p50_ms": percentile(times, 50),
                "clear_p95_ms": percentile(times, 95),
                "left_timed": len(left),
                "left_p50_ms": percentile(left, 50),
                "left_p95_ms": percentile(left, 95),
            }
        )
    busiest = [
        {"bridge": bridge, "direction": direction, "start": start, "crossings": count}
        for (bridge, direction), counts in sorted(quarters.items())
        for start, count in [max(counts.items(), key=lambda item: (item[1], item[0]))]
    ]
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "hours": report_rows,
        "busiest_15_minutes": busiest,
    }


def flow_csv(report: dict[str, Any]) -> str:
    """The report's hourly rows as CSV (numbers only, nothing a spreadsheet would run)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report["hours"]:
        writer.writerow({column: "" if row[column] is None else row[column] for column in CSV_COLUMNS})
    return out.getvalue()
