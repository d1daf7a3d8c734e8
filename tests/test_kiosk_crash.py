"""A kiosk killed with SIGKILL at random moments, again and again, keeps an intact outbox: every
decision it reported as recorded is there, the file passes SQLite's integrity check, and the
tamper-evident chain runs unbroken across the crashes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clearance.core import vault
from clearance.core.settings import Settings
from kiosk.runner import load_signing_key, open_store
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


def test_the_kiosk_store_and_its_keys_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    store = open_store(settings, "hk_some-kiosk-key")
    store.record_decision(rejected_crossing())
    load_signing_key(settings, "hk_some-kiosk-key")
    folder = store.path.parent
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    store.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert modes["kiosk.sqlite3"] == 0o600 and modes["data.key"] == 0o600
    assert modes["signing-ed25519.pem"] == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes
    # The data key can live apart from the store (HETAO_KIOSK_DATA_KEY_FILE).
    apart = Settings(data_dir=tmp_path / "data", kiosk_data_key_file=tmp_path / "keys" / "kiosk.key")
    elsewhere = open_store(apart, "hk_another-key")
    assert not (elsewhere.path.parent / "data.key").exists()
    assert stat.S_IMODE((tmp_path / "keys" / "kiosk.key").stat().st_mode) == 0o600
    elsewhere.close()
