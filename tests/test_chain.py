"""The kiosk's tamper-evident crossing log: records chained by hash, batches signed by the kiosk's
own key, checked by the server on arrival. Deleting, editing or reordering records in a kiosk's
outbox, or sending a batch the kiosk did not sign, raises an officer alert."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from clearance.core import chain, vault
from clearance.core.wire import CrossingRecord
from clearance.core.zone import utcnow
from clearance.db.engine import session_scope
from clearance.db.models import Kiosk
from kiosk.link import Refused, ServerLink
from kiosk.runner import Deliverer, Syncer
from kiosk.station import LinkStatus
from kiosk.store import LocalStore
from tests.pages import sign_in
from tests.support import API, World, rejected_crossing, table_counts

Tamper = Callable[[LocalStore], None]
# The kiosk's link passes its own timeouts, which the test client only warns about.
pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")


def decision(n: int) -> CrossingRecord:
    return rejected_crossing(duration_ms=float(n))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    local = LocalStore(tmp_path / "kiosk.sqlite3", data_key=vault.DataKey(os.urandom(32)))
    for n in range(5):
        local.record_decision(decision(n))
    yield local
    local.close()


@pytest.fixture
def link(app: FastAPI, client: TestClient, world: World) -> ServerLink:
    """The kiosk's real link, over the test client (which shares the test's transaction)."""
    kiosk_link = ServerLink("http://testserver", key="unused")
    kiosk_link.client = TestClient(app, headers=world.kiosk)
    return kiosk_link


def deliverer(store: LocalStore, link: ServerLink, key: Ed25519PrivateKey | None = None) -> Deliverer:
    return Deliverer(store, link, status=LinkStatus(), signing_key=key or Ed25519PrivateKey.generate())


def open_alerts(client: TestClient, world: World) -> list[str]:
    found = client.get(f"{API}/alerts", headers=world.officer.headers).json()
    return [a["detail"] for a in found if a["kind"] == "crossing_log_tampered"]


def edit_body(store: LocalStore, seq: int, change: Callable[[dict[str, object]], None]) -> None:
    with store.write() as db:
        (body,) = db.execute("SELECT body FROM outbox WHERE seq = ?", (seq,)).fetchone()
        record = json.loads(body)
        change(record)
        db.execute("UPDATE outbox SET body = ? WHERE seq = ?", (json.dumps(record), seq))


def test_an_untouched_log_is_accepted_without_alerts(
    store: LocalStore, link: ServerLink, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    deliverer(store, link).step()
    assert store.outbox_counts()["pending"] == 0
    assert open_alerts(client, world) == []
    with sessions() as session:
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None and kiosk.chain_seq == 5
        (last,) = [json.loads(b) for (b,) in store.read().execute("SELECT body FROM outbox WHERE seq = 5")]
        assert kiosk.chain_hash == chain.record_hash(last)


def delete_third(store: LocalStore) -> None:
    with store.write() as db:
        db.execute("DELETE FROM outbox WHERE seq = 3")


def edit_second(store: LocalStore) -> None:
    edit_body(store, 2, lambda record: record.update(decision="cleared", reasons=[]))


def swap_second_and_third(store: LocalStore) -> None:
    edit_body(store, 2, lambda record: record.update(seq=3))
    edit_body(store, 3, lambda record: record.update(seq=2))


@pytest.mark.parametrize(
    ("tamper", "found"),
    [
        (delete_third, "record 3 is missing"),
        (edit_second, "record 3 does not follow record 2"),
        (swap_second_and_third, "does not follow record"),
    ],
    ids=["deleted", "edited", "reordered"],
)
def test_a_tampered_outbox_is_found_on_arrival(
    store: LocalStore, link: ServerLink, client: TestClient, world: World, tamper: Tamper, found: str
) -> None:
    tamper(store)
    deliverer(store, link).step()
    # The records are still stored: a crossing is never dropped, but officers are told.
    assert store.outbox_counts()["pending"] == 0
    alerts = open_alerts(client, world)
    assert alerts and any(found in detail for detail in alerts), alerts


def test_a_batch_not_signed_by_the_kiosks_key_is_refused_and_reported(
    store: LocalStore, link: ServerLink, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    genuine = Ed25519PrivateKey.generate()
    store.record_decision(decision(99))
    deliverer(store, link, genuine).step()  # introduces the genuine key with the first batch
    store.record_decision(decision(100))
    before = table_counts(sessions)
    impostor = deliverer(store, link, Ed25519PrivateKey.generate())
    impostor._introduced = True  # someone holding the kiosk's API key, but not its signing key
    with pytest.raises(Refused, match="422"):
        impostor.step()
    assert table_counts(sessions)["crossings"] == before["crossings"]
    assert any("signature" in detail for detail in open_alerts(client, world))
    # And presenting another key to take over the kiosk's identity is refused too.
    with pytest.raises(Refused, match="409"):
        deliverer(store, link).step()
    assert any("other than the one it registered" in detail for detail in open_alerts(client, world))


def test_a_kiosk_store_rolled_back_to_an_old_copy_shows_as_a_fork(
    store: LocalStore, link: ServerLink, client: TestClient, world: World
) -> None:
    key = Ed25519PrivateKey.generate()
    deliverer(store, link, key).step()
    # The store is put back to how it was after record 3 (an old copy): its next record is 4 again.
    with store.write() as db:
        (body,) = db.execute("SELECT body FROM outbox WHERE seq = 3").fetchone()
        db.execute("UPDATE state SET value = '3' WHERE key = 'chain_seq'")
        db.execute(
            "UPDATE state SET value = ? WHERE key = 'chain_hash'", (chain.record_hash(json.loads(body)),)
        )
    store.record_decision(decision(42))
    deliverer(store, link, key).step()
    assert any("record 4 repeats a position already taken" in detail for detail in open_alerts(client, world))


def test_officers_see_each_lane_with_its_kiosks_health(
    store: LocalStore,
    link: ServerLink,
    page_client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
) -> None:
    # The kiosk syncs its whitelist holding five undelivered crossings: the server learns both.
    Syncer(store, link, interval=60, status=LinkStatus()).sync_all()
    with sessions() as session:
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        assert kiosk.outbox_waiting == 5 and kiosk.whitelist_synced_at is not None
    sign_in(page_client, "officer")
    tile = _lane(page_client.get("/dashboard/stats").text, world)
    assert "online" in tile and "whitelist 0 min old" in tile and "5 crossings waiting" in tile
    # Silent for an hour: the tile says so, however recent its last whitelist was.
    with session_scope(sessions) as session:
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        kiosk.last_seen_at = utcnow() - timedelta(minutes=61)
    tile = _lane(page_client.get("/dashboard/stats").text, world)
    assert 'class="lane silent"' in tile and "silent for 61 min" in tile


def _lane(page: str, world: World) -> str:
    start = page.index(f'data-kiosk="{world.kiosk_id}"')
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]
