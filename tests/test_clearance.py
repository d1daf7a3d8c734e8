"""End to end over HTTP: enrol from one photo, clear from a camera frame with another photo.

Real photographs, the real QR decoder and the real face matcher; nothing mocked.
"""

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core import credentials
from clearance.core.enums import CredentialKind
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import UserActor
from clearance.db.keyring import Keyring
from clearance.db.models import Commuter, Crossing, User
from enrolment import issuing
from tests.support import API, World, enrol_active, frame_jpeg, table_counts, verify_frame

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]


def test_commuter_is_cleared_from_a_frame_with_a_different_photo(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, credential = enrol_active(client, world, A)
    response = verify_frame(client, world, frame_jpeg(A.live_photo, credential["payload"]))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["decision"] == "cleared"
    assert result["reasons"] == []
    assert result["commuter_id"] == commuter["id"]
    assert 0 < result["distance"] <= Settings().match_threshold
    assert {"image_decode", "qr_decode", "credential", "face_detect", "face_encode", "record"} <= set(
        result["timings_ms"]
    )
    with sessions() as session:
        crossing = session.get(Crossing, uuid.UUID(result["crossing_id"]))
        assert crossing is not None
        assert crossing.kiosk_id == world.kiosk_id
        assert crossing.checkpoint_id == world.checkpoint_id
        assert crossing.direction.value == "to_hk"
        assert str(crossing.commuter_id) == commuter["id"]
        assert str(crossing.credential_id) == credential["id"]
        assert crossing.decision.value == "cleared"
        assert crossing.reasons == []
        assert abs((crossing.distance or 0) - result["distance"]) < 1e-3
        assert crossing.decided_at.tzinfo is not None
        assert abs(crossing.decided_at - utcnow()) < timedelta(minutes=1)


def test_another_person_with_the_qr_is_rejected_face_mismatch(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, A)
    for face in (B.live_photo, IMPOSTOR_PHOTO):
        result = verify_frame(client, world, frame_jpeg(face, credential["payload"])).json()
        assert result["decision"] == "rejected"
        assert result["reasons"] == ["face_mismatch"]
        assert result["distance"] > 0.6


def test_tampered_credential_is_rejected_and_recorded(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _commuter, credential = enrol_active(client, world, A)
    payload = credential["payload"]
    # Re-encode the payload with one byte of the credential id changed: still well-formed.
    presented = credentials.parse_payload(payload)
    body = presented.body
    altered = body[:12] + bytes([body[12] ^ 0x01]) + body[13:]
    tampered = credentials.PREFIX + credentials.base45_encode(altered + presented.signature)
    result = verify_frame(client, world, frame_jpeg(A.live_photo, tampered)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["bad_signature"])
    with sessions() as session:
        crossing = session.get(Crossing, uuid.UUID(result["crossing_id"]))
        assert crossing is not None and crossing.commuter_id is None


def test_expired_credential_is_rejected(
    client: TestClient, world: World, app: object, sessions: sessionmaker[Session]
) -> None:
    commuter, _credential = enrol_active(client, world, A)
    keyring: Keyring = app.state.context.keyring  # type: ignore[attr-defined]
    with sessions() as session:
        expired = issuing.issue_credential(
            session,
            commuter=session.get_one(Commuter, uuid.UUID(commuter["id"])),
            kind=CredentialKind.STATIC,
            actor=UserActor(session.get_one(User, world.enroller_a.user_id)),
            keyring=keyring,
            lifetime=timedelta(hours=1),
            now=utcnow() - timedelta(hours=2),
        ).credential
        session.commit()
    result = verify_frame(client, world, frame_jpeg(A.live_photo, expired.payload)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["expired"])


def test_revoked_credential_and_suspended_commuter_are_rejected(client: TestClient, world: World) -> None:
    commuter, credential = enrol_active(client, world, A)
    second = client.post(
        f"{API}/commuters/{commuter['id']}/credentials", headers=world.enroller_a.headers, json={}
    ).json()
    client.post(f"{API}/credentials/{credential['id']}/revoke", headers=world.enroller_a.headers)
    result = verify_frame(client, world, frame_jpeg(A.live_photo, credential["payload"])).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["revoked"])
    # The other credential still works until the commuter is suspended.
    assert (
        verify_frame(client, world, frame_jpeg(A.live_photo, second["payload"])).json()["decision"]
        == "cleared"
    )
    client.post(
        f"{API}/commuters/{commuter['id']}/suspend", headers=world.officer.headers, json={"reason": "audit"}
    )
    result = verify_frame(client, world, frame_jpeg(A.live_photo, second["payload"])).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["not_whitelisted"])
    client.post(f"{API}/commuters/{commuter['id']}/revoke", headers=world.officer.headers, json={})
    result = verify_frame(client, world, frame_jpeg(A.live_photo, second["payload"])).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["revoked"])


def test_frames_without_a_credential_or_a_face(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, A)
    cases = [
        (frame_jpeg(A.live_photo, None), "rejected", ["no_qr"]),
        (frame_jpeg(A.live_photo, "https://example.org/menu"), "rejected", ["malformed_qr"]),
        (frame_jpeg(None, credential["payload"]), "refer", ["no_face"]),
    ]
    for frame, decision, reasons in cases:
        result = verify_frame(client, world, frame).json()
        assert (result["decision"], result["reasons"]) == (decision, reasons)


def test_decoded_qr_payload_with_a_face_image(client: TestClient, world: World) -> None:
    commuter, credential = enrol_active(client, world, A)
    response = client.post(
        f"{API}/kiosk/verify",
        headers=world.kiosk,
        data={"qr_payload": credential["payload"]},
        files={"face": ("face.jpg", A.live_photo.read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "cleared"
    assert response.json()["commuter_id"] == commuter["id"]


def test_bad_kiosk_requests_are_refused_and_write_nothing(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _commuter, credential = enrol_active(client, world, A)
    before = table_counts(sessions)
    face = ("face.jpg", A.live_photo.read_bytes(), "image/jpeg")
    cases = [
        ({"files": {"frame": ("frame.jpg", b"GIF89a-not-really", "image/gif")}}, 422, "InvalidImage"),
        (
            {"data": {"qr_payload": "HC1:NOT-A-CREDENTIAL"}, "files": {"face": face}},
            422,
            "MalformedCredential",
        ),
        ({"data": {"qr_payload": credential["payload"]}}, 422, "InvalidInput"),
        ({}, 422, "InvalidInput"),
        (
            {"data": {"qr_payload": credential["payload"]}, "files": {"face": face, "frame": face}},
            422,
            "InvalidInput",
        ),
    ]
    for request, status, error in cases:
        response = client.post(f"{API}/kiosk/verify", headers=world.kiosk, **request)  # type: ignore[arg-type]
        assert response.status_code == status, (request, response.text)
        assert response.json()["error"] == error
    assert table_counts(sessions) == before


def test_officers_search_crossings(client: TestClient, world: World) -> None:
    commuter, credential = enrol_active(client, world, A)
    verify_frame(client, world, frame_jpeg(A.live_photo, credential["payload"]))
    verify_frame(client, world, frame_jpeg(IMPOSTOR_PHOTO, credential["payload"]))
    officer = world.officer.headers
    mine = client.get(f"{API}/crossings", headers=officer, params={"commuter_id": commuter["id"]}).json()
    assert [c["decision"] for c in mine] == ["rejected", "cleared"]  # newest first
    rejected = client.get(f"{API}/crossings", headers=officer, params={"decision": "rejected"}).json()
    assert {c["id"] for c in rejected} == {mine[0]["id"]}
    naive = client.get(f"{API}/crossings", headers=officer, params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    later = (utcnow() + timedelta(hours=1)).isoformat()
    assert client.get(f"{API}/crossings", headers=officer, params={"since": later}).json() == []
