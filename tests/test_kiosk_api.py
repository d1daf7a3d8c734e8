"""The kiosk-facing API: whitelist feed, idempotent crossing delivery, presence, dynamic codes."""

import base64
import json
import os
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.alerts import service as alerts
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import credentials, vault
from clearance.core.wire import TEMPLATES_APART, WhitelistColumns, WhitelistColumnsPage, WhitelistPage
from clearance.core.zone import utcnow
from clearance.db.engine import session_scope
from clearance.db.models import Alert, Crossing
from kiosk.link import Refused, ServerLink
from kiosk.runner import Syncer
from kiosk.station import LinkStatus
from kiosk.store import LocalStore
from tests.support import API, METRICS, KioskSigner, World, enrol_active, frame_jpeg, verify_frame

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]


def whitelist(client: TestClient, world: World, since: int = 0, limit: int = 2000) -> dict:  # type: ignore[type-arg]
    response = client.get(
        f"{API}/kiosk/whitelist", headers=world.kiosk, params={"since": since, "limit": limit}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_whitelist_snapshot_then_only_changes_with_removals(client: TestClient, world: World) -> None:
    a, credential_a = enrol_active(client, world, A)
    b, _ = enrol_active(client, world, B)
    snapshot = whitelist(client, world)
    entries = {e["commuter_id"]: e for e in snapshot["entries"]}
    assert set(entries) == {a["id"], b["id"]}
    assert snapshot["more"] is False
    assert len(base64.b64decode(entries[a["id"]]["template"])) == 4 * 256  # the default model: 256 floats
    assert [c["id"] for c in entries[a["id"]]["credentials"]] == [credential_a["id"]]
    assert snapshot["keys"] and snapshot["keys"][0]["kid"] == credential_a["kid"]
    assert whitelist(client, world, since=snapshot["cursor"])["entries"] == []
    client.post(f"{API}/commuters/{a['id']}/suspend", headers=world.officer.headers, json={"reason": "check"})
    change = whitelist(client, world, since=snapshot["cursor"])
    assert change["entries"] == [{"commuter_id": a["id"], "version": change["cursor"], "removed": True}]
    # Paging: one entry per page still reaches everything, in order.
    first = whitelist(client, world, limit=1)
    assert first["more"] is True
    assert len(first["entries"]) == 1


def test_the_columns_layout_carries_what_the_entries_layout_carries(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    """Kiosks ask for ``layout=columns`` (a snapshot of 100,000 in a third less time); servers and
    kiosks before it speak in entries. A store fed either way holds the same whitelist."""
    a, credential_a = enrol_active(client, world, A)
    b, _ = enrol_active(client, world, B)
    dynamic = client.post(
        f"{API}/commuters/{b['id']}/credentials", headers=world.enroller_a.headers, json={"kind": "dynamic"}
    )
    assert dynamic.status_code == 201, dynamic.text
    model = whitelist(client, world)["entries"][0]["model"]  # the server's: the kiosks' too
    by_entries, by_columns = (
        LocalStore(tmp_path / name, data_key=vault.DataKey(os.urandom(32)), model=model, model_size=256)
        for name in ("entries.sqlite3", "columns.sqlite3")
    )

    def sync() -> WhitelistColumnsPage:
        assert by_entries.cursor == by_columns.cursor
        since = {"since": by_entries.cursor}
        entries = client.get(f"{API}/kiosk/whitelist", headers=world.kiosk, params=since)
        columns = client.get(
            f"{API}/kiosk/whitelist", headers=world.kiosk, params=since | {"layout": "columns"}
        )
        assert entries.status_code == columns.status_code == 200, (entries.text, columns.text)
        by_entries.apply_whitelist_page(WhitelistPage.model_validate_json(entries.content))
        page = WhitelistColumnsPage.model_validate_json(columns.content)
        by_columns.apply_whitelist_page(page)
        # layout=binary, as kiosks ask now: the same page, its templates as raw bytes after the JSON.
        binary = client.get(
            f"{API}/kiosk/whitelist", headers=world.kiosk, params=since | {"layout": "binary"}
        )
        assert binary.status_code == 200 and binary.headers["content-type"] == "application/octet-stream"
        head, newline, block = binary.content.partition(b"\n")
        assert newline and json.loads(head)["columns"]["templates"] == ""
        assert WhitelistColumnsPage.model_validate_json(head, context={TEMPLATES_APART: block}).columns == (
            page.columns
        )
        return page

    def same() -> None:
        assert by_entries.count_whitelist() == by_columns.count_whitelist()
        for commuter in (a, b):
            one, other = (
                by_entries.commuter(uuid.UUID(commuter["id"])),
                by_columns.commuter(uuid.UUID(commuter["id"])),
            )
            if one is None or other is None:
                assert one is other is None
                continue
            assert one.template is not None and other.template is not None
            assert np.array_equal(one.template, other.template)
            assert (one.valid_until, one.face_only, one.last_side) == (
                other.valid_until,
                other.face_only,
                other.last_side,
            )
        for holder, credential in ((a, credential_a), (b, dynamic.json())):
            asked = uuid.UUID(credential["id"]), uuid.UUID(holder["id"])
            assert by_entries.credential(asked[0], holder_id=asked[1]) == by_columns.credential(
                asked[0], holder_id=asked[1]
            )

    snapshot = sync()
    assert {str(c) for c in snapshot.columns.commuter_id} == {a["id"], b["id"]}
    assert len(snapshot.columns.templates) == 2 * 4 * 256  # one 256-float row each, in one block
    assert sum(secret is not None for secret in snapshot.columns.credential_secret) == 1  # the dynamic code's
    same()
    held = by_columns.credential(uuid.UUID(dynamic.json()["id"]), holder_id=uuid.UUID(b["id"]))
    assert held is not None and held.secret
    assert by_columns.credential(uuid.UUID(dynamic.json()["id"]), holder_id=uuid.UUID(a["id"])) is None
    # A removal and a change: both stores follow.
    client.post(f"{API}/commuters/{a['id']}/suspend", headers=world.officer.headers, json={"reason": "check"})
    change = sync()
    assert [str(c) for c in change.columns.commuter_id] == [a["id"]] and change.columns.removed == [True]
    same()
    assert by_columns.commuter(uuid.UUID(a["id"])) is None and by_columns.was_removed(
        uuid.UUID(credential_a["id"])
    )


# The kiosk's link passes its own timeouts, which the test client only warns about.
@pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")
def test_a_kiosk_pages_through_the_whitelist_and_stops_cleanly_when_refused_midway(
    app: FastAPI, client: TestClient, world: World, tmp_path: Path
) -> None:
    """A snapshot of more than a page is fetched ahead while the kiosk applies it; when the
    server refuses the kiosk half-way (its key replaced), the sync stops with the refusal, keeps
    the pages it applied, and leaves no fetcher running."""
    ids = {enrol_active(client, world, person)[0]["id"] for person in (A, B, SAMPLE_COMMUTERS[2])}
    model = whitelist(client, world)["entries"][0]["model"]

    def fresh_store(name: str) -> LocalStore:
        return LocalStore(
            tmp_path / name, data_key=vault.DataKey(os.urandom(32)), model=model, model_size=256
        )

    def kiosk_link(after_first_page: Callable[[], None] = lambda: None) -> ServerLink:
        class Link(ServerLink):
            def whitelist_page(self, **asked: Any) -> WhitelistColumnsPage:
                page = super().whitelist_page(**asked)
                after_first_page()
                return page

        link = Link("http://testserver", key="unused")
        link.client = TestClient(app, headers=world.kiosk)
        return link

    whole = fresh_store("whole.sqlite3")
    Syncer(whole, kiosk_link(), interval=60, status=LinkStatus(), page_size=1).sync_all()
    assert {str(whole.commuter(uuid.UUID(i)).commuter_id) for i in ids} == ids  # type: ignore[union-attr]
    assert whole.count_whitelist() == 3

    rekeyed: list[int] = []

    def rekey_once() -> None:
        if not rekeyed:
            answer = client.post(f"{API}/kiosks/{world.kiosk_id}/rekey", headers=world.admin.headers)
            rekeyed.append(answer.status_code)

    cut = fresh_store("cut.sqlite3")
    with pytest.raises(Refused, match="401"):
        Syncer(cut, kiosk_link(rekey_once), interval=60, status=LinkStatus(), page_size=1).sync_all()
    assert rekeyed == [200]
    assert cut.count_whitelist() == 1 and cut.cursor > 0  # the first page, applied whole
    assert not [t for t in threading.enumerate() if t.name == "whitelist-fetch"]


def test_a_columns_page_whose_columns_disagree_is_refused() -> None:
    """The kiosk checks a columns page before it applies anything: lists of different lengths,
    templates that do not add up, a credential pointing at no entry."""
    good = {
        "commuter_id": [str(uuid.uuid4())],
        "version": [1],
        "removed": [False],
        "valid_until": ["2030-01-01"],
        "face_only": [False],
        "model": ["m"],
        "last_side": [None],
        "last_crossed_at": [None],
        "template_bytes": [4],
        "templates": base64.b64encode(b"abcd").decode(),
        "credential_owner": [0],
        "credential_id": [str(uuid.uuid4())],
        "credential_kind": ["static"],
        "credential_revoked": [False],
        "credential_expires_at": ["2030-01-01T00:00:00+00:00"],
        "credential_secret": [None],
    }
    assert WhitelistColumns.model_validate(good).template_bytes == [4]
    apart = {TEMPLATES_APART: b"abcd"}
    assert WhitelistColumns.model_validate(good | {"templates": ""}, context=apart).templates == b"abcd"
    for broken in (
        {"version": [1, 2]},
        {"template_bytes": [5]},
        {"credential_owner": [1]},
        {"credential_kind": []},
        {"removed": [True]},  # a removed commuter holds no credential
        {"commuter_id": [str(uuid.uuid4()).upper()]},  # ids in their canonical text only
        {"credential_id": ["not-an-id"]},
    ):
        with pytest.raises(ValidationError):
            WhitelistColumns.model_validate(good | broken)
    for templates, context in ((base64.b64encode(b"abcd").decode(), apart), ("", {TEMPLATES_APART: b"abc"})):
        with pytest.raises(ValidationError):  # templates in both places; a block that does not add up
            WhitelistColumns.model_validate(good | {"templates": templates}, context=context)


def test_crossing_delivery_is_idempotent_and_checks_each_item(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, credential = enrol_active(client, world, A)
    item = {
        "id": str(uuid.uuid4()),
        "decided_at": utcnow().isoformat(),
        "decision": "cleared",
        "reasons": [],
        "commuter_id": a["id"],
        "credential_id": credential["id"],
        "distance": 0.31,
        "duration_ms": 120.5,
    }
    bad = [
        {**item, "id": str(uuid.uuid4()), "decided_at": "2026-01-01T08:00:00"},
        {**item, "id": str(uuid.uuid4()), "commuter_id": str(uuid.uuid4())},
        {**item, "id": str(uuid.uuid4()), "decision": "waved_through"},
        "not an object",
    ]
    batch = world.signer.batch([item, item, *bad])
    response = world.signer.send(client, "", batch)
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["created", "duplicate", "invalid", "invalid", "invalid", "invalid"]
    assert all(r["detail"] for r in response.json()["results"][2:])
    again = client.post(
        f"{API}/kiosk/crossings", headers=world.kiosk, json={"crossings": [item], "signature": None}
    )
    assert again.status_code == 422  # once a kiosk has its key, an unsigned batch is refused
    # The answer was lost: the kiosk sends the same batch again, and nothing is stored twice.
    again = world.signer.send(client, "", batch)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 2 + ["invalid"] * 4
    metrics = client.get("/metrics", headers=METRICS).text
    assert 'hetao_kiosk_crossings_total{status="duplicate"}' in metrics
    with sessions() as session:
        stored = session.get_one(Crossing, uuid.UUID(item["id"]))
        assert stored.kiosk_id == world.kiosk_id
        assert stored.direction.value == "to_hk"
    presence = client.get(f"{API}/kiosk/presence/{a['id']}", headers=world.kiosk).json()
    assert presence["last_side"] == "hk"


def test_offline_passback_found_on_arrival_raises_an_alert(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, _ = enrol_active(client, world, A)
    now = utcnow()
    items = [
        {
            "id": str(uuid.uuid4()),
            "decided_at": (now - timedelta(minutes=m)).isoformat(),
            "decision": "cleared",
            "commuter_id": a["id"],
        }
        for m in (10, 5)
    ]
    results = world.signer.deliver(client, "", items).json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    with sessions() as session:
        alerts = list(session.scalars(select(Alert)))
        assert [(alert.kind.value, str(alert.crossing_id)) for alert in alerts] == [
            ("anti_passback_conflict", items[1]["id"])
        ]


def test_a_looping_kiosk_raises_one_alert_for_one_incident(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, _ = enrol_active(client, world, A)
    now = utcnow()
    # Four offline clearances into the same park within a minute: three clashes, one incident.
    items = [
        {
            "id": str(uuid.uuid4()),
            "decided_at": (now - timedelta(seconds=s)).isoformat(),
            "decision": "cleared",
            "commuter_id": a["id"],
        }
        for s in (60, 45, 30, 15)
    ]
    world.signer.deliver(client, "", items[:2])
    world.signer.deliver(client, "", items[2:])
    with sessions() as session:
        raised = [alert.kind.value for alert in session.scalars(select(Alert))]
    assert raised == ["anti_passback_conflict"]


def test_online_anti_passback_refers_the_second_entry(client: TestClient, world: World) -> None:
    _a, credential = enrol_active(client, world, A)
    frame = frame_jpeg(A.live_photo, credential["payload"])
    assert verify_frame(client, world, frame).json()["decision"] == "cleared"
    second = verify_frame(client, world, frame).json()
    assert (second["decision"], second["reasons"]) == ("refer", ["anti_passback"])


def test_dynamic_code_clears_once_and_a_replay_is_rejected(client: TestClient, world: World) -> None:
    a, _ = enrol_active(client, world, A)
    issued = client.post(
        f"{API}/commuters/{a['id']}/credentials", headers=world.enroller_a.headers, json={"kind": "dynamic"}
    )
    assert issued.status_code == 201
    body = issued.json()
    assert body["kind"] == "dynamic" and body["secret"]
    secret = base64.b64decode(body["secret"])
    shown = credentials.dynamic_qr_text(body["payload"], secret=secret, now=utcnow())
    assert verify_frame(client, world, frame_jpeg(A.live_photo, shown)).json()["decision"] == "cleared"
    # The same code again (a photo of the phone): replayed, before any face work.
    replay = verify_frame(client, world, frame_jpeg(A.live_photo, shown)).json()
    assert (replay["decision"], replay["reasons"]) == ("rejected", ["replayed"])
    stale = credentials.dynamic_qr_text(body["payload"], secret=secret, now=utcnow() - timedelta(minutes=3))
    result = verify_frame(client, world, frame_jpeg(A.live_photo, stale)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["code_expired"])
    wrong = credentials.dynamic_qr_text(body["payload"], secret=b"\0" * 32, now=utcnow())
    result = verify_frame(client, world, frame_jpeg(A.live_photo, wrong)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["bad_code"])
    bare = verify_frame(client, world, frame_jpeg(A.live_photo, body["payload"])).json()
    assert (bare["decision"], bare["reasons"]) == ("rejected", ["code_missing"])
    # Staff cannot make its code: a code staff could make is a code staff could use.
    png = client.get(f"{API}/credentials/{body['id']}/qr.png", headers=world.enroller_a.headers)
    assert png.status_code == 409 and png.json()["error"] == "InvalidTransition"


def test_a_kiosk_with_a_fast_clock_loses_nothing_and_is_told_its_offset(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, credential = enrol_active(client, world, A)
    fast = utcnow() + timedelta(minutes=10)
    cleared = {
        "id": str(uuid.uuid4()),
        "decided_at": fast.isoformat(),
        "decision": "cleared",
        "commuter_id": a["id"],
        "credential_id": credential["id"],
        "distance": 0.3,
    }
    answer = world.signer.deliver(client, "", [cleared], sent_at=fast)
    assert answer.json()["results"] == [{"id": cleared["id"], "status": "created", "detail": None}]
    assert 590 < answer.json()["clock_offset_seconds"] < 610
    with sessions() as session:
        stored = session.get_one(Crossing, uuid.UUID(cleared["id"]))
        assert stored.kiosk_decided_at == fast
        assert abs((stored.decided_at - utcnow()).total_seconds()) < 60  # the server's time
        kinds = [alert.kind.value for alert in session.scalars(select(Alert))]
    assert kinds == ["kiosk_clock_skew"]
    # The commuter moved, and the next crossing (clock corrected) is not blocked by a future time.
    assert client.get(f"{API}/kiosk/presence/{a['id']}", headers=world.kiosk).json()["last_side"] == "hk"
    back = {**cleared, "id": str(uuid.uuid4()), "decided_at": utcnow().isoformat()}
    assert world.signer.deliver(client, "", [back]).json()["results"][0]["status"] == "created"


def test_two_offline_clearances_into_one_park_raise_one_alert_whichever_arrives_first(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, credential = enrol_active(client, world, A)
    now = utcnow()
    earlier, later = (
        {
            "id": str(uuid.uuid4()),
            "decided_at": (now - timedelta(seconds=s)).isoformat(),
            "decision": "cleared",
            "commuter_id": a["id"],
            "credential_id": credential["id"],
        }
        for s in (60, 59.937)
    )
    # The later decision arrives first, from one kiosk; the earlier one afterwards, from another.
    assert world.signer.deliver(client, "", [later]).json()["results"][0]["status"] == "created"
    other = KioskSigner(new_kiosk(client, world))
    assert other.deliver(client, "", [earlier]).json()["results"][0]["status"] == "created"
    with sessions() as session:
        alerts = list(session.scalars(select(Alert)))
    assert [(alert.kind.value, str(alert.crossing_id)) for alert in alerts] == [
        ("anti_passback_conflict", earlier["id"])
    ]


def new_kiosk(client: TestClient, world: World) -> dict[str, str]:
    created = client.post(
        f"{API}/checkpoints/{world.checkpoint_id}/kiosks",
        headers=world.admin.headers,
        json={"name": f"Lane {uuid.uuid4().hex[:6]}", "direction": "to_hk"},
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['api_key']}"}


def test_a_claimed_passage_is_granted_once_and_its_record_recognised(
    client: TestClient, world: World
) -> None:
    a, credential = enrol_active(client, world, A)
    crossing_id = str(uuid.uuid4())
    claim = {"crossing_id": crossing_id, "commuter_id": a["id"], "credential_id": credential["id"]}
    first = client.post(f"{API}/kiosk/passages", headers=world.kiosk, json=claim).json()
    assert (first["granted"], first["last_side"]) == (True, "hk")
    second = client.post(
        f"{API}/kiosk/passages", headers=world.kiosk, json={**claim, "crossing_id": str(uuid.uuid4())}
    ).json()
    assert (second["granted"], second["reason"]) == (False, "anti_passback")
    # The claimed crossing's record arrives later: recognised, no alert.
    record = {
        "id": crossing_id,
        "decided_at": utcnow().isoformat(),
        "decision": "cleared",
        "commuter_id": a["id"],
    }
    assert world.signer.deliver(client, "", [record]).json()["results"][0]["status"] == "created"
    assert client.get(f"{API}/alerts", headers=world.officer.headers).json() == []
    elsewhere = {**claim, "credential_id": str(uuid.uuid4())}
    assert client.post(f"{API}/kiosk/passages", headers=world.kiosk, json=elsewhere).status_code == 422


def test_a_disabled_kiosk_is_refused_at_once_and_the_switch_is_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    whitelist = f"{API}/kiosk/whitelist"
    assert client.get(whitelist, headers=world.kiosk).status_code == 200
    off = client.post(
        f"{API}/kiosks/{world.kiosk_id}/disable",
        headers=world.admin.headers,
        json={"reason": "lost in transit"},
    )
    assert off.status_code == 200, off.text
    assert off.json()["is_active"] is False
    refused = client.get(whitelist, headers=world.kiosk)
    assert refused.status_code == 401
    assert "disabled" in refused.json()["detail"]
    # The key still in use is an incident for officers: the kiosk watch raises one alert an hour.
    calls = client.app.state.context.refused_kiosks  # type: ignore[attr-defined]
    assert world.kiosk_id in calls
    with session_scope(sessions) as session:
        assert len(alerts.check_disabled_kiosks(session, calls=dict(calls))) == 1
        assert alerts.check_disabled_kiosks(session, calls=dict(calls)) == []
    calls.clear()
    (alert,) = [
        a
        for a in client.get(f"{API}/alerts", headers=world.officer.headers).json()
        if a["kind"] == "disabled_kiosk_called"
    ]
    assert alert["kiosk_id"] == str(world.kiosk_id)
    twice = client.post(f"{API}/kiosks/{world.kiosk_id}/disable", headers=world.admin.headers)
    assert twice.status_code == 409
    # Only an administrator switches kiosks.
    assert (
        client.post(f"{API}/kiosks/{world.kiosk_id}/enable", headers=world.officer.headers).status_code == 403
    )
    on = client.post(f"{API}/kiosks/{world.kiosk_id}/enable", headers=world.admin.headers)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert client.get(whitelist, headers=world.kiosk).status_code == 200
    events = client.get(
        f"{API}/audit", params={"object_id": str(world.kiosk_id)}, headers=world.officer.headers
    ).json()
    assert [e["action"] for e in events][:2] == ["enable_kiosk", "disable_kiosk"]
    assert events[1]["detail"] == "lost in transit"
