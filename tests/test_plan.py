"""Planning the bridges: the queue simulation agrees with a queue whose answer is known (M/M/c),
and ``hetao plan`` gives a planner a kiosk count, a chart and clear errors."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.main import main
from clearance.core.enums import Bridge, Direction
from clearance.core.zone import ZONE_TIME, local_today
from clearance.planning import arrivals, queueing, simulation
from clearance.planning.recorded import recorded_profile, recorded_service_times
from tests.support import World, deliver


def test_erlang_c_gives_the_textbook_values() -> None:
    # One lane: an arrival waits exactly when the lane is busy, with probability rho.
    assert queueing.erlang_c(servers=1, offered_load=0.7) == pytest.approx(0.7)
    # Two lanes at one erlang: C = 1/3.
    assert queueing.erlang_c(servers=2, offered_load=1.0) == pytest.approx(1 / 3)
    # M/M/1: Wq = rho / (mu - lambda).
    assert queueing.mean_wait(arrival_rate=0.7, service_rate=1.0, servers=1) == pytest.approx(0.7 / 0.3)
    with pytest.raises(ValueError, match="never settles"):
        queueing.erlang_c(servers=2, offered_load=2.0)


@pytest.mark.parametrize(("servers", "arrival_rate", "service_rate"), [(1, 0.14, 0.2), (3, 0.48, 0.2)])
def test_the_simulation_waits_as_long_as_an_m_m_c_queue(
    servers: int, arrival_rate: float, service_rate: float
) -> None:
    """Poisson arrivals and exponential service (cv 1) at 70 % and 80 % load: the simulated mean
    wait and 95th-percentile wait within 5 % of the closed form."""
    bins = 96  # a day of constant arrivals, many runs
    profile = arrivals.ArrivalProfile(0, (arrival_rate * arrivals.BIN_SECONDS,) * bins, source="flat")
    service = simulation.ServiceTimes(1 / service_rate, cv=1.0)
    outcome = simulation.simulate(profile, service, kiosks=servers, runs=6, seed=7)
    expected_mean = queueing.mean_wait(arrival_rate=arrival_rate, service_rate=service_rate, servers=servers)
    expected_p95 = queueing.wait_quantile(
        arrival_rate=arrival_rate, service_rate=service_rate, servers=servers, quantile=0.95
    )
    assert outcome.people > 50_000
    assert outcome.wait_mean == pytest.approx(expected_mean, rel=0.05)
    assert outcome.wait_p95 == pytest.approx(expected_p95, rel=0.05)
    assert outcome.utilisation == pytest.approx(arrival_rate / (servers * service_rate), rel=0.05)


def _first_come_first_served(arrivals: list[float], service: list[float], kiosks: int) -> list[float]:
    """The waits of a first-come-first-served queue at ``kiosks`` lanes, worked out directly:
    each person starts when they arrive or when the first lane frees, whichever is later."""
    free = [0.0] * kiosks
    waits = []
    for arrived, held in sorted(zip(arrivals, service, strict=True)):
        free.sort()
        start = max(arrived, free[0])
        waits.append(start - arrived)
        free[0] = start + held
    return waits


@pytest.mark.parametrize("kiosks", [1, 2, 3])
def test_a_replayed_morning_waits_exactly_as_its_queue_did(kiosks: int) -> None:
    """A morning with a rush in it (arrivals at the recorded moments, each holding a lane for its
    recorded time) through the simulation gives every person the wait the queue gave them."""
    rng = np.random.default_rng(kiosks)
    quiet = rng.uniform(0, 3600, 150)
    rush = rng.uniform(1200, 1800, 300 * kiosks)  # a burst the lanes cannot keep up with
    arrivals_at = np.concatenate([quiet, rush]).tolist()
    service = rng.gamma(4.0, 2.0, len(arrivals_at)).tolist()  # mean 8 s, as measured lanes
    simulated = simulation.replay(arrivals_at, service, kiosks=kiosks)
    expected = _first_come_first_served(arrivals_at, service, kiosks)
    ordered = [simulated[i] for i in np.argsort(arrivals_at, kind="stable")]
    assert max(ordered) > 60  # the rush made people wait
    assert ordered == pytest.approx(expected, abs=1e-6)


def test_measured_service_times_are_drawn_as_measured(tmp_path: Path) -> None:
    times = tmp_path / "lane.txt"
    times.write_text("seconds\n3.0\n\n5.0\n", encoding="utf-8")
    service = simulation.ServiceTimes.read(times)
    draw = service.sampler(np.random.default_rng(1))
    assert {draw() for _ in range(200)} == {3.0, 5.0}
    assert service.mean == pytest.approx(4.0)
    times.write_text("3.0\nfast\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: 'fast' is not a number of seconds"):
        simulation.ServiceTimes.read(times)


def test_a_planner_gets_the_fewest_kiosks_for_a_population_and_its_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "plan.svg"
    code = main(["plan", "--population", "10000", "--runs", "4", "--chart", str(chart), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    figures = json.loads(out.strip().splitlines()[-1])
    chosen = figures["kiosks"]
    by_kiosks = {o["kiosks"]: o for o in figures["outcomes"]}
    # The plan is the fewest lanes within the target: one fewer is not, one more is shown too.
    assert by_kiosks[chosen]["wait_p95"] <= 60
    assert chosen - 1 not in by_kiosks or by_kiosks[chosen - 1]["wait_p95"] > 60
    assert by_kiosks[chosen + 1]["wait_p95"] <= by_kiosks[chosen]["wait_p95"]
    assert f"{chosen} kiosk(s) in this direction keep the 95th-percentile wait within 60 s" in out
    # Half of 10,000 commuters use this bridge, about 5,000 arrivals each simulated morning.
    assert figures["people"] == pytest.approx(5000)
    assert 4 * 4800 < by_kiosks[chosen]["people"] < 4 * 5200
    drawn = chart.read_text(encoding="utf-8")
    assert drawn.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and drawn.endswith("</svg>")
    assert f"{chosen} kiosk(s): p95 wait" in drawn


def test_an_arrivals_csv_is_read_and_its_mistakes_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "morning.csv"
    good.write_text("start,arrivals\n08:00,120\n08:15,300\n08:30,180\n", encoding="utf-8")
    profile = arrivals.read_csv(good)
    assert (profile.start_minute, profile.counts, profile.busiest()) == (480, (120, 300, 180), ("08:15", 300))
    assert main(["plan", "--arrivals", str(good), "--runs", "2", "--service-mean", "4"]) == 0
    assert "busiest 15 minutes 08:15 (300)" in capsys.readouterr().out

    for text, problem in [
        ("start,arrivals\n08:00,120\n08:45,10\n", "row 3: each row must start 15 minutes after"),
        ("start,arrivals\n08:07,120\n", "'08:07' does not start a quarter of an hour"),
        ("start,people\n08:00,120\n", "expected the columns start,arrivals"),
        ("start,arrivals\n08:00,many\n", "row 2: 'many' is not a number of arrivals"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        assert main(["plan", "--arrivals", str(bad)]) == 2
        assert problem in capsys.readouterr().err


def test_arrivals_recorded_at_a_bridge_are_counted_per_quarter_hour(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    yesterday = local_today() - timedelta(days=1)

    def at(hh: int, mm: int) -> str:
        return datetime.combine(yesterday, time(hh, mm), ZONE_TIME).isoformat()

    for moment in [at(8, 1), at(8, 14), at(8, 20), at(9, 59), at(7, 59)]:
        deliver(client, world, decided_at=moment, decision="rejected", reasons=["no_qr"])
    with sessions() as session:
        counts = {
            direction: recorded_profile(
                session,
                bridge=Bridge.EAST,
                direction=direction,
                since=yesterday,
                until=yesterday,
                window=(8 * 60, 9 * 60),
            ).counts
            for direction in Direction
        }
    assert counts == {Direction.TO_HK: (2, 1, 0, 0), Direction.TO_SZ: (0, 0, 0, 0)}


def test_service_times_are_the_recorded_time_to_clear_and_to_leave_of_each_person(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """A person holds their lane for their time to clear, then their time to leave, which the
    kiosk's next record carries: the plan can run on what the lanes measured."""
    yesterday = local_today() - timedelta(days=1)

    def at(hh: int, mm: int) -> str:
        return datetime.combine(yesterday, time(hh, mm), ZONE_TIME).isoformat()

    for mm, clear_ms, left_ms in [
        (1, 2000.0, None),  # the first: nobody before it to have left
        (2, 3000.0, 1500.0),  # the 08:01 person took 1.5 s to leave: held the lane 3.5 s
        (3, None, 500.0),  # an attempt without a time to clear; the 08:02 person left in 0.5 s
        (4, 1000.0, 700.0),  # the 08:03 person had no time to clear: left out
        (5, 4000.0, None),  # the 08:04 person stepped aside as the next came up: not measured
    ]:
        times = {"clear_ms": clear_ms} if clear_ms else {}
        times |= {"previous_left_ms": left_ms} if left_ms else {}
        deliver(client, world, decided_at=at(8, mm), decision="cleared", reasons=[], **times)
    with sessions() as session:
        seconds = recorded_service_times(
            session, bridge=Bridge.EAST, direction=Direction.TO_HK, since=yesterday, until=yesterday
        )
        other_way = recorded_service_times(
            session, bridge=Bridge.EAST, direction=Direction.TO_SZ, since=yesterday, until=yesterday
        )
    assert sorted(seconds) == [3.5, 3.5] and other_way == []
    with pytest.raises(SystemExit, match="--recorded-service needs --bridge, --direction and --since"):
        main(["plan", "--recorded-service", "--population", "100"])
