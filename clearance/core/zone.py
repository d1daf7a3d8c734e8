"""Time: UTC for every record, and the local time of the co-operation zone (Hong Kong and
Shenzhen both keep UTC+8, all year) for people and for registration dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

ZONE_TIME = timezone(timedelta(hours=8), "HKT")


def utcnow() -> datetime:
    return datetime.now(UTC)


ZONE_LABEL = "UTC+8"


def for_people(moment: datetime) -> str:
    """A moment as people in the zone read it, to the second, with its zone said: every time a
    page, an alert or the command line shows (records stay in UTC)."""
    return f"{moment.astimezone(ZONE_TIME):%Y-%m-%d %H:%M:%S} {ZONE_LABEL}"


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(ZONE_TIME)).astimezone(ZONE_TIME).date()


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in zone time: a registration valid until ``day``
    is valid through all of it."""
    return datetime.combine(day + timedelta(days=1), time(0), ZONE_TIME)


def days_span(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants that bound the days ``first`` to ``last``, both included, in zone time: the
    start of the first and the first instant after the last."""
    return datetime.combine(first, time(0), ZONE_TIME), end_of_day(last)


def as_utc(moment: datetime) -> datetime:
    """``moment`` (which must carry a time zone) in UTC; a ValueError for a time that does not
    exist in UTC (year 1 at +14:00 falls before year 1, 9999-12-31 at -14:00 after 9999)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(as_utc)]
"""A moment that carries its time zone and exists in UTC: how every time enters the system."""
