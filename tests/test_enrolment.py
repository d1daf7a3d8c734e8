"""Pre-registration over HTTP: photos to templates, bad input refused cleanly, the workflow."""

import io
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import CommuterStatus
from clearance.core.zone import local_today
from clearance.db.models import Commuter, Credential, FaceTemplate
from tests.support import API, DATA, World, enrol_active, post_commuter, registration, table_counts
from tests.test_faces import png_bomb

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]


def test_enrolment_makes_a_pending_commuter_with_sealed_biometrics(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, document_number="k 123 4567"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["document_number"] == "K1234567"
    assert body["has_biometrics"] is True
    assert body["photo_quality"]["face_px"] >= 80
    with sessions() as session:
        template = session.scalar(
            select(FaceTemplate).where(FaceTemplate.commuter_id == uuid.UUID(body["id"]))
        )
        assert template is not None
        assert len(template.sealed_encoding) == 1 + 4 + 12 + 4 * 256 + 16  # the default model: 256 floats
    url = f"{API}/commuters/{body['id']}/photo"
    without_purpose = client.get(url, headers=world.officer.headers)
    assert without_purpose.status_code == 422
    photo = client.get(url, params={"purpose": "identity_check"}, headers=world.officer.headers)
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content[:2] == b"\xff\xd8"
    # The registration and each view of the photo are in the audit trail, with who and why.
    trail = client.get(f"{API}/audit", params={"object_id": body["id"]}, headers=world.officer.headers).json()
    assert [(e["action"], e["username"], e["purpose"]) for e in trail] == [
        ("view_reference_photo", world.officer.username, "identity_check"),
        ("register_commuter", world.enroller_a.username, None),
    ]


def big_file() -> bytes:
    return b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024 + 1)


@pytest.mark.parametrize(
    ("photo", "status", "error", "check"),
    [
        (b"this is not an image", 422, "InvalidImage", None),
        (A.enrolment_photo.read_bytes()[:4000], 422, "InvalidImage", None),
        (png_bomb(30_000, 30_000), 413, "PayloadTooLarge", None),
        (big_file(), 413, "PayloadTooLarge", None),
        (DATA / "no_face_3.jpg", 422, "FaceCheckFailed", "no_face"),
        (DATA / "multi_face_4.jpg", 422, "FaceCheckFailed", "several_faces"),
        (DATA / "low_resolution_1.jpg", 422, "FaceCheckFailed", "face_too_small"),
    ],
    ids=[
        "not-an-image",
        "truncated",
        "decompression-bomb",
        "over-size-limit",
        "no-face",
        "two-faces",
        "tiny-face",
    ],
)
def test_unusable_photos_are_refused_and_nothing_is_written(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    photo: bytes | Path,
    status: int,
    error: str,
    check: str | None,
) -> None:
    before = table_counts(sessions)
    response = post_commuter(client, world.enroller_a, world.org_a, photo)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["detail"]
    if check:
        assert body["check"] == check
    assert table_counts(sessions) == before


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"organisation_id": "00000000-0000-4000-8000-000000000000"}, 404, "NotFound"),
        ({"valid_until": "2001-01-01"}, 422, "InvalidInput"),
        ({"valid_until": "soon"}, 422, "ValidationFailed"),
        ({"document_type": "library_card"}, 422, "ValidationFailed"),
        ({"document_number": "<script>"}, 422, "InvalidInput"),
        ({"full_name": "x" * 201}, 422, "ValidationFailed"),
        ({"home_park": "mars"}, 422, "ValidationFailed"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    overrides: dict[str, str],
    status: int,
    error: str,
) -> None:
    before = table_counts(sessions)
    response = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo, **overrides)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert table_counts(sessions) == before


def test_duplicate_travel_document_in_one_organisation_conflicts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, document_number="E1234567"
    )
    assert first.status_code == 201
    before = table_counts(sessions)
    again = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, document_number="e1234567"
    )
    assert again.status_code == 409
    assert again.json()["error"] == "Conflict"
    assert table_counts(sessions) == before
    # Another organisation may register the same person (they can work for both).
    elsewhere = post_commuter(
        client, world.enroller_b, world.org_b, A.enrolment_photo, document_number="E1234567"
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    ("document_type", "typed", "stored", "other_spelling", "one_digit_wrong"),
    [
        ("hk_identity_card", "a123456 (3)", "A123456(3)", "A1234563", "A123457(3)"),
        ("hk_identity_card", "AB9876543", "AB987654(3)", "ab987654(3)", "AB987655(3)"),
        (
            "mainland_resident_id",
            "11010519491231002x",
            "11010519491231002X",
            "11010519491231002X",
            "11010519491231003X",
        ),
    ],
)
def test_identity_card_numbers_are_checked_by_their_check_digit_and_found_however_typed(
    client: TestClient,
    world: World,
    document_type: str,
    typed: str,
    stored: str,
    other_spelling: str,
    one_digit_wrong: str,
) -> None:
    made = post_commuter(
        client,
        world.enroller_a,
        world.org_a,
        A.enrolment_photo,
        document_type=document_type,
        document_number=typed,
    )
    assert made.status_code == 201, made.text
    assert made.json()["document_number"] == stored
    found = client.get(f"{API}/commuters", headers=world.enroller_a.headers, params={"q": other_spelling})
    assert [c["id"] for c in found.json()] == [made.json()["id"]]
    # The same card typed differently is the same card.
    again = post_commuter(
        client,
        world.enroller_a,
        world.org_a,
        A.enrolment_photo,
        document_type=document_type,
        document_number=other_spelling,
    )
    assert again.status_code == 409, again.text
    # One digit wrong: the check digit no longer matches, and the form says so.
    refused = post_commuter(
        client,
        world.enroller_a,
        world.org_a,
        A.enrolment_photo,
        document_type=document_type,
        document_number=one_digit_wrong,
    )
    assert refused.status_code == 422
    assert "check digit" in refused.json()["detail"]


def test_enrollers_see_and_change_only_their_own_organisation(client: TestClient, world: World) -> None:
    created = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo, full_name="Only In A")
    commuter_id = created.json()["id"]
    other = world.enroller_b.headers
    assert client.get(f"{API}/commuters/{commuter_id}", headers=other).status_code == 404
    assert (
        client.get(f"{API}/commuters/{commuter_id}/photo?purpose=complaint", headers=other).status_code == 404
    )
    assert (
        client.post(f"{API}/commuters/{commuter_id}/credentials", headers=other, json={}).status_code == 404
    )
    assert client.get(f"{API}/commuters", headers=other, params={"q": "only in a"}).json() == []
    own = client.get(f"{API}/commuters", headers=world.enroller_a.headers, params={"q": "only in a"}).json()
    assert [c["id"] for c in own] == [commuter_id]
    foreign_org = post_commuter(client, world.enroller_b, world.org_a, A.enrolment_photo)
    assert foreign_org.status_code == 403


def test_approval_takes_a_second_pair_of_eyes(client: TestClient, world: World) -> None:
    # An officer may enter a registration at the counter, but not approve it.
    created = post_commuter(client, world.officer, world.org_a, A.enrolment_photo)
    assert created.status_code == 201
    commuter_id = created.json()["id"]
    url = f"{API}/commuters/{commuter_id}/approve"
    assert client.post(url, headers=world.enroller_a.headers).status_code == 403
    self_approval = client.post(url, headers=world.officer.headers)
    assert self_approval.status_code == 403
    assert "someone other" in self_approval.json()["detail"]
    approved = client.post(url, headers=world.officer_2.headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "active"
    assert approved.json()["approved_by_id"] == str(world.officer_2.user_id)
    assert client.post(url, headers=world.officer_2.headers).status_code == 409


def test_suspend_reinstate_and_revoke(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, credential = enrol_active(client, world, A)
    url = f"{API}/commuters/{commuter['id']}"
    officer = world.officer.headers
    assert client.post(f"{url}/suspend", headers=officer, json={}).status_code == 422  # a reason is required
    suspended = client.post(f"{url}/suspend", headers=officer, json={"reason": "left the company"})
    assert suspended.json()["status"] == "suspended"
    assert client.post(f"{url}/suspend", headers=officer, json={"reason": "again"}).status_code == 409
    assert client.post(f"{url}/reinstate", headers=officer).json()["status"] == "active"
    revoked = client.post(f"{url}/revoke", headers=officer, json={"reason": "visa ended"})
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["has_biometrics"] is False
    assert client.get(f"{url}/photo?purpose=complaint", headers=officer).status_code == 404
    with sessions() as session:
        assert (
            session.scalar(select(FaceTemplate).where(FaceTemplate.commuter_id == uuid.UUID(commuter["id"])))
            is None
        )
        stored = session.scalar(select(Credential).where(Credential.id == uuid.UUID(credential["id"])))
        assert stored is not None and stored.revoked_at is not None
        assert (
            session.scalar(select(Commuter.status).where(Commuter.full_name == A.label))
            is CommuterStatus.REVOKED
        )
    assert client.post(f"{url}/reinstate", headers=officer).status_code == 409
    assert client.post(f"{url}/credentials", headers=world.enroller_a.headers, json={}).status_code == 409


def test_credentials_issue_render_and_revoke(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, A)
    assert credential["payload"].startswith("HC1:")
    png = client.get(f"{API}/credentials/{credential['id']}/qr.png", headers=world.enroller_a.headers)
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    assert (
        client.get(
            f"{API}/credentials/{credential['id']}/qr.png", headers=world.enroller_b.headers
        ).status_code
        == 404
    )
    revoked = client.post(f"{API}/credentials/{credential['id']}/revoke", headers=world.enroller_a.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    pending = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo).json()
    not_yet = client.post(
        f"{API}/commuters/{pending['id']}/credentials", headers=world.enroller_a.headers, json={}
    )
    assert not_yet.status_code == 409
    assert "active" in not_yet.json()["detail"]


def test_several_photos_make_one_template_and_a_photo_added_later_needs_other_eyes(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    both = client.post(
        f"{API}/commuters",
        headers=world.enroller_a.headers,
        data=registration(world.org_a, full_name=A.label),
        files=[
            ("photo", ("1.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")),
            ("photo", ("2.jpg", A.live_photo.read_bytes(), "image/jpeg")),
        ],
    )
    assert both.status_code == 201, both.text
    assert both.json()["template_photos"] == 2
    assert len(both.json()["photo_quality"]["photos"]) == 2
    # One bad photo of two refuses the registration, saying which, and writes nothing.
    before = table_counts(sessions)
    refused = client.post(
        f"{API}/commuters",
        headers=world.enroller_a.headers,
        data=registration(world.org_a),
        files=[
            ("photo", ("1.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")),
            ("photo", ("2.jpg", (DATA / "no_face_3.jpg").read_bytes(), "image/jpeg")),
        ],
    )
    assert refused.status_code == 422 and refused.json()["detail"].startswith("photo 2 of 2:")
    assert table_counts(sessions) == before

    commuter, _credential = enrol_active(client, world, B)
    added = client.post(
        f"{API}/commuters/{commuter['id']}/photos",
        headers=world.officer.headers,
        files={"photo": ("3.jpg", B.live_photo.read_bytes(), "image/jpeg")},
    )
    assert added.status_code == 200, added.text
    body = added.json()
    # The face that clears them changed: off the whitelist until someone else approves.
    assert (body["status"], body["template_photos"]) == ("pending", 2)
    assert body["enrolled_by_id"] == str(world.enroller_a.user_id)
    assert body["photo_added_by_id"] == str(world.officer.user_id)
    url = f"{API}/commuters/{commuter['id']}/approve"
    assert client.post(url, headers=world.officer.headers).status_code == 403
    assert client.post(url, headers=world.officer_2.headers).json()["status"] == "active"
    third = client.post(
        f"{API}/commuters/{commuter['id']}/photos",
        headers=world.officer.headers,
        files={"photo": ("4.jpg", B.enrolment_photo.read_bytes(), "image/jpeg")},
    )
    assert third.json()["template_photos"] == 3
    too_many = client.post(
        f"{API}/commuters/{commuter['id']}/photos",
        headers=world.officer.headers,
        files={"photo": ("5.jpg", B.live_photo.read_bytes(), "image/jpeg")},
    )
    assert too_many.status_code == 422 and "at most 3 photos" in too_many.json()["detail"]


@pytest.mark.parametrize(
    ("latin", "chinese", "shown"),
    [
        ("CHAN Tai Man", "陳大文", "陳大文 CHAN Tai Man"),
        ("", "张伟", "张伟"),
        ("Maria SANTOS", "", "Maria SANTOS"),
    ],
)
def test_a_commuter_has_a_name_in_chinese_characters_a_name_in_latin_letters_or_both(
    client: TestClient, world: World, latin: str, chinese: str, shown: str
) -> None:
    made = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, full_name=latin, chinese_name=chinese
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["full_name"], body["chinese_name"]) == (latin, chinese or None)
    # Found by either name.
    for part in filter(None, (latin.split(" ")[0].lower(), chinese[:1])):
        found = client.get(f"{API}/commuters", headers=world.enroller_a.headers, params={"q": part}).json()
        assert body["id"] in [c["id"] for c in found], part
    approved = client.post(f"{API}/commuters/{body['id']}/approve", headers=world.officer.headers)
    assert approved.status_code == 200
    card = client.post(
        f"{API}/commuters/{body['id']}/credentials", headers=world.enroller_a.headers, json={"kind": "static"}
    ).json()
    pdf = client.get(f"{API}/credentials/{card['id']}/card.pdf", headers=world.enroller_a.headers)
    # Downloaded under whose card it is and its day, not as one more card.pdf.
    issued = local_today(datetime.fromisoformat(card["issued_at"])).isoformat()
    disposition = pdf.headers["content-disposition"]
    latin_part = "-".join(latin.split()) or card["id"][:8]
    assert disposition.startswith(f'attachment; filename="hetao-card-{latin_part}-{issued}.pdf"'), disposition
    assert disposition.endswith("UTF-8''" + quote(f"hetao-card-{'-'.join(shown.split())}-{issued}.pdf"))
    assert pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().splitlines()[0] == shown


def test_a_chinese_name_is_found_whichever_script_the_search_is_typed_in(
    client: TestClient, world: World
) -> None:
    # Registered in Hong Kong's Traditional characters and on the mainland's Simplified ones.
    made = {
        chinese: post_commuter(
            client, world.enroller_a, world.org_a, A.enrolment_photo, full_name="", chinese_name=chinese
        ).json()["id"]
        for chinese in ("陳大文", "刘德华")
    }

    def found(q: str) -> set[str]:
        answer = client.get(f"{API}/commuters", headers=world.enroller_a.headers, params={"q": q})
        return {c["id"] for c in answer.json()} & set(made.values())

    assert found("陈大文") == found("陳大文") == found("陈") == {made["陳大文"]}
    assert found("劉德華") == found("刘德华") == found("德華") == {made["刘德华"]}
    assert found("陳德") == set()


@pytest.mark.parametrize(
    ("latin", "chinese", "field"),
    [("", "", "full_name"), ("", "Chan", "chinese_name"), ("", "陳大文1", "chinese_name")],
)
def test_a_registration_without_a_name_or_with_latin_letters_as_the_chinese_name_is_refused(
    client: TestClient, world: World, latin: str, chinese: str, field: str
) -> None:
    refused = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, full_name=latin, chinese_name=chinese
    )
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["detail"]
