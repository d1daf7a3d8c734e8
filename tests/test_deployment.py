"""The deployment an operator runs: nginx terminating TLS in front of ``hetao serve``, with the very
``deploy/nginx/hetao.conf`` the README points to (its ports and paths substituted for the test)."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clearance.cli.samples import SAMPLE_COMMUTERS
from tests.live import LiveServer, need_nginx, nginx_in_front, running_servers, trusting
from tests.support import PASSWORD, frame_jpeg

A = SAMPLE_COMMUTERS[0]
pytestmark = pytest.mark.slow


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A trial certificate for localhost, as the README makes one."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[LiveServer, str, str, Path]]:
    """A server behind nginx: the server, the HTTPS and HTTP addresses of the proxy, the certificate."""
    need_nginx()
    with running_servers(tmp_path, "tls_proxy", trusted_proxies="127.0.0.1") as (server,):
        cert, key = self_signed(tmp_path)
        with nginx_in_front(tmp_path, upstream_port=server.port, cert=cert, key=key) as (https, http):
            yield server, https, http, cert


def test_a_commuter_clears_and_an_officer_signs_in_through_the_tls_proxy(
    proxied: tuple[LiveServer, str, str, Path],
) -> None:
    server, https, http, cert = proxied
    _commuter, credential = server.enrol_active(A)
    # Plain HTTP only redirects to HTTPS.
    redirect = httpx.get(f"{http}/login", follow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["location"].startswith(https)
    with httpx.Client(base_url=https, verify=trusting(cert), timeout=60) as client:
        kiosk = {"Authorization": f"Bearer {server.kiosks['east_to_hk']}"}
        frame = frame_jpeg(A.live_photo, credential["payload"])
        verified = client.post(
            "/api/v1/kiosk/verify", headers=kiosk, files={"frame": ("f.jpg", frame, "image/jpeg")}
        ).json()
        assert verified["decision"] == "cleared", verified
        # The browser's HTTPS-only cookies work through the proxy: an officer signs in.
        client.get("/login")
        signed_in = client.post(
            "/login",
            data={"username": "officer", "password": PASSWORD, "csrf_token": client.cookies["hetao_login"]},
        )
        assert signed_in.status_code == 303, signed_in.text
        assert client.get("/dashboard").status_code == 200
        assert client.get("/api/v1/crossings", headers=server.headers("officer")).status_code == 200
