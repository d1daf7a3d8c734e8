"""Load on the anti-passback rule: 1,000 attempts at once for the same commuter, through two server
processes sharing one PostgreSQL database, clear the commuter exactly once."""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from clearance.cli.samples import SAMPLE_COMMUTERS
from tests.live import running_servers
from tests.support import API

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
