"""Time: UTC for every record, and the local time of the co-operation zone (Hong Kong and
Shenzhen both keep UTC+8, all year) for people and for registration dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

ZONE_TIME = timezone(timedelta(hours=8), "HKT")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(ZONE_TIME)).astimezone(ZONE_TIME).date()


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in zone time: a registration valid until ``day``
    is valid through all of it."""
    return datetime.combine(day + timedelta(days=1), time(0), ZONE_TIME)
