"""The third round of attacks, each as an attacker (or a chaos tester) tried it, and what holds now:
personal data going where it should not, credentials and sessions outliving their right, bad
numbers, formulas in spreadsheets, bodies by size. (The races are in test_under_attack.py, run
against real server processes.)"""

from __future__ import annotations

import base64
import csv
import io
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import credentials
from clearance.core.zone import utcnow
from clearance.db.models import ImportJob, User
from enrolment import passes
from tests.pages import sign_in
from tests.support import (
    API,
    PASSWORD,
    World,
    enrol_active,
    frame_jpeg,
    photo_zip,
    post_commuter,
    verify_frame,
)
from tests.test_phone_pass import activate, ask, issue_pass

A, B, C = SAMPLE_COMMUTERS
WHITELIST_FIELDS = {
    "commuter_id",
    "version",
    "removed",
    "valid_until",
    "face_only",
    "template",
    "model",
    "credentials",
    "last_side",
    "last_crossed_at",
}
"""What a kiosk gets of a commuter: what a decision needs, nothing that names them."""


def test_the_kiosk_feed_carries_what_a_decision_needs_and_nobodys_name_or_document(
    client: TestClient, world: World
) -> None:
    a, _card = enrol_active(client, world, A)
    feed = client.get(f"{API}/kiosk/whitelist", headers=world.kiosk)
    assert feed.status_code == 200
    (entry,) = [e for e in feed.json()["entries"] if e["commuter_id"] == a["id"]]
    assert set(entry) <= WHITELIST_FIELDS
    text = feed.text
    for private in (A.label, "Organisation A", "passport"):
        assert private not in text


def test_a_kiosk_holding_every_code_key_cannot_read_a_pass_holders_data(
    client: TestClient, world: World
) -> None:
    # Kiosks need a phone pass's code key to check its codes offline; the pass's data answers a
    # proof made with another key, which only the phone and the server hold.
    a, _ = enrol_active(client, world, A)
    _body, credential_id, token = issue_pass(client, world, a["id"])
    key = secrets.token_bytes(32)
    assert activate(client, credential_id, token, key).status_code == 200
    feed = client.get(f"{API}/kiosk/whitelist", headers=world.kiosk).json()
    (held,) = [c for e in feed["entries"] for c in e.get("credentials", []) if c["id"] == credential_id]
    code_key = base64.b64decode(held["secret"])
    assert code_key == key
    at = int(time.time())
    for purpose in ("status", "data"):
        forged = passes.pass_proof(code_key, credential_id=uuid.UUID(credential_id), purpose=purpose, at=at)
        body = {"credential_id": credential_id, "time": at, "proof": base64.b64encode(forged).decode()}
        assert client.post(f"{API}/pass/{purpose}", json=body).status_code == 404
        # And a kiosk's (or anyone's) bearer key on a pass route is staff, refused outright.
        assert client.post(f"{API}/pass/{purpose}", json=body, headers=world.kiosk).status_code == 403


def test_staff_can_neither_activate_a_pass_they_hand_over_nor_read_through_one(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    a, _ = enrol_active(client, world, A)
    _body, credential_id, token = issue_pass(client, world, a["id"])
    key = secrets.token_bytes(32)
    wanted = {
        "credential_id": credential_id,
        "token": token,
        "key": base64.b64encode(key).decode(),
        "proof_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    # With their API token, or from the browser they are signed in to: refused.
    by_token = client.post(f"{API}/pass/activate", json=wanted, headers=world.enroller_a.headers)
    assert by_token.status_code == 403
    sign_in(page_client, "enroller_a")
    assert page_client.post(f"{API}/pass/activate", json=wanted).status_code == 403
    # Signed out, the browser is still one staff sign in from: refused.
    page_client.cookies.delete("hetao_session")
    assert page_client.post(f"{API}/pass/activate", json=wanted).status_code == 403
    # The commuter's own phone activates it; a staff browser cannot read its status even with
    # the phone's proof.
    assert activate(client, credential_id, token, key).status_code == 200
    assert ask(client, credential_id, key, "status").status_code == 200
    at = int(time.time())
    from tests.test_phone_pass import proof_key_of

    proof = passes.pass_proof(
        proof_key_of(key), credential_id=uuid.UUID(credential_id), purpose="status", at=at
    )
    body = {"credential_id": credential_id, "time": at, "proof": base64.b64encode(proof).decode()}
    assert page_client.post(f"{API}/pass/status", json=body).status_code == 403


def test_no_server_route_makes_a_dynamic_credentials_code(client: TestClient, world: World) -> None:
    a, _ = enrol_active(client, world, A)
    body, credential_id, _token = issue_pass(client, world, a["id"])
    refused = client.get(f"{API}/credentials/{credential_id}/qr.png", headers=world.enroller_a.headers)
    assert refused.status_code == 409
    officer = client.get(f"{API}/credentials/{credential_id}/qr.png", headers=world.officer.headers)
    assert officer.status_code == 409
    assert body["payload"] not in refused.text


def test_a_kiosk_cannot_push_a_credentials_step_beyond_what_time_allows(
    client: TestClient, world: World
) -> None:
    a, _ = enrol_active(client, world, A)
    issued = client.post(
        f"{API}/commuters/{a['id']}/credentials", headers=world.enroller_a.headers, json={"kind": "dynamic"}
    ).json()
    for step in (2**32 - 1, credentials.time_step(utcnow()) + 50, 0):
        claim = {
            "crossing_id": str(uuid.uuid4()),
            "commuter_id": a["id"],
            "credential_id": issued["id"],
            "dynamic_step": step,
        }
        refused = client.post(f"{API}/kiosk/passages", headers=world.kiosk, json=claim)
        assert refused.status_code == 422, refused.text
    # The holder's genuine code still clears.
    shown = credentials.dynamic_qr_text(
        issued["payload"], secret=base64.b64decode(issued["secret"]), now=utcnow()
    )
    assert verify_frame(client, world, frame_jpeg(A.live_photo, shown)).json()["decision"] == "cleared"


def test_a_password_reset_a_disable_or_a_new_role_ends_every_token_issued_before(
    client: TestClient, world: World
) -> None:
    def token(username: str) -> dict[str, str]:
        issued = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
        assert issued.status_code == 200, issued.text
        return {"Authorization": f"Bearer {issued.json()['access_token']}"}

    officer = token("officer_2")
    assert client.get(f"{API}/alerts", headers=officer).status_code == 200
    reset = client.post(
        f"{API}/users/{world.officer_2.user_id}/password",
        headers=world.admin.headers,
        json={"password": PASSWORD + " again"},
    )
    assert reset.status_code == 200, reset.text
    assert client.get(f"{API}/alerts", headers=officer).status_code == 401

    enroller = token("enroller_b")
    for change in ("disable", "enable"):
        assert client.post(
            f"{API}/users/{world.enroller_b.user_id}/{change}", headers=world.admin.headers
        ).is_success
    assert client.get(f"{API}/commuters", headers=enroller).status_code == 401

    promoted = token("enroller_a")
    moved = client.patch(
        f"{API}/users/{world.enroller_a.user_id}", headers=world.admin.headers, json={"role": "officer"}
    )
    assert moved.status_code == 200, moved.text
    assert client.get(f"{API}/commuters", headers=promoted).status_code == 401


def test_an_administrator_cannot_reset_their_own_password_from_a_session(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    own = client.post(
        f"{API}/users/{world.admin.user_id}/password",
        headers=world.admin.headers,
        json={"password": PASSWORD + " mine"},
    )
    assert own.status_code == 409
    csrf = sign_in(page_client, "admin")
    page = page_client.post(f"/admin/users/{world.admin.user_id}/password", data={"csrf_token": csrf})
    assert page.status_code == 422 and "your own password" in page.text


def test_four_eyes_hold_for_everyone_who_added_a_photo(client: TestClient, world: World) -> None:
    created = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo)
    commuter_id = created.json()["id"]

    def add_photo(actor: Any, photo: Any) -> None:
        added = client.post(
            f"{API}/commuters/{commuter_id}/photos",
            headers=actor.headers,
            files={"photo": ("p.jpg", photo.read_bytes(), "image/jpeg")},
        )
        assert added.status_code == 200, added.text

    add_photo(world.officer, A.live_photo)
    add_photo(world.enroller_a, A.enrolment_photo)  # someone else adds one after the officer
    refused = client.post(f"{API}/commuters/{commuter_id}/approve", headers=world.officer.headers)
    assert refused.status_code == 403
    approved = client.post(f"{API}/commuters/{commuter_id}/approve", headers=world.officer_2.headers)
    assert approved.status_code == 200


@pytest.mark.parametrize("path", ["/pass/status", "/pass/data"])
@pytest.mark.parametrize("time_value", [10**400, -(10**400), 2**63, -1])
def test_extreme_numbers_on_the_pass_routes_are_refused_not_a_server_error(
    client: TestClient, path: str, time_value: int
) -> None:
    body = f'{{"credential_id": "{uuid.uuid4()}", "time": {time_value}, "proof": "AAAA"}}'
    answer = client.post(f"{API}{path}", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("sent_at", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_a_kiosk_batch_from_a_clock_centuries_off_is_recorded_at_the_servers_time(
    client: TestClient, world: World, sent_at: str
) -> None:
    decided = {"id": str(uuid.uuid4()), "decided_at": sent_at, "decision": "rejected", "reasons": ["no_qr"]}
    body = world.signer.batch([decided])
    body["sent_at"] = sent_at
    answer = world.signer.send(client, "", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "created"
    assert answer.json()["clock_offset_seconds"] is None  # nothing a kiosk could correct by


def test_a_failed_rows_csv_neutralises_every_formula(client: TestClient, world: World) -> None:
    hostile = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", " =1", "＝1"]
    lines = ["full_name,document_type,document_number,home_park,valid_until,photo"]
    for n, name in enumerate(hostile):
        lines.append(f'"{name}",passport,P{n:07d},nowhere,2030-01-01,missing.jpg')
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("commuters.csv", "\n".join(lines) + "\n")
    started = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={"photos": ("i.zip", zipped.getvalue(), "application/zip")},
    )
    assert started.status_code == 202, started.text
    from tests.pages import sign_in as browse

    browser = TestClient(client.app, base_url="https://testserver")
    browse(browser, "enroller_a")
    failed = browser.get(f"/imports/{started.json()['id']}/failed.csv")
    assert failed.status_code == 200
    rows = list(csv.reader(io.StringIO(failed.text)))[1:]
    assert len(rows) == len(hostile)
    for row in rows:
        for cell in row:
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@", "＝", "＋", "－", "＠"), row
            assert not cell.startswith(("\t", "\r")), row


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/vnd.hetao+json", "text/plain", ""])
def test_bodies_are_limited_by_size_whatever_they_call_themselves(
    client: TestClient, world: World, content_type: str
) -> None:
    huge = b'{"crossings": [' + b" " * (5 * 1024 * 1024) + b"]}"
    answer = client.post(
        f"{API}/kiosk/crossings", content=huge, headers={**world.kiosk, "Content-Type": content_type}
    )
    assert answer.status_code == 413, answer.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/organisations", {"name": "   ", "park": "hk"}),
        ("/organisations", {"name": "\u200b", "park": "hk"}),
        ("/checkpoints", {"name": " \t ", "bridge": "east"}),
    ],
)
def test_a_blank_name_is_refused_when_creating_as_when_editing(
    client: TestClient, world: World, path: str, body: dict[str, str]
) -> None:
    answer = client.post(f"{API}{path}", headers=world.admin.headers, json=body)
    assert answer.status_code == 422, answer.text


def test_a_kiosk_with_a_blank_name_is_refused(client: TestClient, world: World) -> None:
    answer = client.post(
        f"{API}/checkpoints/{world.checkpoint_id}/kiosks",
        headers=world.admin.headers,
        json={"name": "  ", "direction": "to_hk"},
    )
    assert answer.status_code == 422, answer.text


def test_a_disabled_enrollers_queued_import_registers_nobody_more(
    client: TestClient, world: World, sessions: sessionmaker[Session], app: Any
) -> None:
    from enrolment import imports

    # The import is queued, not run: its runner holds it until the test lets it go.
    queued: list[Any] = []
    runner = app.state.imports
    runner_submit = runner.submitter

    def holding(*, user_id: uuid.UUID, ip: str | None) -> Any:
        submit = runner_submit(user_id=user_id, ip=ip)

        def later(job_id: uuid.UUID, request: imports.ImportRequest) -> None:
            queued.append(lambda: submit(job_id, request))

        return later

    runner.submitter = holding
    try:
        zipped = photo_zip(
            [("Queued One", A), ("Queued Two", B)], valid_until=str(utcnow().date() + timedelta(days=90))
        )
        started = client.post(
            f"{API}/commuters/import",
            headers=world.enroller_a.headers,
            files={"photos": ("i.zip", zipped, "application/zip")},
        )
        assert started.status_code == 202, started.text
        disabled = client.post(
            f"{API}/users/{world.enroller_a.user_id}/disable",
            headers=world.admin.headers,
            json={"reason": "left"},
        )
        assert disabled.status_code == 200
        (run,) = queued
        run()
    finally:
        runner.submitter = runner_submit
    with sessions() as session:
        job = session.get(ImportJob, uuid.UUID(started.json()["id"]))
        assert job is not None
        assert job.status.value == "failed" and job.enrolled == 0
        assert "disabled" in (job.error or "")
        assert session.scalar(select(User).where(User.username == "enroller_a")) is not None
