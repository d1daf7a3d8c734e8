"""The officers' API: overriding a decision, alerts, statistics; and credential cards."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from clearance.alerts import service as alerts
from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core.enums import AlertKind
from clearance.core.zone import utcnow
from clearance.db.engine import session_scope
from clearance.db.models import Kiosk
from tests.support import API, World, deliver, enrol_active, frame_jpeg, verify_frame

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]


def test_an_officer_overrides_a_referred_attempt_once_and_the_commuter_moves_park(
    client: TestClient, world: World
) -> None:
    commuter, credential = enrol_active(client, world, A)
    referred = deliver(
        client,
        world,
        decision="refer",
        reasons=["face_uncertain"],
        commuter_id=commuter["id"],
        credential_id=credential["id"],
        distance=0.6,
    )
    officer = world.officer.headers
    url = f"{API}/crossings/{referred}/override"
    assert (
        client.post(
            url, headers=world.enroller_a.headers, json={"decision": "cleared", "reason": "checked"}
        ).status_code
        == 403
    )
    assert (
        client.post(url, headers=officer, json={"decision": "refer", "reason": "unsure"}).status_code == 422
    )
    done = client.post(url, headers=officer, json={"decision": "cleared", "reason": "checked the passport"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["decision"], body["override_decision"], body["overridden_by_id"]) == (
        "refer",
        "cleared",
        str(world.officer.user_id),
    )
    presence = client.get(f"{API}/kiosk/presence/{commuter['id']}", headers=world.kiosk).json()
    assert presence["last_side"] == "hk"
    again = client.post(url, headers=officer, json={"decision": "rejected", "reason": "changed my mind"})
    assert again.status_code == 409
    trail = client.get(f"{API}/audit", params={"object_id": referred}, headers=officer).json()
    assert [(e["action"], e["username"]) for e in trail] == [("override_crossing", "officer")]


def test_three_face_mismatches_on_one_credential_raise_one_alert_an_officer_acknowledges(
    client: TestClient, world: World
) -> None:
    _commuter, credential = enrol_active(client, world, A)
    impostor = frame_jpeg(IMPOSTOR_PHOTO, credential["payload"])
    for _attempt in range(4):
        result = verify_frame(client, world, impostor).json()
        assert result["decision"] == "rejected" and "face_mismatch" in result["reasons"]
    officer = world.officer.headers
    open_alerts = client.get(f"{API}/alerts", headers=officer).json()
    assert [a["kind"] for a in open_alerts] == ["repeated_face_mismatch"]
    alert_id = open_alerts[0]["id"]
    acknowledged = client.post(
        f"{API}/alerts/{alert_id}/acknowledge", headers=officer, json={"note": "called the lab"}
    )
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledge_note"] == "called the lab"
    assert client.get(f"{API}/alerts", headers=officer).json() == []
    assert client.post(f"{API}/alerts/{alert_id}/acknowledge", headers=officer).status_code == 409


def test_a_kiosk_that_stops_calling_raises_one_alert_however_often_it_is_checked(
    world: World, sessions: sessionmaker[Session]
) -> None:
    with session_scope(sessions) as session:
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        kiosk.last_seen_at = utcnow() - timedelta(minutes=30)
    for _check in range(3):
        with session_scope(sessions) as session:
            alerts.check_silent_kiosks(session, now=utcnow(), silent_after=timedelta(minutes=10))
    with sessions() as session:
        found = alerts.list_open_alerts(session)
        assert [(a.kind, a.kiosk_id) for a in found] == [(AlertKind.KIOSK_SILENT, world.kiosk_id)]


def test_stats_count_who_is_in_each_park_the_hourly_crossings_and_refusal_reasons(
    client: TestClient, world: World
) -> None:
    _commuter, credential = enrol_active(client, world, A)
    assert (
        verify_frame(client, world, frame_jpeg(A.live_photo, credential["payload"])).json()["decision"]
        == "cleared"
    )
    assert verify_frame(client, world, frame_jpeg(None, credential["payload"])).json()["decision"] == "refer"
    deliver(client, world, decision="rejected", reasons=["expired"])
    stats = client.get(f"{API}/stats", params={"hours": 6}, headers=world.officer.headers)
    assert stats.status_code == 200
    body = stats.json()
    assert body["in_park"] == {"hk": 1, "sz": 0, "unknown": 0}
    assert len(body["hourly"]["hours"]) == 6
    (series,) = body["hourly"]["series"]
    assert (series["checkpoint"], series["direction"], series["counts"][-1]) == ("East bridge", "to_hk", 3)
    today = body["today"]
    assert today["attempts"] == 3
    assert today["decisions"] == {"cleared": 1, "rejected": 1, "refer": 1}
    rates = {r["reason"]: r["rate"] for r in today["reasons"]}
    assert rates == {"no_face": round(1 / 3, 4), "expired": round(1 / 3, 4)}
    assert client.get(f"{API}/stats", headers=world.enroller_a.headers).status_code == 403


def test_a_printed_card_carries_a_qr_that_decodes_to_the_credential(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, A)
    card = client.get(f"{API}/credentials/{credential['id']}/card.png", headers=world.enroller_a.headers)
    assert card.status_code == 200
    assert card.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(card.content))
    assert image.size == (1011, 638)
    decoded = zxingcpp.read_barcodes(np.asarray(image.convert("L")))
    assert [result.text for result in decoded] == [credential["payload"]]
    pdf = client.get(f"{API}/credentials/{credential['id']}/card.pdf", headers=world.enroller_a.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # Another organisation's enroller cannot print it; nor can anyone print a phone's credential.
    assert (
        client.get(
            f"{API}/credentials/{credential['id']}/card.png", headers=world.enroller_b.headers
        ).status_code
        == 404
    )
    dynamic = client.post(
        f"{API}/commuters/{_commuter['id']}/credentials",
        headers=world.enroller_a.headers,
        json={"kind": "dynamic"},
    ).json()
    refused = client.get(f"{API}/credentials/{dynamic['id']}/card.pdf", headers=world.enroller_a.headers)
    assert refused.status_code == 422
    assert "print a static one" in refused.json()["detail"]


def test_reads_of_a_commuters_details_and_history_are_audited_with_their_purpose(
    client: TestClient, world: World
) -> None:
    commuter, _credential = enrol_active(client, world, A)
    officer = world.officer.headers
    url = f"{API}/commuters/{commuter['id']}"
    assert client.get(url, params={"purpose": "for fun"}, headers=officer).status_code == 422
    assert client.get(url, params={"purpose": "complaint"}, headers=officer).status_code == 200
    history = client.get(
        f"{API}/crossings",
        params={"commuter_id": commuter["id"], "purpose": "alert_investigation"},
        headers=officer,
    )
    assert history.status_code == 200
    client.get(f"{API}/crossings", headers=officer)  # not one person's history: not a read of personal data
    trail = client.get(f"{API}/audit", params={"object_id": commuter["id"]}, headers=officer).json()
    reads = [(e["action"], e["username"], e["purpose"]) for e in trail if e["action"].startswith("read_")]
    assert reads == [
        ("read_crossing_history", "officer", "alert_investigation"),
        ("read_commuter", "officer", "complaint"),
    ]
