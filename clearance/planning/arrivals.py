"""How many people arrive at a lane group (one bridge, one direction), per 15 minutes of the day.

A profile comes from a CSV an operator writes for a planned population, from a population and its
peak (``for_population``), or from the crossings the kiosks recorded (``clearance.planning.recorded``).

    start,arrivals          # the CSV: zone time (UTC+8) of each 15 minutes, people arriving in it
    08:00,410
    08:15,655
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

BIN_MINUTES = 15
BIN_SECONDS = BIN_MINUTES * 60


@dataclass(frozen=True)
class ArrivalProfile:
    """Expected arrivals in consecutive 15-minute bins, the first starting ``start_minute`` minutes
    after midnight (zone time)."""

    start_minute: int
    counts: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        if not self.counts:
            raise ValueError(f"{self.source}: no arrivals to plan for")
        if any(count < 0 for count in self.counts):
            raise ValueError(f"{self.source}: a count of arrivals below zero")
        if not 0 <= self.start_minute < 24 * 60:
            raise ValueError(f"{self.source}: a start outside the day")

    @property
    def total(self) -> float:
        return sum(self.counts)

    def label(self, index: int) -> str:
        """The zone time at which bin ``index`` starts, as HH:MM."""
        minute = self.start_minute + index * BIN_MINUTES
        return f"{minute // 60 % 24:02d}:{minute % 60:02d}"

    def busiest(self) -> tuple[str, float]:
        """The busiest 15 minutes and its arrivals."""
        index = max(range(len(self.counts)), key=self.counts.__getitem__)
        return self.label(index), self.counts[index]


def parse_time(text: str, *, where: str) -> int:
    """Minutes after midnight of an ``HH:MM`` on a 15-minute boundary."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a time of day as HH:MM") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{where}: {text!r} is not a time of day")
    if minutes % BIN_MINUTES:
        raise ValueError(f"{where}: {text!r} does not start a quarter of an hour")
    return hours * 60 + minutes


def read_csv(path: Path) -> ArrivalProfile:
    """A profile from a CSV with the columns ``start`` (HH:MM) and ``arrivals``, one row per
    consecutive 15 minutes."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"start", "arrivals"} <= set(rows[0]):
        raise ValueError(f"{path}: expected the columns start,arrivals (HH:MM, people per 15 minutes)")
    starts = [parse_time(row["start"] or "", where=f"{path} row {n}") for n, row in enumerate(rows, 2)]
    for n, (before, after) in enumerate(pairwise(starts), 3):
        if after != before + BIN_MINUTES:
            raise ValueError(f"{path} row {n}: each row must start 15 minutes after the one before")
    counts = []
    for n, row in enumerate(rows, 2):
        try:
            counts.append(float(row["arrivals"] or ""))
        except ValueError:
            raise ValueError(f"{path} row {n}: {row['arrivals']!r} is not a number of arrivals") from None
    return ArrivalProfile(starts[0], tuple(counts), source=str(path))


def for_population(
    commuters: int,
    *,
    peak: tuple[int, int] = (8 * 60, 9 * 60 + 30),
    peak_share: float = 0.7,
    window: tuple[int, int] = (6 * 60 + 30, 11 * 60),
    lane_groups: int = 2,
) -> ArrivalProfile:
    """The morning of ``commuters`` people, each crossing once, shared evenly between
    ``lane_groups`` (two footbridges: half each): ``peak_share`` of them within ``peak``, rising to
    its middle and falling again (a triangle), the rest spread evenly over the rest of ``window``."""
    if commuters < 1:
        raise ValueError("plan for at least one commuter")
    if not 0 < peak_share <= 1:
        raise ValueError("the peak's share of commuters must be above 0 and at most 1")
    if not window[0] <= peak[0] < peak[1] <= window[1]:
        raise ValueError("the peak must lie within the morning's window")
    if (peak[1] - peak[0]) % BIN_MINUTES or (window[1] - window[0]) % BIN_MINUTES:
        raise ValueError("the peak and the window must be whole quarters of an hour")
    people = commuters / lane_groups
    peak_bins = (peak[1] - peak[0]) // BIN_MINUTES
    middle = (peak_bins - 1) / 2
    weights = [middle + 1 - abs(i - middle) for i in range(peak_bins)]
    quiet_bins = (window[1] - window[0]) // BIN_MINUTES - peak_bins
    quiet_each = people * (1 - peak_share) / quiet_bins if quiet_bins else 0.0
    counts = []
    for minute in range(window[0], window[1], BIN_MINUTES):
        if peak[0] <= minute < peak[1]:
            i = (minute - peak[0]) // BIN_MINUTES
            counts.append(people * peak_share * weights[i] / sum(weights))
        else:
            counts.append(quiet_each)
    if not quiet_bins:
        counts = [count / peak_share for count in counts]
    return ArrivalProfile(
        window[0],
        tuple(counts),
        source=f"{commuters:,} commuters over {lane_groups} lane group(s), {peak_share:.0%} of them "
        f"{peak[0] // 60:02d}:{peak[0] % 60:02d}-{peak[1] // 60:02d}:{peak[1] % 60:02d}",
    )
