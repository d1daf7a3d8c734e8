"""The flow of commuters: time to clear travels with each crossing (chained, signed, stored), and
officers and planners read per bridge, direction and hour what it was like at the lanes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.core import chain
from clearance.core.zone import ZONE_TIME, local_today
from clearance.db.models import Alert
from tests.support import API, METRICS, World, deliver


def test_a_record_from_a_kiosk_that_never_measured_time_to_clear_hashes_as_it_always_did() -> None:
    record = {
        "id": str(uuid.uuid4()),
        "decided_at": "2026-12-01T00:30:00Z",
        "decision": "cleared",
        "reasons": [],
        "commuter_id": str(uuid.uuid4()),
        "credential_id": str(uuid.uuid4()),
        "distance": 0.91,
        "duration_ms": 80.5,
        "seq": 7,
        "prev_hash": "ab" * 32,
    }
    # The canonical form of the fields hashed before time to clear existed.
    before = hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert chain.record_hash(record) == before
    assert chain.record_hash({**record, "clear_ms": None}) == before
    # A record that carries it is bound to it: changing it breaks the chain.
    timed = chain.record_hash({**record, "clear_ms": 2400.0})
    assert timed != before
    assert chain.record_hash({**record, "clear_ms": 900.0}) != timed
    # So is the time to leave of the person before, which the next record carries.
    assert chain.record_hash({**record, "previous_left_ms": None}) == before
    left = chain.record_hash({**record, "clear_ms": 2400.0, "previous_left_ms": 1200.0})
    assert left not in (before, timed)
    assert chain.record_hash({**record, "clear_ms": 2400.0, "previous_left_ms": 1300.0}) != left


def test_times_to_clear_and_to_leave_are_counted_for_prometheus(client: TestClient, world: World) -> None:
    def counts() -> tuple[float, float]:
        samples = {
            family.name: {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}
            for family in text_string_to_metric_families(client.get("/metrics", headers=METRICS).text)
        }
        to_hk = (("direction", "to_hk"),)
        clear = samples["hetao_time_to_clear_seconds"].get(
            ("hetao_time_to_clear_seconds_count", (("decision", "cleared"), *to_hk)), 0.0
        )
        leave = samples["hetao_time_to_leave_seconds"].get(("hetao_time_to_leave_seconds_count", to_hk), 0.0)
        return clear, leave

    before = counts()
    deliver(client, world, decision="cleared", reasons=[], clear_ms=1500.0)  # the first: nobody before
    deliver(client, world, decision="cleared", reasons=[], clear_ms=1700.0, previous_left_ms=900.0)
    assert counts() == (before[0] + 2, before[1] + 1)


def moment(day_offset: int, hh: int, mm: int) -> str:
    day = local_today() - timedelta(days=day_offset)
    return datetime.combine(day, time(hh, mm), ZONE_TIME).isoformat()


@pytest.fixture
def morning(client: TestClient, world: World) -> None:
    """Yesterday morning at the east bridge into Hong Kong, as its kiosk delivered it."""
    for hh, mm, decision, clear_ms, left_ms in [
        (8, 1, "cleared", 1500.0, None),  # the first of the morning: nobody before to have left
        (8, 5, "cleared", 2500.0, 1100.0),
        (8, 7, "refer", 9000.0, 700.0),
        (8, 20, "cleared", 1800.0, 3000.0),
        (9, 10, "rejected", None, None),  # an older kiosk: no time to clear or to leave
    ]:
        reasons = {"cleared": [], "refer": ["face_uncertain"], "rejected": ["no_qr"]}[decision]
        extra = {} if clear_ms is None else {"clear_ms": clear_ms}
        extra |= {} if left_ms is None else {"previous_left_ms": left_ms}
        deliver(client, world, decided_at=moment(1, hh, mm), decision=decision, reasons=reasons, **extra)


def test_officers_read_the_flow_per_bridge_direction_and_hour(
    client: TestClient, world: World, morning: None, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:  # delivered whole: no chain or signature alert
        assert session.scalars(select(Alert)).all() == []
    params = {"since": moment(1, 0, 0), "until": moment(0, 0, 0)}
    answer = client.get(f"{API}/flow", headers=world.officer.headers, params=params)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    eight, nine = report["hours"]
    assert (eight["bridge"], eight["direction"], eight["hour"][11:16]) == ("east", "to_hk", "08:00")
    assert (eight["crossings"], eight["cleared"], eight["referred"], eight["timed"]) == (4, 3, 1, 4)
    assert eight["referred_share"] == 0.25
    assert (eight["clear_p50_ms"], eight["clear_p95_ms"]) == (1800.0, 9000.0)
    assert (eight["left_timed"], eight["left_p50_ms"], eight["left_p95_ms"]) == (3, 1100.0, 3000.0)
    assert (nine["left_timed"], nine["left_p50_ms"]) == (0, None)
    assert (nine["crossings"], nine["rejected"], nine["timed"], nine["clear_p50_ms"]) == (1, 1, 0, None)
    (busiest,) = report["busiest_15_minutes"]
    assert (busiest["start"][11:16], busiest["crossings"]) == ("08:00", 3)

    csv = client.get(f"{API}/flow", headers=world.officer.headers, params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("bridge,direction,hour,crossings,cleared,referred,rejected")
    assert lines[1].endswith(",4,3,1,0,0.25,4,1800.0,9000.0,3,1100.0,3000.0")
    # Counts for officers: enrolment staff are not shown them; a range beyond a quarter is refused.
    refused = client.get(f"{API}/flow", headers=world.enroller_a.headers, params=params)
    assert refused.status_code == 403
    too_long = client.get(
        f"{API}/flow", headers=world.officer.headers, params={**params, "since": moment(200, 0, 0)}
    )
    assert too_long.status_code == 422
    assert "at most 92 days" in too_long.json()["detail"]
