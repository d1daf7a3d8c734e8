"""Sign-in, tokens, roles and kiosk keys over HTTP."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.core import security
from clearance.core.enums import Role
from clearance.core.zone import utcnow
from clearance.db.models import Kiosk
from tests.pages import sign_in
from tests.support import API, PASSWORD, World, table_counts


def test_sign_in_gives_a_token_that_works(client: TestClient, world: World) -> None:
    response = client.post(f"{API}/auth/token", data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    listed = client.get(f"{API}/crossings", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert listed.status_code == 200


def test_wrong_password_is_refused_and_writes_only_its_audit_record(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    before = table_counts(sessions)
    for username in ("officer", "nobody"):
        response = client.post(f"{API}/auth/token", data={"username": username, "password": "wrong password"})
        assert response.status_code == 401
        # The same answer whether or not the account exists.
        body = response.json()
        assert (body["error"], body["detail"]) == ("InvalidCredentials", "wrong username or password")
    assert table_counts(sessions) == {
        **before,
        "audit_events": before["audit_events"] + 2,
        "sign_in_failures": before["sign_in_failures"] + 2,
    }


def test_missing_and_forged_tokens_are_refused(client: TestClient, world: World) -> None:
    missing = client.get(f"{API}/commuters")
    assert missing.status_code == 401
    assert missing.json()["error"] == "NotAuthenticated"
    forged = client.get(f"{API}/commuters", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"})
    assert forged.status_code == 401
    # A well-formed token for a real user, signed by someone else.
    foreign = security.create_access_token(
        user_id=world.officer.user_id,
        role=Role.OFFICER,
        version=0,
        secret="another server's secret, long enough",
        now=utcnow(),
        lifetime=timedelta(hours=1),
    )
    assert client.get(f"{API}/commuters", headers={"Authorization": f"Bearer {foreign}"}).status_code == 401


def test_roles_are_enforced(client: TestClient, world: World) -> None:
    body = {"name": "New Tenant", "park": "hk"}
    for actor in (world.enroller_a, world.officer):
        response = client.post(f"{API}/organisations", headers=actor.headers, json=body)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"
    assert client.post(f"{API}/organisations", headers=world.admin.headers, json=body).status_code == 201
    assert client.get(f"{API}/crossings", headers=world.enroller_a.headers).status_code == 403
    assert client.get(f"{API}/commuters", headers=world.admin.headers).status_code == 403


def test_kiosk_key_reaches_only_kiosk_routes(client: TestClient, world: World) -> None:
    for path in ("/commuters", "/crossings"):
        response = client.get(f"{API}{path}", headers=world.kiosk)
        assert response.status_code == 403, path
    staff = client.post(
        f"{API}/kiosk/verify", headers=world.officer.headers, files={"frame": ("f.jpg", b"x")}
    )
    assert staff.status_code == 403
    unknown = client.post(
        f"{API}/kiosk/verify",
        headers={"Authorization": "Bearer hk_not-a-real-key"},
        files={"frame": ("f.jpg", b"x")},
    )
    assert unknown.status_code == 401


def test_admin_sets_up_a_checkpoint_and_kiosk_whose_key_is_shown_once(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    checkpoint = client.post(
        f"{API}/checkpoints", headers=world.admin.headers, json={"name": "West bridge", "bridge": "west"}
    )
    assert checkpoint.status_code == 201
    created = client.post(
        f"{API}/checkpoints/{checkpoint.json()['id']}/kiosks",
        headers=world.admin.headers,
        json={"name": "Lane 2", "direction": "to_sz"},
    )
    assert created.status_code == 201
    api_key = created.json()["api_key"]
    assert api_key.startswith("hk_")
    with sessions() as session:
        kiosk = session.scalar(select(Kiosk).where(Kiosk.name == "Lane 2"))
        assert kiosk is not None
        assert kiosk.api_key_hash == security.hash_kiosk_key(api_key)
        assert api_key not in kiosk.api_key_hash
    duplicate = client.post(
        f"{API}/checkpoints/{checkpoint.json()['id']}/kiosks",
        headers=world.admin.headers,
        json={"name": "Lane 2", "direction": "to_sz"},
    )
    assert duplicate.status_code == 409


STRONG = "quiet harbour lantern 42"


def test_admin_creates_users_with_sound_rules(client: TestClient, world: World) -> None:
    def create(username: str, password: str, role: str = "officer", **more: str) -> Any:
        body = {"username": username, "password": password, "role": role, **more}
        return client.post(f"{API}/users", headers=world.admin.headers, json=body)

    ok = create("enroller-new", STRONG, "enroller", organisation_id=str(world.org_a))
    assert ok.status_code == 201
    assert "password" not in ok.text
    assert create("x-enroller", STRONG, "enroller").status_code == 422
    assert create("officer", STRONG).status_code == 409
    # Guessable passwords are refused, with what is wrong with them.
    for weak in ("password", "12345678", "password123", "qwertyuiop", "officer-new-1", "hetaohetao"):
        refused = create("officer-new-1", weak)
        assert refused.status_code == 422, weak
        assert "password" in refused.json()["detail"]
    signed_in = client.post(f"{API}/auth/token", data={"username": "enroller-new", "password": STRONG})
    assert signed_in.status_code == 200


def test_repeated_wrong_passwords_lock_the_account_for_a_while_and_are_recorded(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    def attempt(username: str, password: str) -> Any:
        return client.post(f"{API}/auth/token", data={"username": username, "password": password})

    for _attempt in range(5):
        assert attempt("officer", "guess").status_code == 401
    locked = attempt("officer", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == "TooManySignIns"
    assert "try again in 15 minutes" in locked.json()["detail"]
    # The browser's sign-in form says the same; other accounts are not affected.
    page_client.get("/login")
    form = {"username": "officer", "password": PASSWORD, "csrf_token": page_client.cookies["hetao_login"]}
    page = page_client.post("/login", data=form)
    assert page.status_code == 429
    assert "Too many failed sign-ins" in page.text
    assert attempt("officer_2", PASSWORD).status_code == 200
    trail = client.get(
        f"{API}/audit", params={"object_id": "officer"}, headers=world.officer_2.headers
    ).json()
    actions = [e["action"] for e in trail]
    assert actions.count("sign_in_failed") == 5
    assert actions.count("sign_in_refused") == 2
    assert all(e["ip"] == "testclient" for e in trail)


def test_a_client_that_signed_in_before_is_not_locked_out_by_strangers(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    """OWASP's device cookie: strangers' failures, from the same address or for the same account,
    lock out strangers; the browser the officer always uses keeps working."""
    page_client.get("/login")

    def browser_sign_in(password: str) -> Any:
        form = {"username": "officer", "password": password, "csrf_token": page_client.cookies["hetao_login"]}
        return page_client.post("/login", data=form, follow_redirects=False)

    csrf = sign_in(page_client, "officer")
    assert "hetao_device" in page_client.cookies
    assert page_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert "hetao_session" not in page_client.cookies and "hetao_device" in page_client.cookies
    # A stranger (no device token) guesses: the account is locked for strangers...
    for _attempt in range(5):
        assert (
            client.post(f"{API}/auth/token", data={"username": "officer", "password": "guess"}).status_code
            == 401
        )
    stranger = client.post(f"{API}/auth/token", data={"username": "officer", "password": PASSWORD})
    assert stranger.status_code == 429
    # ...and for the whole address, after four times as many failures over other accounts.
    for n in range(20):
        client.post(f"{API}/auth/token", data={"username": f"sprayed-{n}", "password": "guess"})
    assert (
        client.post(f"{API}/auth/token", data={"username": "officer_2", "password": PASSWORD}).status_code
        == 429
    )
    # The officer's own browser, at the same address, still signs in.
    page_client.get("/login")
    assert browser_sign_in(PASSWORD).status_code == 303
    # So does an API client that kept its device token, and its own failures count against it alone.
    token = page_client.cookies["hetao_device"]
    api = client.post(
        f"{API}/auth/token",
        data={"username": "officer", "password": PASSWORD},
        headers={"Device-Token": token},
    )
    assert api.status_code == 200
    assert api.json()["device_token"] == token
    # A device token is bound to its username: it does not unlock another account.
    other = client.post(
        f"{API}/auth/token",
        data={"username": "officer_2", "password": PASSWORD},
        headers={"Device-Token": token},
    )
    assert other.status_code == 429


def test_a_disabled_user_is_signed_out_everywhere_at_once_and_a_reset_password_ends_sessions(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    sign_in(page_client, "officer")
    assert page_client.get("/dashboard").status_code == 200
    officer = client.get(f"{API}/users", headers=world.admin.headers).json()
    (officer_id,) = [u["id"] for u in officer if u["username"] == "officer"]
    off = client.post(
        f"{API}/users/{officer_id}/disable", headers=world.admin.headers, json={"reason": "left the unit"}
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    # The token they already hold and the browser they are signed in with stop at once.
    assert client.get(f"{API}/crossings", headers=world.officer.headers).status_code == 401
    assert page_client.get("/dashboard", follow_redirects=False).status_code == 303
    assert (
        client.post(f"{API}/auth/token", data={"username": "officer", "password": PASSWORD}).status_code
        == 401
    )
    # An administrator cannot lock themselves out.
    admins = [u["id"] for u in officer if u["username"] == "admin"]
    refused = client.post(f"{API}/users/{admins[0]}/disable", headers=world.admin.headers)
    assert refused.status_code == 409
    assert client.post(f"{API}/users/{officer_id}/enable", headers=world.admin.headers).status_code == 200
    # Enabled again, the old token stays dead; signing in again gives one that works.
    assert client.get(f"{API}/crossings", headers=world.officer.headers).status_code == 401
    again = client.post(f"{API}/auth/token", data={"username": "officer", "password": PASSWORD})
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert client.get(f"{API}/crossings", headers=fresh).status_code == 200
    # A new password: the browser session ends, the old password no longer signs in.
    sign_in(page_client, "officer")
    weak = client.post(
        f"{API}/users/{officer_id}/password", headers=world.admin.headers, json={"password": "password1"}
    )
    assert weak.status_code == 422
    new_password = "a brand new passphrase for the officer 73"
    reset = client.post(
        f"{API}/users/{officer_id}/password", headers=world.admin.headers, json={"password": new_password}
    )
    assert reset.status_code == 200, reset.text
    assert page_client.get("/dashboard", follow_redirects=False).status_code == 303
    assert (
        client.post(f"{API}/auth/token", data={"username": "officer", "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post(f"{API}/auth/token", data={"username": "officer", "password": new_password}).status_code
        == 200
    )
    trail = client.get(
        f"{API}/audit", params={"object_id": officer_id}, headers=world.officer_2.headers
    ).json()
    assert [e["action"] for e in trail][:3] == ["reset_password", "enable_user", "disable_user"]
    assert new_password not in str(trail)
