"""Load on the anti-passback rule: 1,000 attempts at once for the same commuter, through two server
processes sharing one PostgreSQL database, clear the commuter exactly once; and two attempts of one
incident decided at once raise one alert."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clearance.alerts import service as alerts
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import AlertKind
from clearance.db.engine import make_engine, make_sessionmaker
from clearance.db.models import Alert
from tests.live import running_servers
from tests.support import API, wait_until

A = SAMPLE_COMMUTERS[0]
ATTEMPTS = 1000
CLIENTS = 32

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("HETAO_TEST_DATABASE_URL"), reason="two server processes need PostgreSQL"
    ),
]


def test_a_thousand_simultaneous_attempts_clear_the_commuter_exactly_once(tmp_path: Path) -> None:
    with running_servers(tmp_path, "thousand_attempts", processes=2) as (first, second):
        commuter, credential = first.enrol_active(A)
        face = A.live_photo.read_bytes()
        clients = [httpx.Client(base_url=server.url, timeout=120) for server in (first, second)]
        key = first.kiosks["east_to_hk"]

        def attempt(n: int) -> tuple[int, str, tuple[str, ...]]:
            response = clients[n % 2].post(
                f"{API}/kiosk/verify",
                headers={"Authorization": f"Bearer {key}"},
                data={"qr_payload": credential["payload"]},
                files={"face": ("face.jpg", face, "image/jpeg")},
            )
            if response.status_code != 200:
                return response.status_code, "", ()
            body = response.json()
            return 200, body["decision"], tuple(body["reasons"])

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(attempt, range(ATTEMPTS)))
        for client in clients:
            client.close()
        statuses = Counter(status for status, _decision, _reasons in results)
        assert statuses == {200: ATTEMPTS}
        decisions = Counter((decision, reasons) for _status, decision, reasons in results)
        assert decisions == {("cleared", ()): 1, ("refer", ("anti_passback",)): ATTEMPTS - 1}
        crossings = first.crossings(commuter_id=commuter["id"])
        assert len(crossings) == ATTEMPTS
        presence = httpx.get(
            f"{second.url}{API}/kiosk/presence/{commuter['id']}", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert presence["last_side"] == "hk"


def test_two_attempts_of_one_incident_decided_at_once_raise_one_alert(tmp_path: Path) -> None:
    """The second transaction waits for the first to commit, then finds its alert: it could not
    see it before (read committed) and would have raised a second one."""
    with running_servers(tmp_path, "one_alert_at_once") as (server,):
        commuter, _ = server.enrol_active(A)
        engine = make_engine(server.database_url)
        sessions = make_sessionmaker(engine)
        commuter_id = uuid.UUID(commuter["id"])

        def raise_one(session: Session) -> bool:
            raised = alerts.raise_alert(
                session,
                kind=AlertKind.ANTI_PASSBACK_CONFLICT,
                commuter_id=commuter_id,
                detail="two clearances into the same park",
                dedupe_key=f"test {uuid.uuid4()}",  # distinct attempts: only the incident joins them
                incident_window=timedelta(minutes=10),
            )
            return raised is not None

        try:
            with sessions() as first, sessions() as second, ThreadPoolExecutor(max_workers=1) as pool:
                assert raise_one(first)  # raised, not committed yet
                later = pool.submit(lambda: (raise_one(second), second.commit()))

                def second_waits() -> bool:
                    with engine.connect() as look:
                        waiting = look.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                            )
                        ).scalar()
                    return bool(waiting) or later.done()

                assert wait_until(second_waits, within=60)
                first.commit()
                raised_second, _ = later.result(timeout=60)
            assert raised_second is False
            with sessions() as session:
                kinds = session.scalars(select(Alert.kind).where(Alert.commuter_id == commuter_id)).all()
            assert kinds == [AlertKind.ANTI_PASSBACK_CONFLICT]
        finally:
            engine.dispose()
