"""Every change and every read of personal data leaves its audit record, whichever door it came
through: each mutating API route and page, and each route that shows a commuter's personal data,
is called for real here and must add a record of its action. A route added without a line in
one of these tables fails the first test."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.db.models import AuditEvent
from enrolment import passes
from tests.pages import sign_in
from tests.support import (
    API,
    PASSWORD,
    KioskSigner,
    World,
    enrol_active,
    objects_of_organisation_a,
    photo_zip,
    post_commuter,
    routes,
)

A, B, C = SAMPLE_COMMUTERS


@dataclass
class Doors:
    """The test's ways in: the API client, signed-in browsers, and real objects to act on."""

    client: TestClient
    browsers: dict[str, tuple[TestClient, str]]
    world: World
    objects: dict[str, str]

    def api(self, caller: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {
            "officer": self.world.officer.headers,
            "enroller": self.world.enroller_a.headers,
            "admin": self.world.admin.headers,
            "kiosk": self.world.kiosk,
            "anonymous": {},
        }[caller]
        return self.client.request(method, f"{API}{path.format(**self.objects)}", headers=headers, **kwargs)

    def page(self, caller: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        browser, csrf = self.browsers[caller]
        if method == "POST":
            kwargs["data"] = {"csrf_token": csrf, **kwargs.get("data", {})}
        kwargs.setdefault("follow_redirects", False)
        return browser.request(method, path.format(**self.objects), **kwargs)

    def new_kiosk(self) -> dict[str, str]:
        """A kiosk just added by an administrator: the headers it calls with."""
        created = self.api(
            "admin", "POST", "/checkpoints/{checkpoint_id}/kiosks", json={"name": "New", "direction": "to_sz"}
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['api_key']}"}

    def pending_commuter(self) -> str:
        created = post_commuter(self.client, self.world.enroller_a, self.world.org_a, B.enrolment_photo)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def compared_commuter(self) -> str:
        """A pending registration whose evidence the officer has opened (so they may approve it)."""
        commuter_id = self.pending_commuter()
        assert self.page("officer", "GET", f"/queue/registrations/{commuter_id}").status_code == 200
        return commuter_id

    def activate_phone_pass(self) -> httpx.Response:
        """A phone pass issued through the API and activated as the pass's page does it, with the
        code key ``PASS_KEY``."""
        made = self.api(
            "enroller",
            "POST",
            "/commuters/{commuter_id}/credentials",
            json={"kind": "dynamic", "phone_pass": True},
        )
        assert made.status_code == 201, made.text
        credential_id, token = passes.read_activation_link(made.json()["activation_link"])
        wanted = {
            "credential_id": str(credential_id),
            "token": token,
            "key": PASS_KEY_B64,
            "proof_key": base64.b64encode(PROOF_KEY).decode(),
        }
        return self.api("anonymous", "POST", "/pass/activate", json=wanted)

    def ask_as_phone(self, purpose: passes.Purpose) -> httpx.Response:
        activated = self.activate_phone_pass()
        assert activated.status_code == 200, activated.text
        credential_id = uuid.UUID(activated.json()["credential_id"])
        at = int(time.time())
        proof = passes.pass_proof(PROOF_KEY, credential_id=credential_id, purpose=purpose, at=at)
        body = {"credential_id": str(credential_id), "time": at, "proof": base64.b64encode(proof).decode()}
        return self.api("anonymous", "POST", f"/pass/{purpose}", json=body)

    def active_commuter(self) -> str:
        commuter, _credential = enrol_active(self.client, self.world, C)
        return str(commuter["id"])


def registration_form(world: World) -> dict[str, str]:
    return {
        "full_name": "Audited Person",
        "document_type": "passport",
        "document_number": f"P{uuid.uuid4().int % 10**8:08d}",
        "organisation_id": str(world.org_a),
        "home_park": "hk",
        "valid_until": str(date.today() + timedelta(days=100)),
    }


def an_import() -> dict[str, Any]:
    zipped = photo_zip([("Imported Person", B)], valid_until=str(date.today() + timedelta(days=100)))
    return {"files": {"photos": ("import.zip", zipped, "application/zip")}}


Call = Callable[[Doors], httpx.Response]
PASS_KEY = bytes(range(32))
PASS_KEY_B64 = base64.b64encode(PASS_KEY).decode()
PROOF_KEY = bytes(range(32, 64))
OFFICER_SIGN_IN = {"username": "officer", "password": PASSWORD}
NEW_KIOSK = {"name": "Lane 9", "direction": "to_sz"}
REASON = {"reason": "left the organisation"}


# Each change, called as someone allowed to make it, and the action its record names.
def new_officer(d: Doors, username: str) -> str:
    made = d.api(
        "admin", "POST", "/users", json={"username": username, "password": PASSWORD, "role": "officer"}
    )
    user_id: str = made.json()["id"]
    return user_id


CHANGES: dict[tuple[str, str], tuple[str, Call]] = {
    ("POST", "/api/v1/auth/token"): (
        "sign_in",
        lambda d: d.api(
            "anonymous", "POST", "/auth/token", data={"username": "officer", "password": PASSWORD}
        ),
    ),
    ("POST", "/api/v1/organisations"): (
        "create_organisation",
        lambda d: d.api("admin", "POST", "/organisations", json={"name": "Audited Org", "park": "sz"}),
    ),
    ("POST", "/api/v1/users"): (
        "create_user",
        lambda d: d.api(
            "admin", "POST", "/users", json={"username": "audited", "password": PASSWORD, "role": "officer"}
        ),
    ),
    ("PATCH", "/api/v1/organisations/{organisation_id}"): (
        "edit_organisation",
        lambda d: d.api("admin", "PATCH", f"/organisations/{d.world.org_a}", json={"name": "Renamed Org"}),
    ),
    ("PATCH", "/api/v1/users/{user_id}"): (
        "edit_user",
        lambda d: d.api("admin", "PATCH", f"/users/{new_officer(d, 'promoted')}", json={"role": "admin"}),
    ),
    ("PATCH", "/api/v1/checkpoints/{checkpoint_id}"): (
        "edit_checkpoint",
        lambda d: d.api("admin", "PATCH", "/checkpoints/{checkpoint_id}", json={"name": "Renamed"}),
    ),
    ("PATCH", "/api/v1/kiosks/{kiosk_id}"): (
        "edit_kiosk",
        lambda d: d.api("admin", "PATCH", f"/kiosks/{d.world.kiosk_id}", json={"name": "Lane 7"}),
    ),
    ("POST", "/api/v1/users/{user_id}/disable"): (
        "disable_user",
        lambda d: d.api(
            "admin", "POST", f"/users/{new_officer(d, 'leaver')}/disable", json={"reason": "left"}
        ),
    ),
    ("POST", "/api/v1/users/{user_id}/enable"): (
        "enable_user",
        lambda d: (
            user_id := new_officer(d, "returner"),
            d.api("admin", "POST", f"/users/{user_id}/disable"),
            d.api("admin", "POST", f"/users/{user_id}/enable"),
        )[-1],
    ),
    ("POST", "/api/v1/users/{user_id}/password"): (
        "reset_password",
        lambda d: d.api(
            "admin",
            "POST",
            f"/users/{new_officer(d, 'forgetful')}/password",
            json={"password": PASSWORD + " 2"},
        ),
    ),
    ("POST", "/api/v1/checkpoints"): (
        "create_checkpoint",
        lambda d: d.api("admin", "POST", "/checkpoints", json={"name": "Audited", "bridge": "west"}),
    ),
    ("POST", "/api/v1/checkpoints/{checkpoint_id}/kiosks"): (
        "create_kiosk",
        lambda d: d.api(
            "admin",
            "POST",
            "/checkpoints/{checkpoint_id}/kiosks",
            json={"name": "Lane 9", "direction": "to_sz"},
        ),
    ),
    ("POST", "/api/v1/commuters"): (
        "register_commuter",
        lambda d: post_commuter(d.client, d.world.enroller_a, d.world.org_a, A.enrolment_photo),
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/photos"): (
        "add_photo",
        lambda d: d.api(
            "enroller",
            "POST",
            "/commuters/{commuter_id}/photos",
            files={"photo": ("p.jpg", A.live_photo.read_bytes(), "image/jpeg")},
        ),
    ),
    ("POST", "/commuters/{commuter_id}/photos"): (
        "add_photo",
        lambda d: d.page(
            "enroller",
            "POST",
            "/commuters/{commuter_id}/photos",
            files={"photo": ("p.jpg", A.live_photo.read_bytes(), "image/jpeg")},
        ),
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/approve"): (
        "approve_commuter",
        lambda d: d.api("officer", "POST", f"/commuters/{d.pending_commuter()}/approve"),
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/suspend"): (
        "suspend_commuter",
        lambda d: d.api("officer", "POST", "/commuters/{commuter_id}/suspend", json={"reason": "lost pass"}),
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/reinstate"): (
        "reinstate_commuter",
        lambda d: (
            d.api("officer", "POST", "/commuters/{commuter_id}/suspend", json={"reason": "lost pass"}),
            d.api("officer", "POST", "/commuters/{commuter_id}/reinstate"),
        )[1],
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/revoke"): (
        "revoke_commuter",
        lambda d: d.api(
            "officer", "POST", f"/commuters/{d.active_commuter()}/revoke", json={"reason": "left"}
        ),
    ),
    ("POST", "/api/v1/commuters/{commuter_id}/credentials"): (
        "issue_credential",
        lambda d: d.api("enroller", "POST", "/commuters/{commuter_id}/credentials", json={"kind": "dynamic"}),
    ),
    ("POST", "/api/v1/pass/activate"): ("activate_pass", lambda d: d.activate_phone_pass()),
    ("POST", "/api/v1/credentials/{credential_id}/replace"): (
        "issue_credential",
        lambda d: d.api(
            "enroller", "POST", "/credentials/{credential_id}/replace", json={"reason": "lost card"}
        ),
    ),
    ("POST", "/credentials/{credential_id}/{change}"): (
        "revoke_credential",
        lambda d: d.page(
            "enroller", "POST", "/credentials/{credential_id}/revoke", data={"reason": "lost phone"}
        ),
    ),
    ("POST", "/api/v1/credentials/{credential_id}/revoke"): (
        "revoke_credential",
        lambda d: d.api("enroller", "POST", "/credentials/{credential_id}/revoke"),
    ),
    ("POST", "/api/v1/commuters/import"): (
        "start_import",
        lambda d: d.api("enroller", "POST", "/commuters/import", **an_import()),
    ),
    ("POST", "/api/v1/crossings/{crossing_id}/override"): (
        "override_crossing",
        lambda d: d.api(
            "officer",
            "POST",
            "/crossings/{crossing_id}/override",
            json={"decision": "rejected", "reason": "checked the document"},
        ),
    ),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): (
        "acknowledge_alert",
        lambda d: d.api("officer", "POST", "/alerts/{alert_id}/acknowledge", json={"note": "seen"}),
    ),
    ("POST", "/api/v1/kiosk/identity"): (
        "register_kiosk_key",
        lambda d: d.client.post(
            f"{API}/kiosk/identity", headers=d.new_kiosk(), json={"public_key": KioskSigner({}).public_key()}
        ),
    ),
    ("POST", "/api/v1/kiosk/crossings"): (
        "deliver_crossings",
        lambda d: d.world.signer.deliver(d.client, "", []),
    ),
    ("POST", "/api/v1/kiosks/{kiosk_id}/rekey"): (
        "rekey_kiosk",
        lambda d: d.api("admin", "POST", f"/kiosks/{d.world.kiosk_id}/rekey"),
    ),
    ("POST", "/api/v1/kiosks/{kiosk_id}/disable"): (
        "disable_kiosk",
        lambda d: d.api("admin", "POST", f"/kiosks/{d.world.kiosk_id}/disable", json={"reason": "test"}),
    ),
    ("POST", "/api/v1/kiosks/{kiosk_id}/enable"): (
        "enable_kiosk",
        lambda d: (
            d.api("admin", "POST", f"/kiosks/{d.world.kiosk_id}/disable"),
            d.api("admin", "POST", f"/kiosks/{d.world.kiosk_id}/enable"),
        )[1],
    ),
    ("POST", "/login"): (
        "sign_in",
        lambda d: d.page(
            "anonymous", "POST", "/login", data={"username": "officer", "password": PASSWORD, "next": "/"}
        ),
    ),
    ("POST", "/logout"): ("sign_out", lambda d: d.page("officer 2", "POST", "/logout")),
    ("POST", "/language"): (
        "set_language",
        lambda d: d.page("officer", "POST", "/language", data={"lang": "zh-Hant"}),
    ),
    ("POST", "/queue/registrations/approve"): (
        "approve_commuter",
        lambda d: d.page(
            "officer", "POST", "/queue/registrations/approve", data={"commuter": d.compared_commuter()}
        ),
    ),
    ("POST", "/queue/registrations/{commuter_id}/approve"): (
        "approve_commuter",
        lambda d: d.page("officer", "POST", f"/queue/registrations/{d.compared_commuter()}/approve"),
    ),
    ("POST", "/queue/crossings/{crossing_id}/override"): (
        "override_crossing",
        lambda d: d.page(
            "officer",
            "POST",
            "/queue/crossings/{crossing_id}/override",
            data={"decision": "cleared", "reason": "checked the document"},
        ),
    ),
    ("POST", "/queue/alerts/{alert_id}/acknowledge"): (
        "acknowledge_alert",
        lambda d: d.page("officer", "POST", "/queue/alerts/{alert_id}/acknowledge"),
    ),
    ("POST", "/commuters/{commuter_id}/photo"): (
        "view_reference_photo",
        # The form sends the browser to the commuter's page, which shows the photo and records it.
        lambda d: d.page(
            "officer",
            "POST",
            "/commuters/{commuter_id}/photo",
            data={"purpose": "complaint"},
            follow_redirects=True,
        ),
    ),
    ("POST", "/commuters/{commuter_id}/credentials"): (
        "issue_credential",
        lambda d: d.page("enroller", "POST", "/commuters/{commuter_id}/credentials", data={"kind": "static"}),
    ),
    ("POST", "/commuters/{commuter_id}/{action}"): (
        "approve_commuter",
        lambda d: d.page("officer", "POST", f"/commuters/{d.pending_commuter()}/approve"),
    ),
    ("POST", "/register"): (
        "register_commuter",
        lambda d: d.page(
            "enroller",
            "POST",
            "/register",
            data=registration_form(d.world),
            files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")},
        ),
    ),
    ("POST", "/imports"): ("start_import", lambda d: d.page("enroller", "POST", "/imports", **an_import())),
    ("POST", "/admin/kiosks/{kiosk_id}/{action}"): (
        "disable_kiosk",
        lambda d: d.page("admin", "POST", "/admin/kiosks/{kiosk_id}/disable", data={"reason": "stolen"}),
    ),
    ("POST", "/admin/organisations"): (
        "create_organisation",
        lambda d: d.page("admin", "POST", "/admin/organisations", data={"name": "Paged Org", "park": "hk"}),
    ),
    ("POST", "/admin/organisations/{organisation_id}"): (
        "edit_organisation",
        lambda d: d.page(
            "admin", "POST", f"/admin/organisations/{d.world.org_a}", data={"name": "Renamed", "park": "sz"}
        ),
    ),
    ("POST", "/admin/users"): (
        "create_user",
        lambda d: d.page("admin", "POST", "/admin/users", data={"username": "paged", "role": "officer"}),
    ),
    ("POST", "/admin/users/{user_id}"): (
        "edit_user",
        lambda d: d.page("admin", "POST", f"/admin/users/{new_officer(d, 'moved')}", data={"role": "admin"}),
    ),
    ("POST", "/admin/checkpoints"): (
        "create_checkpoint",
        lambda d: d.page("admin", "POST", "/admin/checkpoints", data={"name": "Paged", "bridge": "east"}),
    ),
    ("POST", "/admin/checkpoints/{checkpoint_id}"): (
        "edit_checkpoint",
        lambda d: d.page("admin", "POST", "/admin/checkpoints/{checkpoint_id}", data={"name": "Renamed"}),
    ),
    ("POST", "/admin/kiosks"): (
        "create_kiosk",
        lambda d: d.page(
            "admin", "POST", "/admin/kiosks", data={"checkpoint": d.objects["checkpoint_id"], **NEW_KIOSK}
        ),
    ),
    ("POST", "/admin/kiosks/{kiosk_id}"): (
        "edit_kiosk",
        lambda d: d.page("admin", "POST", "/admin/kiosks/{kiosk_id}", data={"name": "Lane 8"}),
    ),
    ("POST", "/admin/users/{user_id}/{action}"): (
        "reset_password",
        lambda d: d.page("admin", "POST", f"/admin/users/{new_officer(d, 'forgot')}/password"),
    ),
}
# Each read of personal data, and the action its record names.
READS: dict[tuple[str, str], tuple[str, Call]] = {
    ("POST", "/api/v1/pass/status"): ("read_pass_status", lambda d: d.ask_as_phone("status")),
    ("POST", "/api/v1/pass/data"): ("data_access_request", lambda d: d.ask_as_phone("data")),
    ("GET", "/api/v1/commuters"): (
        "search_commuters",
        lambda d: d.api("officer", "GET", "/commuters?q=Sample"),
    ),
    ("GET", "/api/v1/commuters/{commuter_id}"): (
        "read_commuter",
        lambda d: d.api("officer", "GET", "/commuters/{commuter_id}?purpose=complaint"),
    ),
    ("GET", "/api/v1/commuters/{commuter_id}/photo"): (
        "view_reference_photo",
        lambda d: d.api("officer", "GET", "/commuters/{commuter_id}/photo?purpose=identity_check"),
    ),
    ("GET", "/queue/registrations/{commuter_id}"): (
        "view_reference_photo",
        lambda d: d.page("officer", "GET", f"/queue/registrations/{d.pending_commuter()}"),
    ),
    ("GET", "/api/v1/commuters/{commuter_id}/credentials"): (
        "read_credentials",
        lambda d: d.api("enroller", "GET", "/commuters/{commuter_id}/credentials"),
    ),
    ("GET", "/api/v1/credentials/{credential_id}"): (
        "read_credential",
        lambda d: d.api("enroller", "GET", "/credentials/{credential_id}"),
    ),
    ("GET", "/api/v1/credentials/{credential_id}/qr.png"): (
        "read_credential_qr",
        lambda d: d.api("enroller", "GET", "/credentials/{credential_id}/qr.png"),
    ),
    ("GET", "/api/v1/credentials/{credential_id}/card.{fmt}"): (
        "print_card",
        lambda d: d.api("enroller", "GET", "/credentials/{credential_id}/card.pdf"),
    ),
    ("GET", "/api/v1/crossings"): (
        "read_crossing_history",
        lambda d: d.api("officer", "GET", "/crossings?commuter_id={commuter_id}&purpose=complaint"),
    ),
    ("GET", "/api/v1/imports/{job_id}"): (
        "read_import",
        lambda d: d.api("enroller", "GET", "/imports/{job_id}"),
    ),
    ("GET", "/commuters"): ("search_commuters", lambda d: d.page("enroller", "GET", "/commuters?q=Sample")),
    ("GET", "/audit.csv"): ("export_audit", lambda d: d.page("officer", "GET", "/audit.csv")),
    ("GET", "/commuters/{commuter_id}"): (
        "read_commuter",
        lambda d: d.page("officer", "GET", "/commuters/{commuter_id}"),
    ),
    ("GET", "/credentials/{credential_id}/card.{fmt}"): (
        "print_card",
        lambda d: d.page("enroller", "GET", "/credentials/{credential_id}/card.png"),
    ),
    ("GET", "/imports/{job_id}"): ("read_import", lambda d: d.page("enroller", "GET", "/imports/{job_id}")),
    ("GET", "/imports/{job_id}/failed.csv"): (
        "read_import",
        lambda d: d.page("enroller", "GET", "/imports/{job_id}/failed.csv"),
    ),
}
# What is neither, and why.
NOT_AUDITED = {
    ("POST", "/api/v1/kiosk/verify"): "a kiosk's attempt: the crossing it records is the record",
    ("POST", "/register/check-photo"): "checks a photo and stores nothing",
    (
        "POST",
        "/api/v1/kiosk/passages",
    ): "part of a kiosk's decision: the crossing it claims for is the record",
    ("GET", "/api/v1/organisations"): "no personal data",
    ("GET", "/api/v1/users"): "staff accounts, for administrators: no commuter's data",
    ("GET", "/api/v1/checkpoints"): "no personal data",
    ("GET", "/api/v1/kiosk/whitelist"): "a kiosk's sync: what it holds is sealed with its own key",
    ("GET", "/api/v1/kiosk/presence/{commuter_id}"): "a kiosk's anti-passback check: one park, no name",
    ("GET", "/api/v1/kiosks"): "kiosks and when they last called",
    ("GET", "/api/v1/alerts"): "the officers' queue (ids, no names)",
    ("GET", "/api/v1/stats"): "counts",
    ("GET", "/api/v1/flow"): "counts and times per bridge and hour: nobody named",
    ("GET", "/api/v1/events"): "the officers' live feed, watched all day: its crossings are records already",
    ("GET", "/api/v1/audit"): "the audit trail itself",
    ("GET", "/healthz"): "no personal data",
    ("GET", "/metrics"): "counts",
    ("GET", "/docs"): "the API's documentation",
    ("GET", "/"): "a redirect",
    ("GET", "/login"): "the sign-in form",
    ("GET", "/pass/"): "the phone pass's page: the pass and its holder's data are in the phone, not the page",
    ("GET", "/pass/manifest.webmanifest"): "the phone pass's web app manifest",
    ("GET", "/pass/{name}"): "the phone pass's script, styles and icons",
    ("GET", "/dashboard"): "the officers' live view, watched all day",
    ("GET", "/dashboard/stats"): "counts",
    ("GET", "/flow"): "counts and times per bridge and hour: nobody named",
    ("GET", "/flow.csv"): "counts and times per bridge and hour: nobody named",
    ("GET", "/dashboard/events"): "the officers' live feed, watched all day",
    ("GET", "/queue"): "the officers' work queue, watched all day",
    ("GET", "/audit"): "the audit trail itself",
    ("GET", "/admin"): "kiosks and organisations",
    ("GET", "/register"): "an empty form",
    ("GET", "/imports/new"): "the form, and past imports' file names and counts",
    ("GET", "/imports/template.csv"): "a header and an example row, nobody's data",
    ("GET", "/imports/{job_id}/progress"): "counts",
}


def test_every_route_is_audited_or_says_why_not(app: FastAPI) -> None:
    declared = set(CHANGES) | set(READS) | set(NOT_AUDITED)
    assert set(routes(app)) == declared
    assert not set(CHANGES) & set(READS) and not (set(CHANGES) | set(READS)) & set(NOT_AUDITED)


@pytest.fixture(scope="module")
def shared_doors(
    app: FastAPI, module_client: TestClient, module_world: World, module_sessions: sessionmaker[Session]
) -> Doors:
    """The doors and the objects behind them, built once for the module."""
    objects = objects_of_organisation_a(module_client, module_world, module_sessions)
    browsers: dict[str, tuple[TestClient, str]] = {}
    for name, username in (
        ("officer", "officer"),
        ("officer 2", "officer_2"),
        ("enroller", "enroller_a"),
        ("admin", "admin"),
    ):
        browser = TestClient(app, base_url="https://testserver")
        browsers[name] = (browser, sign_in(browser, username))
    anonymous = TestClient(app, base_url="https://testserver")
    anonymous.get("/login")
    browsers["anonymous"] = (anonymous, anonymous.cookies["hetao_login"])
    return Doors(module_client, browsers, module_world, objects)


@pytest.fixture
def doors(shared_doors: Doors, undone: None) -> Iterator[Doors]:
    """The module's doors, each browser with the cookies it had when it signed in (a test that
    signs out or changes language leaves the next one as it found it)."""
    signed_in = {name: list(browser.cookies.jar) for name, (browser, _csrf) in shared_doors.browsers.items()}
    yield shared_doors
    for name, (browser, _csrf) in shared_doors.browsers.items():
        browser.cookies.clear()
        for cookie in signed_in[name]:
            browser.cookies.jar.set_cookie(cookie)


def count(sessions: sessionmaker[Session], action: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


@pytest.mark.parametrize("route", [*CHANGES, *READS], ids=lambda route: " ".join(route))
def test_the_route_leaves_its_audit_record(
    doors: Doors, module_sessions: sessionmaker[Session], route: tuple[str, str]
) -> None:
    action, call = {**CHANGES, **READS}[route]
    before = count(module_sessions, action)
    response = call(doors)
    assert response.status_code < 400, response.text
    assert count(module_sessions, action) > before
    method, path = route
    if method == "POST" and not path.startswith("/api/") and response.request.method == "POST":
        # Post, redirect, get: a page form that did its work sends the browser on, so reloading
        # what it shows never sends the form again.
        assert response.status_code == 303, (route, response.status_code)
