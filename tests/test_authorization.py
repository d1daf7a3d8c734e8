"""One declared policy for who may call what, checked against every route the server has: each
API route and each page, called as each kind of caller. A route added without a policy entry
fails this test. Paths name a real commuter and credential of organisation A, so an enroller of
organisation B must be turned away from them too (with 404: another organisation's people are
not even disclosed)."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.pages import sign_in
from tests.support import World, objects_of_organisation_a, routes

ANONYMOUS, ENROLLER, OFFICER, ADMIN, KIOSK = "anonymous", "enroller", "officer", "admin", "kiosk"
ENROLLER_B = "enroller of another organisation"
CALLERS = (ANONYMOUS, ENROLLER, ENROLLER_B, OFFICER, ADMIN, KIOSK)
# Staff routes naming one of organisation A's commuters, credentials or import jobs: another
# organisation's enroller is told they do not exist. Crossings, alerts and checkpoints are named by
# real ids too, and refused to every enroller by role.
ORG_A_OBJECTS = ("{commuter_id}", "{credential_id}", "{job_id}")
EVERYONE = frozenset(CALLERS)
SIGNED_IN = frozenset({ENROLLER, OFFICER, ADMIN})
STAFF = frozenset({ENROLLER, OFFICER})

POLICY: dict[tuple[str, str], frozenset[str]] = {
    # The API
    ("POST", "/api/v1/auth/token"): EVERYONE,
    ("POST", "/api/v1/organisations"): frozenset({ADMIN}),
    ("GET", "/api/v1/organisations"): frozenset({ADMIN}),
    ("POST", "/api/v1/users"): frozenset({ADMIN}),
    ("GET", "/api/v1/users"): frozenset({ADMIN}),
    ("PATCH", "/api/v1/organisations/{organisation_id}"): frozenset({ADMIN}),
    ("PATCH", "/api/v1/users/{user_id}"): frozenset({ADMIN}),
    ("PATCH", "/api/v1/checkpoints/{checkpoint_id}"): frozenset({ADMIN}),
    ("PATCH", "/api/v1/kiosks/{kiosk_id}"): frozenset({ADMIN}),
    ("POST", "/api/v1/users/{user_id}/disable"): frozenset({ADMIN}),
    ("POST", "/api/v1/users/{user_id}/enable"): frozenset({ADMIN}),
    ("POST", "/api/v1/users/{user_id}/password"): frozenset({ADMIN}),
    ("POST", "/api/v1/checkpoints"): frozenset({ADMIN}),
    ("GET", "/api/v1/checkpoints"): frozenset({ADMIN}),
    ("POST", "/api/v1/checkpoints/{checkpoint_id}/kiosks"): frozenset({ADMIN}),
    ("POST", "/api/v1/kiosk/verify"): frozenset({KIOSK}),
    ("GET", "/api/v1/kiosk/whitelist"): frozenset({KIOSK}),
    ("POST", "/api/v1/kiosk/crossings"): frozenset({KIOSK}),
    ("POST", "/api/v1/kiosk/identity"): frozenset({KIOSK}),
    ("POST", "/api/v1/kiosk/passages"): frozenset({KIOSK}),
    ("GET", "/api/v1/kiosks"): frozenset({ADMIN}),
    ("POST", "/api/v1/kiosks/{kiosk_id}/rekey"): frozenset({ADMIN}),
    ("POST", "/api/v1/kiosks/{kiosk_id}/disable"): frozenset({ADMIN}),
    ("POST", "/api/v1/kiosks/{kiosk_id}/enable"): frozenset({ADMIN}),
    ("GET", "/api/v1/kiosk/presence/{commuter_id}"): frozenset({KIOSK}),
    ("GET", "/api/v1/crossings"): frozenset({OFFICER}),
    ("POST", "/api/v1/crossings/{crossing_id}/override"): frozenset({OFFICER}),
    ("GET", "/api/v1/alerts"): frozenset({OFFICER}),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): frozenset({OFFICER}),
    ("GET", "/api/v1/stats"): frozenset({OFFICER}),
    ("GET", "/api/v1/flow"): frozenset({OFFICER}),
    ("GET", "/api/v1/events"): frozenset({OFFICER}),
    ("GET", "/api/v1/audit"): frozenset({OFFICER}),
    ("POST", "/api/v1/commuters"): STAFF,
    ("GET", "/api/v1/commuters"): STAFF,
    ("GET", "/api/v1/commuters/{commuter_id}"): STAFF,
    ("GET", "/api/v1/commuters/{commuter_id}/photo"): STAFF,
    ("POST", "/api/v1/commuters/{commuter_id}/photos"): STAFF,
    ("POST", "/api/v1/commuters/{commuter_id}/approve"): frozenset({OFFICER}),
    ("POST", "/api/v1/commuters/{commuter_id}/suspend"): frozenset({OFFICER}),
    ("POST", "/api/v1/commuters/{commuter_id}/reinstate"): frozenset({OFFICER}),
    ("POST", "/api/v1/commuters/{commuter_id}/revoke"): frozenset({OFFICER}),
    ("POST", "/api/v1/commuters/{commuter_id}/credentials"): STAFF,
    ("GET", "/api/v1/commuters/{commuter_id}/credentials"): STAFF,
    ("GET", "/api/v1/credentials/{credential_id}"): STAFF,
    ("GET", "/api/v1/credentials/{credential_id}/qr.png"): STAFF,
    ("POST", "/api/v1/credentials/{credential_id}/revoke"): STAFF,
    ("POST", "/api/v1/credentials/{credential_id}/replace"): STAFF,
    ("GET", "/api/v1/credentials/{credential_id}/card.{fmt}"): STAFF,
    ("POST", "/api/v1/commuters/import"): STAFF,
    ("GET", "/api/v1/imports/{job_id}"): STAFF,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/metrics"): frozenset(),  # the metrics token (tests/support.METRICS), no account
    ("GET", "/docs"): EVERYONE,
    # The pages
    ("GET", "/"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    # The commuter's phone pass: no sign-in; the activation token or the pass's proof key is the
    # proof, and a request carrying anyone's sign-in (staff, a kiosk's key) is refused: a pass
    # answers its holder's phone only.
    ("GET", "/pass/"): EVERYONE,
    ("GET", "/pass/manifest.webmanifest"): EVERYONE,
    ("GET", "/pass/{name}"): EVERYONE,
    ("POST", "/api/v1/pass/activate"): frozenset({ANONYMOUS}),
    ("POST", "/api/v1/pass/status"): frozenset({ANONYMOUS}),
    ("POST", "/api/v1/pass/data"): frozenset({ANONYMOUS}),
    ("POST", "/login"): EVERYONE,
    ("POST", "/language"): EVERYONE,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/dashboard"): frozenset({OFFICER}),
    ("GET", "/dashboard/stats"): frozenset({OFFICER}),
    ("GET", "/flow"): frozenset({OFFICER}),
    ("GET", "/flow.csv"): frozenset({OFFICER}),
    ("GET", "/dashboard/events"): frozenset({OFFICER}),
    ("GET", "/queue"): frozenset({OFFICER}),
    ("POST", "/queue/crossings/{crossing_id}/override"): frozenset({OFFICER}),
    ("POST", "/queue/registrations/approve"): frozenset({OFFICER}),
    ("GET", "/queue/registrations/{commuter_id}"): frozenset({OFFICER}),
    ("POST", "/queue/registrations/{commuter_id}/approve"): frozenset({OFFICER}),
    ("POST", "/queue/alerts/{alert_id}/acknowledge"): frozenset({OFFICER}),
    ("GET", "/audit"): frozenset({OFFICER}),
    ("GET", "/audit.csv"): frozenset({OFFICER}),
    ("GET", "/admin"): frozenset({ADMIN}),
    ("POST", "/admin/kiosks/{kiosk_id}/{action}"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}/{action}"): frozenset({ADMIN}),
    ("POST", "/admin/organisations"): frozenset({ADMIN}),
    ("POST", "/admin/organisations/{organisation_id}"): frozenset({ADMIN}),
    ("POST", "/admin/users"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}"): frozenset({ADMIN}),
    ("POST", "/admin/checkpoints"): frozenset({ADMIN}),
    ("POST", "/admin/checkpoints/{checkpoint_id}"): frozenset({ADMIN}),
    ("POST", "/admin/kiosks"): frozenset({ADMIN}),
    ("POST", "/admin/kiosks/{kiosk_id}"): frozenset({ADMIN}),
    ("GET", "/commuters"): STAFF,
    ("GET", "/commuters/{commuter_id}"): STAFF,
    ("POST", "/commuters/{commuter_id}/photo"): STAFF,
    ("POST", "/commuters/{commuter_id}/photos"): STAFF,
    ("POST", "/commuters/{commuter_id}/credentials"): STAFF,
    ("POST", "/commuters/{commuter_id}/{action}"): frozenset({OFFICER}),
    ("GET", "/credentials/{credential_id}/card.{fmt}"): STAFF,
    ("POST", "/credentials/{credential_id}/{change}"): STAFF,
    ("GET", "/register"): STAFF,
    ("POST", "/register/check-photo"): STAFF,
    ("POST", "/register"): STAFF,
    ("GET", "/imports/new"): STAFF,
    ("POST", "/imports"): STAFF,
    ("GET", "/imports/{job_id}"): STAFF,
    ("GET", "/imports/{job_id}/progress"): STAFF,
    ("GET", "/imports/template.csv"): STAFF,
    ("GET", "/imports/{job_id}/failed.csv"): STAFF,
}
# Event streams never end: only their refusals are called here (test_browser.py reads them).
STREAMS = {("GET", "/api/v1/events"), ("GET", "/dashboard/events")}
PATH_VALUES = {"fmt": "png", "action": "approve", "change": "revoke", "name": "pass.js"}


def test_every_route_has_a_policy_entry(app: FastAPI) -> None:
    assert set(routes(app)) == set(POLICY)


def fill(path: str, values: dict[str, str]) -> str:
    for part in path.split("/"):
        if part.startswith("{") or ".{" in part:
            name = part[part.index("{") + 1 : part.index("}")]
            path = path.replace("{" + name + "}", values.get(name, str(uuid.uuid4())))
    return path


def names_org_a(path: str) -> bool:
    return any(name in path for name in ORG_A_OBJECTS)


def allowed(caller: str, method: str, path: str) -> bool:
    if caller == ENROLLER_B:
        return ENROLLER in POLICY[method, path] and not names_org_a(path)
    return caller in POLICY[method, path]


@pytest.fixture(scope="module")
def objects(
    module_client: TestClient, module_world: World, module_sessions: sessionmaker[Session]
) -> dict[str, str]:
    """Organisation A's objects, made once for the module (each caller's test undoes its changes)."""
    return objects_of_organisation_a(module_client, module_world, module_sessions)


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_reaches_exactly_what_the_policy_allows(
    app: FastAPI,
    module_client: TestClient,
    module_world: World,
    objects: dict[str, str],
    undone: None,
    caller: str,
) -> None:
    client, world = module_client, module_world
    values = {**PATH_VALUES, **objects}
    headers = {
        ANONYMOUS: {},
        ENROLLER: world.enroller_a.headers,
        ENROLLER_B: world.enroller_b.headers,
        OFFICER: world.officer.headers,
        ADMIN: world.admin.headers,
        KIOSK: world.kiosk,
    }[caller]
    username = {ENROLLER: "enroller_a", ENROLLER_B: "enroller_b", OFFICER: "officer", ADMIN: "admin"}.get(
        caller
    )
    with TestClient(app, base_url="https://testserver") as browser:
        browser.get("/login")
        csrf = sign_in(browser, username) if username else browser.cookies["hetao_login"]
        wrong = []
        # Signing out last, so every other page is called signed in.
        for method, path in sorted(POLICY, key=lambda route: route == ("POST", "/logout")):
            may = allowed(caller, method, path)
            if may and (method, path) in STREAMS:
                continue
            page = not path.startswith(("/api/", "/healthz", "/metrics", "/docs"))
            if page:
                # A browser: its cookie, and the CSRF token on every form.
                data = {"csrf_token": csrf} if method == "POST" else None
                response = browser.request(method, fill(path, values), data=data, follow_redirects=False)
                # A refused page sends the browser to sign in and come back (a successful sign-out
                # goes to the plain sign-in page, "/" to the sign-in page or the role's home page).
                to_login = response.status_code == 303 and response.headers["location"].startswith(
                    "/login?next="
                )
                refused = response.status_code in (401, 403) or to_login
                if caller == ENROLLER_B and names_org_a(path) and response.status_code == 404:
                    refused = True
            else:
                response = client.request(method, fill(path, values), headers=headers, follow_redirects=False)
                refused = response.status_code in (401, 403) or (
                    caller == ENROLLER_B and names_org_a(path) and response.status_code == 404
                )
                if refused:
                    assert set(response.json()) == {"error", "detail", "request_id"}
            if refused == may:
                wrong.append(f"{method} {path}: {response.status_code} ({'allowed' if may else 'refused'})")
        assert wrong == []
