"""The M/M/c queue in closed form (Erlang C): Poisson arrivals, exponential service, ``servers``
lanes sharing one first-come-first-served queue. The simulation (``clearance.planning.simulation``)
is checked against it: a queue whose answer is known.

    erlang_c(servers=3, offered_load=2.4)        # the chance that an arrival has to wait
    mean_wait(arrival_rate=0.6, service_rate=0.25, servers=3)
    wait_quantile(arrival_rate=0.6, service_rate=0.25, servers=3, quantile=0.95)
"""

from __future__ import annotations

import math


def erlang_c(*, servers: int, offered_load: float) -> float:
    """The probability that an arrival waits, with ``offered_load`` = arrival rate / service rate
    (in erlangs) below ``servers``. Computed through the Erlang B recursion, stable for any size."""
    if servers < 1:
        raise ValueError("an M/M/c queue needs at least one server")
    if not 0 <= offered_load < servers:
        raise ValueError(f"an offered load of {offered_load:g} erlangs never settles on {servers} servers")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = offered_load * blocking / (n + offered_load * blocking)
    utilisation = offered_load / servers
    return blocking / (1 - utilisation + utilisation * blocking)


def mean_wait(*, arrival_rate: float, service_rate: float, servers: int) -> float:
    """The mean time an arrival spends queueing before a lane takes it (not counting service)."""
    waits = erlang_c(servers=servers, offered_load=arrival_rate / service_rate)
    return waits / (servers * service_rate - arrival_rate)


def wait_quantile(*, arrival_rate: float, service_rate: float, servers: int, quantile: float) -> float:
    """The time within which ``quantile`` of arrivals are taken by a lane: P(wait > t) is
    C * exp(-(c*mu - lambda) * t), and 0 when fewer than 1 - quantile have to wait at all."""
    waits = erlang_c(servers=servers, offered_load=arrival_rate / service_rate)
    if waits <= 1 - quantile:
        return 0.0
    return math.log(waits / (1 - quantile)) / (servers * service_rate - arrival_rate)
