"""The queue at a lane group, simulated: a discrete-event simulation (SimPy) of people arriving as
the profile says (a Poisson process whose rate is constant within each 15 minutes), waiting in one
first-come-first-served queue for the first of ``kiosks`` lanes to be free, and standing at it for a
service time drawn from the lanes' measured times. Seeded, many runs; waits are counted, never
fitted.

    plan = simulation.plan(profile, service, target_p95=60, runs=20, seed=1)
    plan.kiosks          # the fewest lanes whose 95th-percentile wait is within the target

One shared queue is the best case of several lanes each with its own (people choose the shortest
and cannot switch): the plan is a floor, and the figures of a real morning (``hetao flow``) say how
far a bridge sits above it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from clearance.planning.arrivals import BIN_SECONDS, ArrivalProfile

MAX_KIOSKS = 30


@dataclass(frozen=True)
class ServiceTimes:
    """How long a person holds a lane: drawn from ``samples`` (seconds) when there are any, else
    from a gamma distribution of this ``mean`` and coefficient of variation (1: exponential)."""

    mean: float
    cv: float = 0.5
    samples: tuple[float, ...] = ()
    source: str = "assumed"

    def __post_init__(self) -> None:
        if self.mean <= 0 or (self.cv <= 0 and not self.samples):
            raise ValueError("a service time needs a mean and a spread above zero")

    @classmethod
    def from_samples(cls, samples: list[float], *, source: str) -> ServiceTimes:
        if not samples or min(samples) <= 0:
            raise ValueError(f"{source}: service times must be positive seconds, at least one")
        values = np.asarray(samples, dtype=float)
        return cls(float(values.mean()), float(values.std() / values.mean()), tuple(samples), source)

    @classmethod
    def read(cls, path: Path) -> ServiceTimes:
        """Seconds, one per line (a header line and blank lines are skipped)."""
        values = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip().split(",")[0]
            if not text:
                continue
            try:
                values.append(float(text))
            except ValueError:
                if n == 1:
                    continue
                raise ValueError(f"{path} line {n}: {text!r} is not a number of seconds") from None
        return cls.from_samples(values, source=str(path))

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        if self.samples:
            pool = np.asarray(self.samples)
            return lambda: float(pool[rng.integers(len(pool))])
        shape = 1 / self.cv**2
        scale = self.mean / shape
        return lambda: float(rng.gamma(shape, scale))

    def describe(self) -> str:
        if self.samples:
            return f"{len(self.samples):,} measured times from {self.source}, mean {self.mean:.1f} s"
        return f"mean {self.mean:g} s, coefficient of variation {self.cv:g} ({self.source})"


@dataclass(frozen=True)
class LaneOutcome:
    """What ``kiosks`` lanes give over every run: waits of every person (seconds in the queue,
    before a lane takes them) and the queue as each arrival finds it."""

    kiosks: int
    runs: int
    people: int
    wait_mean: float
    wait_p50: float
    wait_p95: float
    wait_max: float
    queue_p95: float
    longest_queue: int
    """The median over runs of each run's longest queue."""
    utilisation: float
    bin_wait_p95: tuple[float, ...]
    """The 95th-percentile wait of the people arriving in each 15 minutes (0 where nobody did)."""


def _arrival_times(profile: ArrivalProfile, rng: np.random.Generator) -> np.ndarray:
    times = [
        start + rng.uniform(0, BIN_SECONDS, rng.poisson(rate))
        for start, rate in zip(np.arange(len(profile.counts)) * BIN_SECONDS, profile.counts, strict=True)
    ]
    return np.sort(np.concatenate(times)) if times else np.empty(0)


def _one_run(
    times: np.ndarray, kiosks: int, service: Callable[[], float]
) -> tuple[np.ndarray, np.ndarray, float]:
    """Waits and the queue each arrival found, in order of arrival, and the lanes' busy seconds."""
    env = simpy.Environment()
    lanes = simpy.Resource(env, capacity=kiosks)
    waits = np.zeros(len(times))
    found = np.zeros(len(times), dtype=np.int64)
    busy = [0.0]

    def person(index: int) -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        found[index] = len(lanes.queue)  # people already waiting
        with lanes.request() as turn:
            yield turn
            waits[index] = env.now - arrived
            hold = service()
            busy[0] += hold
            yield env.timeout(hold)

    def arrivals() -> Generator[simpy.Event, Any, None]:
        for index, moment in enumerate(times):
            yield env.timeout(moment - env.now)
            env.process(person(index))

    env.process(arrivals())
    env.run()
    return waits, found, busy[0]


def replay(arrivals: list[float], service: list[float], *, kiosks: int) -> list[float]:
    """A recorded day through the simulation as it happened: each person arriving at the
    recorded moment (seconds) and holding a lane for the recorded time, in order of arrival;
    the wait of each. (What ``simulate`` does with drawn arrivals and times, on given ones.)"""
    if len(arrivals) != len(service) or kiosks < 1:
        raise ValueError("one service time per arrival, at least one lane")
    order = np.argsort(np.asarray(arrivals, dtype=float), kind="stable")
    times = np.asarray(arrivals, dtype=float)[order]
    held = iter(np.asarray(service, dtype=float)[order].tolist())
    waits, _found, _busy = _one_run(times, kiosks, lambda: next(held))
    back = np.empty(len(waits))
    back[order] = waits
    return back.tolist()


def simulate(
    profile: ArrivalProfile, service: ServiceTimes, *, kiosks: int, runs: int = 20, seed: int = 1
) -> LaneOutcome:
    """``runs`` mornings of ``profile`` at ``kiosks`` lanes, each from its own seed."""
    if kiosks < 1 or runs < 1:
        raise ValueError("simulate at least one lane and one run")
    waits, found, longest, bins = [], [], [], []
    busy = span = 0.0
    for run in range(runs):
        rng = np.random.default_rng([seed, kiosks, run])
        times = _arrival_times(profile, rng)
        run_waits, run_found, run_busy = _one_run(times, kiosks, service.sampler(rng))
        waits.append(run_waits)
        found.append(run_found)
        longest.append(int(run_found.max()) if len(run_found) else 0)
        bins.append((times // BIN_SECONDS).astype(np.int64))
        busy += run_busy
        span += len(profile.counts) * BIN_SECONDS * kiosks
    all_waits = np.concatenate(waits)
    all_bins = np.concatenate(bins)
    per_bin = tuple(
        float(np.percentile(all_waits[all_bins == b], 95)) if np.any(all_bins == b) else 0.0
        for b in range(len(profile.counts))
    )
    empty = not len(all_waits)
    return LaneOutcome(
        kiosks=kiosks,
        runs=runs,
        people=len(all_waits),
        wait_mean=0.0 if empty else float(all_waits.mean()),
        wait_p50=0.0 if empty else float(np.percentile(all_waits, 50)),
        wait_p95=0.0 if empty else float(np.percentile(all_waits, 95)),
        wait_max=0.0 if empty else float(all_waits.max()),
        queue_p95=0.0 if empty else float(np.percentile(np.concatenate(found), 95)),
        longest_queue=int(np.median(longest)),
        utilisation=busy / span,
        bin_wait_p95=per_bin,
    )


@dataclass(frozen=True)
class Plan:
    profile: ArrivalProfile
    service: ServiceTimes
    target_p95: float
    outcomes: tuple[LaneOutcome, ...]
    kiosks: int | None
    """The fewest lanes whose 95th-percentile wait is within the target; None if none tried is."""


def plan(
    profile: ArrivalProfile,
    service: ServiceTimes,
    *,
    target_p95: float = 60.0,
    runs: int = 20,
    seed: int = 1,
    max_kiosks: int = MAX_KIOSKS,
    progress: Callable[[LaneOutcome], None] | None = None,
) -> Plan:
    """1, 2, 3 … lanes until the 95th-percentile wait is within ``target_p95`` seconds, and one
    more to show what it would buy. Lanes that could not keep up even on average with the busiest
    15 minutes are not simulated (their queue only grows there)."""
    busiest_rate = max(profile.counts) / BIN_SECONDS
    first = max(1, int(np.floor(busiest_rate * service.mean)))
    outcomes: list[LaneOutcome] = []
    chosen = None
    for kiosks in range(first, max_kiosks + 1):
        outcome = simulate(profile, service, kiosks=kiosks, runs=runs, seed=seed)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
        if chosen is not None:
            break
        if outcome.wait_p95 <= target_p95:
            chosen = kiosks
    return Plan(profile, service, target_p95, tuple(outcomes), chosen)
