"""Signing in to the web pages as a browser does, for tests that drive them over HTTP."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support import PASSWORD

CSRF = re.compile(r'data-csrf="([^"]+)"')


def sign_in(client: TestClient, username: str) -> str:
    """Sign ``client`` in through the login form; the session's CSRF token, for later forms."""
    form = client.get("/login")
    assert form.status_code == 200
    signed_in = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": client.cookies["hetao_login"]},
        follow_redirects=True,
    )
    assert signed_in.status_code == 200, signed_in.text
    found = CSRF.search(signed_in.text)
    assert found, "a signed-in page carries the CSRF token"
    return found.group(1)
