"""A kiosk killed with SIGKILL at random moments, again and again, keeps an intact outbox: every
decision it reported as recorded is there, the file passes SQLite's integrity check, and the
tamper-evident chain runs unbroken across the crashes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clearance.core import vault
from kiosk.store import LocalStore
from tests.crash import kill_repeatedly
from tests.support import rejected_crossing


@pytest.mark.slow
def test_a_kiosk_killed_at_random_moments_keeps_every_decision_and_an_unbroken_chain(tmp_path: Path) -> None:
    path, key = tmp_path / "kiosk.sqlite3", os.urandom(32)
    reported = kill_repeatedly(path, key, iterations=25, seed=7)
    assert len(reported) > 25
    store = LocalStore(path, data_key=vault.DataKey(key))
    stored = {row[0] for row in store.read().execute("SELECT crossing_id FROM outbox")}
    assert reported <= stored
    assert store.check_integrity() == []
    store.close()


def test_the_integrity_check_finds_a_record_taken_out_of_the_outbox(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "kiosk.sqlite3", data_key=vault.DataKey(os.urandom(32)))
    records = [rejected_crossing() for _ in range(3)]
    for record in records:
        store.record_decision(record)
    assert store.check_integrity() == []
    with store.write() as db:
        db.execute("DELETE FROM outbox WHERE seq = 2")
    assert store.check_integrity() == [
        f"outbox record {records[2].id} breaks the chain at 2",
        "the chain head 3 does not match the outbox's last record 2",
    ]
    with store.write() as db:
        (body,) = db.execute("SELECT body FROM outbox WHERE seq = 3").fetchone()
        assert json.loads(body)["seq"] == 3
    store.close()
