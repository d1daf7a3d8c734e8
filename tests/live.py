"""A real server in a subprocess, on its own database, for tests that need real processes:
kiosks that talk HTTP, servers that die and come back.

The database is a fresh SQLite file, or with HETAO_TEST_DATABASE_URL a PostgreSQL database of
its own (the suite's transactional tests keep the main test database).
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, text

from clearance.cli.launch import HETAO, server_env, start_server
from clearance.cli.samples import SampleCommuter
from clearance.core.enums import Bridge, Direction, Park, Role
from clearance.db import migrations as schema
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.models import Organisation, User
from clearance.stations import service as stations
from tests.support import (
    API,
    PASSWORD,
    SETUP,
    KioskSigner,
    free_port,
    password_hash,
    registration,
    worker_id,
)


def serve(
    data_dir: Path, database_url: str | None = None, **options: Any
) -> tuple[subprocess.Popen[bytes], str]:
    """``hetao serve`` on a port of this test worker's own, once it answers (``start_server``)."""
    return start_server(data_dir, database_url, port=free_port(), timeout=SERVER_START_SECONDS, **options)


def fresh_postgres_database(url: str) -> str:
    """Create (or re-create) the database named in ``url`` on its server; returns ``url``."""
    parsed = make_url(url)
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def fresh_database(tmp: Path, name: str) -> str:
    """A new, empty database for one test: a SQLite file in ``tmp``, or a PostgreSQL database of
    its own beside the one HETAO_TEST_DATABASE_URL names (unique to this test run and worker, so
    tests running side by side never share one)."""
    base = os.environ.get("HETAO_TEST_DATABASE_URL")
    if not base:
        tmp.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{tmp / (name + '.sqlite3')}"
    url = make_url(base)
    # PostgreSQL names are at most 63 bytes: a readable prefix and a unique tail.
    unique = f"{url.database}_{worker_id()}_{name[:24]}_{uuid.uuid4().hex[:8]}".lower()
    return fresh_postgres_database(url.set(database=unique).render_as_string(hide_password=False))


SERVER_START_SECONDS = 300.0
"""How long a server may take to answer /healthz: a bound for a broken start, not an
expectation of speed (a loaded 2-core machine starting several at once is slow)."""


@dataclass
class LiveServer:
    data_dir: Path
    database_url: str
    port: int = field(default_factory=lambda: free_port("127.0.0.1"))
    process: subprocess.Popen[bytes] | None = None
    kiosks: dict[str, str] = field(default_factory=dict)
    org_id: uuid.UUID | None = None
    signers: dict[str, KioskSigner] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    """More HETAO_ settings for the server (names without the prefix)."""
    log_level: str = "warning"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return server_env(self.data_dir, self.database_url, **self.settings)

    def setup(self) -> None:
        """Migrate, and add what an administrator would: staff, two bridges, three kiosks."""
        schema.upgrade(url=self.database_url)
        engine = make_engine(self.database_url)
        with session_scope(make_sessionmaker(engine)) as session:
            organisation = Organisation(name="Live Org", park=Park.HK)
            session.add(organisation)
            session.flush()
            self.org_id = organisation.id
            for name, role, org in (
                ("enroller", Role.ENROLLER, organisation.id),
                ("officer", Role.OFFICER, None),
                ("admin", Role.ADMIN, None),
            ):
                session.add(
                    User(username=name, password_hash=password_hash(), role=role, organisation_id=org)
                )
            east = stations.create_checkpoint(session, name="East", bridge=Bridge.EAST, actor=SETUP)
            west = stations.create_checkpoint(
                session, name="West", bridge=Bridge.WEST, face_only=True, actor=SETUP
            )
            for name, checkpoint, direction in (
                ("east_to_hk", east, Direction.TO_HK),
                ("west_to_hk", west, Direction.TO_HK),
                ("west_to_sz", west, Direction.TO_SZ),
            ):
                _kiosk, key = stations.create_kiosk(
                    session, checkpoint=checkpoint, name=name, direction=direction, actor=SETUP
                )
                self.kiosks[name] = key
        engine.dispose()

    def start(self) -> None:
        self.process, _url = start_server(
            self.data_dir,
            self.database_url,
            port=self.port,
            env=self.env,
            timeout=SERVER_START_SECONDS,
            extra_args=("--log-level", self.log_level),
        )

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def signer(self, kiosk: str) -> KioskSigner:
        """Signed deliveries as kiosk ``kiosk`` does them, for tests that deliver by hand."""
        if kiosk not in self.signers:
            self.signers[kiosk] = KioskSigner({"Authorization": f"Bearer {self.kiosks[kiosk]}"})
        return self.signers[kiosk]

    def headers(self, username: str) -> dict[str, str]:
        token = httpx.post(f"{self.url}{API}/auth/token", data={"username": username, "password": PASSWORD})
        token.raise_for_status()
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def enrol_active(self, sample: SampleCommuter, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        enroller, officer = self.headers("enroller"), self.headers("officer")
        assert self.org_id is not None
        created = httpx.post(
            f"{self.url}{API}/commuters",
            headers=enroller,
            data=registration(self.org_id, full_name=sample.label, **overrides),
            files={"photo": ("p.jpg", sample.enrolment_photo.read_bytes(), "image/jpeg")},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        commuter = created.json()
        assert (
            httpx.post(f"{self.url}{API}/commuters/{commuter['id']}/approve", headers=officer).status_code
            == 200
        )
        return commuter, self.issue(commuter["id"])

    def issue(self, commuter_id: str, kind: str = "static", *, phone_pass: bool = False) -> dict[str, Any]:
        issued = httpx.post(
            f"{self.url}{API}/commuters/{commuter_id}/credentials",
            headers=self.headers("enroller"),
            json={"kind": kind, "phone_pass": phone_pass},
        )
        assert issued.status_code == 201, issued.text
        body: dict[str, Any] = issued.json()
        return body

    def crossings(self, **params: Any) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.url}{API}/crossings", headers=self.headers("officer"), params={"limit": 1000, **params}
        )
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result


@contextmanager
def running_servers(
    tmp: Path, name: str, *, processes: int = 1, log_level: str = "warning", **settings: str
) -> Iterator[list[LiveServer]]:
    """``processes`` servers on one fresh database (named after ``name``) and one data folder,
    set up as an administrator would, started (with more HETAO_ ``settings``), and killed at the
    end."""
    database_url = fresh_database(tmp, name)
    first = LiveServer(
        data_dir=tmp / "server", database_url=database_url, settings=settings, log_level=log_level
    )
    first.setup()
    servers = [first] + [
        LiveServer(
            data_dir=first.data_dir,
            database_url=database_url,
            kiosks=first.kiosks,
            org_id=first.org_id,
            signers=first.signers,
            settings=settings,
            log_level=log_level,
        )
        for _ in range(processes - 1)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.kill()


def run_kiosk(
    server: LiveServer, kiosk: str, source: Path, *, timeout: float = 240
) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """Run ``hetao kiosk --once --headless`` to the end of ``source``; its decisions and process."""
    import json

    result = subprocess.run(
        [
            HETAO,
            "kiosk",
            "--server",
            server.url,
            "--key",
            server.kiosks[kiosk],
            "--source",
            str(source),
            "--once",
            "--headless",
        ],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return [line for line in lines if "decision" in line], result


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_FILE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "hetao.conf"


def need_nginx() -> None:
    """Skip (or, where CI requires it, fail) a test that runs nginx on a machine without it."""
    import pytest

    if not Path(NGINX).exists():
        if os.environ.get("HETAO_REQUIRE_NGINX"):
            pytest.fail("nginx is required here: apt-get install -y nginx-light")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@contextmanager
def nginx_in_front(folder: Path, *, upstream_port: int, cert: Path, key: Path) -> Iterator[tuple[str, str]]:
    """nginx running ``deploy/nginx/hetao.conf`` as written, its ports, paths and host name
    (localhost) put in, in front of a server on ``upstream_port``: its HTTPS and HTTP addresses
    once it answers /healthz through TLS."""
    from tests.support import wait_until

    https_port, http_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    snippet = NGINX_FILE.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("https://$host$request_uri", f"https://$host:{https_port}$request_uri"),
        ("/etc/hetao/tls/cert.pem", str(cert)),
        ("/etc/hetao/tls/key.pem", str(key)),
        ("hetao.example.org", "localhost"),
    ):
        assert old in snippet, old  # the README's file still says what the test changes
        snippet = snippet.replace(old, new)
    prefix = folder / "nginx"
    for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / kind).mkdir(parents=True)
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
            yield https, f"http://localhost:{http_port}"
        finally:
            nginx.terminate()
            nginx.wait(10)
