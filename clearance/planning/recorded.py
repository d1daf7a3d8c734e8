"""Arrival profiles and service times from what the kiosks recorded: every attempt at a lane
group (a bridge, a direction) is someone who stood at a lane, counted per 15 minutes of zone time
and averaged over the days asked for; and each person held their lane for their time to clear and
then their time to leave. Counts and times only: nothing here names anyone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from clearance.core.enums import Bridge, Direction
from clearance.core.zone import ZONE_TIME, days_span
from clearance.db.models import Checkpoint, Crossing
from clearance.planning.arrivals import BIN_MINUTES, ArrivalProfile


def recorded_profile(
    session: Session,
    *,
    bridge: Bridge,
    direction: Direction,
    since: date,
    until: date,
    window: tuple[int, int],
) -> ArrivalProfile:
    """The mean arrivals per 15 minutes within ``window`` (minutes after midnight, zone time) over
    the days from ``since`` to ``until`` inclusive."""
    if until < since:
        raise ValueError("--until is before --since")
    days = (until - since).days + 1
    start, end = days_span(since, until)
    moments = session.scalars(
        select(Crossing.decided_at)
        .join(Checkpoint, Checkpoint.id == Crossing.checkpoint_id)
        .where(
            Checkpoint.bridge == bridge,
            Crossing.direction == direction,
            Crossing.decided_at >= start,
            Crossing.decided_at < end,
        )
    ).all()
    bins = (window[1] - window[0]) // BIN_MINUTES
    counts = [0] * bins
    for moment in moments:
        local = moment.astimezone(ZONE_TIME)
        minute = local.hour * 60 + local.minute - window[0]
        if 0 <= minute < window[1] - window[0]:
            counts[minute // BIN_MINUTES] += 1
    return ArrivalProfile(
        window[0],
        tuple(count / days for count in counts),
        source=f"{len(moments):,} attempts recorded at the {bridge.value} footbridge, {direction.value}, "
        f"{since} to {until} ({days} day(s))",
    )


def recorded_service_times(
    session: Session, *, bridge: Bridge, direction: Direction, since: date, until: date
) -> list[float]:
    """Seconds each person held a lane at the lane group from ``since`` to ``until`` (zone days,
    inclusive): their time to clear plus their time to leave, the latter carried by the next record
    of the same kiosk (``chain_seq`` + 1). People one of the two was not measured for are left out."""
    if until < since:
        raise ValueError("--until is before --since")
    start, end = days_span(since, until)
    after = aliased(Crossing)
    rows = session.execute(
        select(Crossing.clear_ms, after.previous_left_ms)
        .join(Checkpoint, Checkpoint.id == Crossing.checkpoint_id)
        .join(after, (after.kiosk_id == Crossing.kiosk_id) & (after.chain_seq == Crossing.chain_seq + 1))
        .where(
            Checkpoint.bridge == bridge,
            Crossing.direction == direction,
            Crossing.decided_at >= start,
            Crossing.decided_at < end,
            Crossing.clear_ms.is_not(None),
            after.previous_left_ms.is_not(None),
        )
    ).all()
    return [(clear + left) / 1000 for clear, left in rows if clear is not None and left is not None]
