"""The officers' API: overriding a decision, alerts, statistics; and credential cards."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pypdf
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.alerts import service as alerts
from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core.enums import AlertKind, Decision
from clearance.core.zone import utcnow
from clearance.db.engine import session_scope
from clearance.db.models import Crossing, Kiosk
from tests.support import API, World, deliver, enrol_active, frame_jpeg, registration, verify_frame

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


@pytest.mark.parametrize(
    "name",
    [
        "陳大文 CHAN Tai Man",
        "张伟",
        "李嘉欣 (Karen) LEE",
        "歐陽 Siu-ming",
        "Maximiliana Alexandrovna KONSTANTINOPOULOU-VANDERBILT de la Fuente y Rodríguez-Castellanos",
        "WOLFESCHLEGELSTEINHAUSENBERGERDORFFWELCHEVORALTERNWAREN",
    ],
    ids=["hant", "hans", "mixed", "hyphen", "long", "one-long-word"],
)
def test_a_card_prints_a_name_in_chinese_characters_and_the_pdf_reads_it_back(
    client: TestClient, world: World, name: str
) -> None:
    from enrolment import cards

    created = client.post(
        f"{API}/commuters",
        headers=world.enroller_a.headers,
        data=registration(world.org_a, full_name=name),
        files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")},
    )
    assert created.status_code == 201, created.text
    commuter = created.json()
    client.post(f"{API}/commuters/{commuter['id']}/approve", headers=world.officer.headers)
    credential = client.post(
        f"{API}/commuters/{commuter['id']}/credentials",
        headers=world.enroller_a.headers,
        json={"kind": "static"},
    ).json()
    pdf = client.get(f"{API}/credentials/{credential['id']}/card.pdf", headers=world.enroller_a.headers)
    assert pdf.status_code == 200
    page = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert page.extract_text().splitlines()[0] == name
    # The page is the card's size: 85.6 x 54 mm.
    assert (
        round(float(page.mediabox.width) * 25.4 / 72, 1),
        round(float(page.mediabox.height) * 25.4 / 72, 1),
    ) == (
        85.6,
        54.0,
    )
    # On the PNG every character is drawn from a font that has it (no "tofu" boxes).
    missing = bytes(cards._cjk_font(40).getmask("\U0010fffd"))
    for run, latin in cards._runs(name):
        if not latin:
            assert all(bytes(cards._cjk_font(40).getmask(char)) != missing for char in run if char != " ")
    png = client.get(f"{API}/credentials/{credential['id']}/card.png", headers=world.enroller_a.headers)
    image = Image.open(io.BytesIO(png.content))
    decoded = zxingcpp.read_barcodes(np.asarray(image.convert("L")))
    assert [result.text for result in decoded] == [credential["payload"]]
    # However long the name, it stops short of the QR (drawn after the text, the QR would hide
    # what ran under it): wrapped onto lines that each fit the space beside the photo, all of it.
    draw = ImageDraw.Draw(image)
    lines, size = cards._name_lines(draw, name, width=cards.NAME_WIDTH)
    assert all(cards._length(draw, line, size) <= cards.NAME_WIDTH for line in lines), (lines, size)
    assert "".join(lines).replace(" ", "") == name.replace(" ", ""), lines
    folder = Path(os.environ.get("HETAO_TEST_OUTPUT", "test-output")) / "cards"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"card-{len(name)}-{ord(name[0]):x}.png").write_bytes(png.content)


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


def test_repeated_referrals_of_one_person_are_one_incident_and_a_later_clearance_closes_it(
    client: TestClient, page_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    from tests.pages import sign_in

    a, card_a = enrol_active(client, world, SAMPLE_COMMUTERS[0])
    b, card_b = enrol_active(client, world, SAMPLE_COMMUTERS[1])
    start = utcnow() - timedelta(minutes=5)
    looping = [
        deliver(
            client,
            world,
            decision="refer",
            reasons=["anti_passback"],
            commuter_id=a["id"],
            credential_id=card_a["id"],
            distance=0.3,
            decided_at=(start + timedelta(seconds=3 * i)).isoformat(),
        )
        for i in range(6)
    ]
    b_referred = deliver(
        client,
        world,
        decision="refer",
        reasons=["face_uncertain"],
        commuter_id=b["id"],
        credential_id=card_b["id"],
        distance=0.41,
        decided_at=start.isoformat(),
    )
    csrf = sign_in(page_client, "officer")
    queue = page_client.get("/queue").text
    # Six attempts of one person in 15 s are one item to decide, shown with how many there were.
    assert queue.count('class="item" id="refer-') == 2
    assert f'id="refer-{looping[-1]}"' in queue and "6 attempts since" in queue
    assert f'id="refer-{b_referred}"' in queue
    # B went through since (an officer at the counter, then the kiosk): B's referral leaves the queue.
    deliver(
        client,
        world,
        decision="cleared",
        reasons=[],
        commuter_id=b["id"],
        credential_id=card_b["id"],
        distance=0.3,
        decided_at=(start + timedelta(minutes=1)).isoformat(),
    )
    assert f'id="refer-{b_referred}"' not in page_client.get("/queue").text
    # One decision settles the incident: the newest attempt gets it, the repeats are closed as such.
    answer = page_client.post(
        f"/queue/crossings/{looping[-1]}/override",
        data={"csrf_token": csrf, "decision": "rejected", "reason": "already in Hong Kong, turned back"},
    )
    assert "Its 5 repeats were closed with it." in answer.text
    assert 'id="refer-' not in answer.text
    with sessions() as session:
        decided = {
            str(c.id): c
            for c in session.scalars(select(Crossing).where(Crossing.commuter_id == uuid.UUID(a["id"])))
        }
    assert decided[looping[-1]].override_decision is Decision.REJECTED
    assert decided[looping[-1]].override_reason == "already in Hong Kong, turned back"
    assert all(decided[i].override_decision is Decision.REJECTED for i in looping[:-1])
    assert all("repeat of the attempt" in (decided[i].override_reason or "") for i in looping[:-1])
