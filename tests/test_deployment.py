"""The deployment an operator runs: nginx terminating TLS in front of ``hetao serve``, with the very
``deploy/nginx/hetao.conf`` the README points to (its ports and paths substituted for the test)."""

import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clearance.cli.launch import free_port
from clearance.cli.samples import SAMPLE_COMMUTERS
from tests.live import LiveServer, running_servers
from tests.support import PASSWORD, frame_jpeg, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SNIPPET = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "hetao.conf"
A = SAMPLE_COMMUTERS[0]
pytestmark = pytest.mark.slow


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


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
    if not Path(NGINX).exists():
        if os.environ.get("HETAO_REQUIRE_NGINX"):
            pytest.fail("nginx is required here: apt-get install -y nginx-light")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    with running_servers(tmp_path, "tls_proxy", trusted_proxies="127.0.0.1") as (server,):
        cert, key = self_signed(tmp_path)
        https_port, http_port = free_port("127.0.0.1"), free_port("127.0.0.1")
        snippet = SNIPPET.read_text()
        for old, new in (
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{server.port};"),
            ("listen 80;", f"listen 127.0.0.1:{http_port};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
            ("https://$host$request_uri", f"https://$host:{https_port}$request_uri"),
            ("/etc/hetao/tls/cert.pem", str(cert)),
            ("/etc/hetao/tls/key.pem", str(key)),
            ("hetao.example.org", "localhost"),
        ):
            assert old in snippet, old  # the README's file still says what the test changes
            snippet = snippet.replace(old, new)
        prefix = tmp_path / "nginx"
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / folder).mkdir(parents=True)
        (prefix / "hetao.conf").write_text(snippet)
        temps = " ".join(f"{kind}_temp_path {prefix / kind};" for kind in ("fastcgi", "uwsgi", "scgi"))
        (prefix / "nginx.conf").write_text(
            # As root (CI), nginx's workers would drop to "nobody", who cannot enter pytest's folders.
            ("user root; " if os.geteuid() == 0 else "")
            + f"worker_processes 1; pid {prefix}/nginx.pid; error_log {prefix}/error.log;\n"
            "events {}\n"
            f"http {{ access_log {prefix}/access.log; client_body_temp_path {prefix}/body; "
            f"proxy_temp_path {prefix}/proxy; {temps} include {prefix}/hetao.conf; }}\n"
        )
        with subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.PIPE,
        ) as nginx:
            https = f"https://localhost:{https_port}"

            def answers() -> bool:
                try:
                    return httpx.get(f"{https}/healthz", verify=trusting(cert), timeout=2).status_code == 200
                except httpx.TransportError:
                    return False

            try:
                assert wait_until(answers), nginx.stderr.read().decode() if nginx.poll() is not None else ""
                yield server, https, f"http://localhost:{http_port}", cert
            finally:
                nginx.terminate()
                nginx.wait(10)


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
