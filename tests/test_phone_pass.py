"""The commuter's phone pass through its API, as the pass's page uses it and as someone holding
a stolen or leaked link would try it (the browser test drives the page itself)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import credentials
from clearance.core.zone import utcnow
from clearance.db.models import AuditEvent, Credential
from enrolment import passes
from tests.support import API, World, enrol_active, frame_jpeg, verify_frame

A, B, _C = SAMPLE_COMMUTERS


def issue_pass(client: TestClient, world: World, commuter_id: str) -> tuple[dict[str, Any], str, str]:
    """A phone pass issued through the API: the answer, the credential id and the token."""
    issued = client.post(
        f"{API}/commuters/{commuter_id}/credentials",
        headers=world.enroller_a.headers,
        json={"kind": "dynamic", "phone_pass": True},
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    link = body["activation_link"]
    assert link.startswith("http://testserver/pass/#")
    credential_id, token = passes.read_activation_link(link)
    assert credential_id == uuid.UUID(body["id"])
    return body, body["id"], token


def proof_key_of(key: bytes) -> bytes:
    """The phone's proof key, in these tests made beside its code key ``key`` (a phone makes both
    at random)."""
    return hashlib.sha256(b"proof key of " + key).digest()


def activate(client: TestClient, credential_id: str, token: str, key: bytes) -> httpx.Response:
    wanted = {
        "credential_id": credential_id,
        "token": token,
        "key": base64.b64encode(key).decode(),
        "proof_key": base64.b64encode(proof_key_of(key)).decode(),
    }
    return client.post(f"{API}/pass/activate", json=wanted)


def ask(
    client: TestClient,
    credential_id: str,
    key: bytes,
    purpose: passes.Purpose,
    params: dict[str, str] | None = None,
    **change: int,
) -> httpx.Response:
    """What the phone holding the code key ``key`` (and its proof key) asks for ``purpose``."""
    at = change.get("at", int(time.time()))
    proof = passes.pass_proof(
        proof_key_of(key), credential_id=uuid.UUID(credential_id), purpose=purpose, at=at
    )
    body = {"credential_id": credential_id, "time": at, "proof": base64.b64encode(proof).decode()}
    return client.post(f"{API}/pass/{purpose}", json=body, params=params)


def test_a_phone_pass_works_once_from_its_link_and_clears_with_the_phones_key(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, _ = enrol_active(client, world, A)
    body, credential_id, token = issue_pass(client, world, a["id"])
    # No code key is handed out or kept: the phone makes it.
    assert body["secret"] is None
    with sessions() as session:
        row = session.get(Credential, uuid.UUID(credential_id))
        assert row is not None
        assert row.sealed_secret is None and row.activated_at is None
        assert row.activation_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([str(getattr(row, c.key)) for c in Credential.__table__.columns])
    feed = client.get(f"{API}/kiosk/whitelist", headers=world.kiosk).json()
    held = [c for e in feed["entries"] for c in e.get("credentials", []) if c["id"] == credential_id]
    assert len(held) == 1 and held[0]["secret"] is None
    # Before activation, a code made by whoever saw the link (or anyone) is refused.
    guessed = credentials.dynamic_qr_text(body["payload"], secret=secrets.token_bytes(32), now=utcnow())
    refused = verify_frame(client, world, frame_jpeg(A.live_photo, guessed)).json()
    assert (refused["decision"], refused["reasons"]) == ("rejected", ["bad_code"])

    key = secrets.token_bytes(32)
    assert (
        activate(client, credential_id, ("A" if token[0] != "A" else "B") + token[1:], key).status_code == 404
    )
    activated = activate(client, credential_id, token, key)
    assert activated.status_code == 200, activated.text
    shown = activated.json()
    assert shown["payload"] == body["payload"] and shown["full_name"] == A.label
    # The same phone again (its answer lost): the same answer. Anyone else: the link is used.
    assert activate(client, credential_id, token, key).status_code == 200
    again = activate(client, credential_id, token, secrets.token_bytes(32))
    assert (again.status_code, again.json()["why"]) == (409, "used")

    # Kiosks get the phone's key at their next sync (none before: the unactivated pass had none).
    feed = client.get(f"{API}/kiosk/whitelist", headers=world.kiosk).json()
    held = [c for e in feed["entries"] for c in e.get("credentials", []) if c["id"] == credential_id]
    assert len(held) == 1 and held[0]["secret"]
    code = credentials.dynamic_qr_text(shown["payload"], secret=key, now=utcnow())
    assert verify_frame(client, world, frame_jpeg(A.live_photo, code)).json()["decision"] == "cleared"
    with sessions() as session:
        actions = [
            e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_id == a["id"]))
        ]
    assert actions.count("activate_pass") == 1


def test_the_phone_proves_its_key_to_read_its_holders_status_and_data(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a, card = enrol_active(client, world, A)
    assert (
        verify_frame(client, world, frame_jpeg(A.live_photo, card["payload"])).json()["decision"] == "cleared"
    )
    _body, credential_id, token = issue_pass(client, world, a["id"])
    key = secrets.token_bytes(32)
    assert activate(client, credential_id, token, key).status_code == 200

    status = ask(client, credential_id, key, "status")
    assert status.status_code == 200, status.text
    seen = status.json()
    assert seen["state"] == "valid" and seen["commuter_status"] == "active"
    assert [c["decision"] for c in seen["crossings"]] == ["cleared"]
    # A wrong key, a proof for another purpose, an old proof: refused, and nothing read.
    assert ask(client, credential_id, secrets.token_bytes(32), "status").status_code == 404
    now = int(time.time())
    proof = passes.pass_proof(
        proof_key_of(key), credential_id=uuid.UUID(credential_id), purpose="status", at=now
    )
    swapped = {"credential_id": credential_id, "time": now, "proof": base64.b64encode(proof).decode()}
    assert client.post(f"{API}/pass/data", json=swapped).status_code == 404
    stale = ask(client, credential_id, key, "status", at=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["why"]) == (422, "clock")

    data = ask(client, credential_id, key, "data")
    assert data.status_code == 200
    assert "attachment" in data.headers["content-disposition"]
    held = data.json()
    assert held["registration"]["full_name"] == A.label
    assert held["registration"]["document_number"]
    assert len(held["biometrics"]["photos_jpeg_base64"]) >= 1
    assert len(held["biometrics"]["face_encodings"][0]) == 256  # the default model: 256 floats
    assert {c["id"] for c in held["credentials"]} == {card["id"], credential_id}
    assert [c["decision"] for c in held["crossings"]] == ["cleared"]
    assert "approve_commuter" in {e["action"] for e in held["record_history"]}
    with sessions() as session:
        recorded = [
            e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.role == "commuter"))
        ]
    assert recorded == ["activate_pass", "read_pass_status", "data_access_request"]
    # The same, as a page its holder can read in their language, photos and all.
    page = ask(client, credential_id, key, "data", params={"format": "html", "lang": "zh-Hant"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'filename="hetao-my-data.html"' in page.headers["content-disposition"]
    text = page.text
    assert '<html lang="zh-Hant-HK">' in text and "你的個人資料" in text
    assert A.label in text and held["registration"]["document_number"] in text
    assert text.count('<img src="data:image/jpeg;base64,') == len(held["biometrics"]["photos_jpeg_base64"])
    assert "批准登記" in text  # who approved the registration, said in words, not approve_commuter
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    AuditEvent.role == "commuter", AuditEvent.action == "data_access_request"
                )
            )
            == 2
        )  # the page is a data access request too, recorded as one


def test_a_lost_phones_pass_is_revoked_and_says_so(client: TestClient, world: World) -> None:
    a, _ = enrol_active(client, world, A)
    body, credential_id, token = issue_pass(client, world, a["id"])
    key = secrets.token_bytes(32)
    assert activate(client, credential_id, token, key).status_code == 200
    replaced = client.post(
        f"{API}/credentials/{credential_id}/replace",
        headers=world.enroller_a.headers,
        json={"reason": "lost phone"},
    )
    assert replaced.status_code == 201
    # The new pass comes as a phone pass again, with its own link.
    assert replaced.json()["activation_link"] and replaced.json()["secret"] is None
    # The old phone learns that its pass is revoked (and nothing else), and its code is refused.
    status = ask(client, credential_id, key, "status").json()
    assert status["state"] == "revoked" and "full_name" not in status
    assert ask(client, credential_id, key, "data").status_code == 409
    # Without its proof key, nobody learns even that (an unknown pass and a revoked one alike).
    assert ask(client, credential_id, secrets.token_bytes(32), "status").status_code == 404
    code = credentials.dynamic_qr_text(body["payload"], secret=key, now=utcnow())
    result = verify_frame(client, world, frame_jpeg(A.live_photo, code)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["revoked"])
    # Its link cannot bring it back.
    assert activate(client, credential_id, token, secrets.token_bytes(32)).json()["why"] == "used"


def test_an_activation_link_expires_unused(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    b, _ = enrol_active(client, world, B)
    _body, credential_id, token = issue_pass(client, world, b["id"])
    with sessions() as session, session.begin():
        row = session.get(Credential, uuid.UUID(credential_id))
        assert row is not None and row.activation_expires_at is not None
        assert row.activation_expires_at - row.issued_at == passes.ACTIVATION_LIFETIME
        row.activation_expires_at = utcnow() - timedelta(seconds=1)
    late = activate(client, credential_id, token, secrets.token_bytes(32))
    assert (late.status_code, late.json()["why"]) == (409, "link_expired")


def test_the_pass_page_and_its_files_are_served_for_offline_use(client: TestClient) -> None:
    page = client.get("/pass/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    texts = json.loads(page.text.split('data-texts="', 1)[1].split('"', 1)[0].replace("&#34;", '"'))
    assert set(texts) == {"en", "zh-Hant", "zh-Hans"}
    # Every text of the pass is translated (the page switches language with no network).
    for chinese in ("zh-Hant", "zh-Hans"):
        assert [key for key, text in texts["en"].items() if texts[chinese][key] == text] == []
    manifest = client.get("/pass/manifest.webmanifest").json()
    assert manifest["start_url"] == manifest["scope"] == "/pass/"
    worker = client.get("/pass/sw.js").text
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    for kept in (
        "/pass/",
        "/pass/pass.js",
        "/pass/pass.css",
        "/pass/qrcode.js",
        "/pass/manifest.webmanifest",
    ):
        assert f'"{kept}"' in worker
        assert client.get(kept).status_code == 200
    assert client.get("/pass/other.js").status_code == 422
