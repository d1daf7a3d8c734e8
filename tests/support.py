"""Building blocks the tests share: a populated world, and the HTTP steps of the workflow."""

from __future__ import annotations

import base64
import functools
import io
import itertools
import os
import socket
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.alerts import service as alerts
from clearance.cli.samples import SAMPLE_COMMUTERS, SampleCommuter
from clearance.core import chain, security
from clearance.core.enums import AlertKind, Bridge, Decision, Direction, Park, Role
from clearance.core.settings import Settings
from clearance.core.wire import CrossingRecord
from clearance.core.zone import utcnow
from clearance.db.actors import SystemActor
from clearance.db.base import Base
from clearance.db.engine import session_scope
from clearance.db.models import Organisation, User
from clearance.stations import service as stations
from clearance.vision import images
from kiosk.frames import compose_frame, load_photo_file

DATA = Path(__file__).resolve().parent / "data"
SETUP = SystemActor("test setup")
"""Who the tests' own setup is, in the audit trail."""
API = "/api/v1"
PASSWORD = "correct horse battery"


METRICS_TOKEN = "a-token-for-prometheus-in-the-tests"
METRICS = {"Authorization": f"Bearer {METRICS_TOKEN}"}
"""What Prometheus sends to read /metrics from the test app."""


@functools.cache
def password_hash() -> str:
    # One argon2 hash for every fixture user keeps the suite fast; login tests use it for real.
    return security.hash_password(PASSWORD)


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    username: str
    headers: dict[str, str]


@dataclass
class KioskSigner:
    """What a kiosk does to deliver records, for tests that deliver by hand: its own signing
    key (registered with the server on first use), its chain of records, a signed batch."""

    headers: dict[str, str]
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    seq: int = 0
    head: str = chain.GENESIS
    registered: bool = False

    def public_key(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    def batch(self, items: list[dict[str, Any]], *, sent_at: datetime | None = None) -> dict[str, Any]:
        """A signed batch of ``items``, each linked into this kiosk's chain."""
        linked: list[Any] = []
        for item in items:
            if not isinstance(item, dict):
                linked.append(item)  # not a record at all: sent as it is, for the server to refuse
                continue
            record = chain.link(item, head_seq=self.seq, head_hash=self.head)
            self.seq, self.head = record["seq"], chain.record_hash(record)
            linked.append(record)
        records = [r if isinstance(r, dict) else {} for r in linked]
        body: dict[str, Any] = {"crossings": linked, "signature": chain.sign_batch(self.key, records)}
        if sent_at is not None:
            body["sent_at"] = sent_at.isoformat()
        return body

    def deliver(self, http: Any, base: str, items: list[dict[str, Any]], **kwargs: Any) -> Any:
        """POST ``items`` as one signed batch with ``http`` (a TestClient or httpx), registering the
        key first; the response."""
        return self.send(http, base, self.batch(items, **kwargs))

    def send(self, http: Any, base: str, body: dict[str, Any]) -> Any:
        """POST a batch as it is (one made before, delivered again after a lost answer)."""
        if not self.registered:
            identity = {"public_key": self.public_key()}
            registered = http.post(f"{base}{API}/kiosk/identity", headers=self.headers, json=identity)
            assert registered.status_code == 204, registered.text
            self.registered = True
        return http.post(f"{base}{API}/kiosk/crossings", headers=self.headers, json=body)


@dataclass(frozen=True)
class World:
    org_a: uuid.UUID
    org_b: uuid.UUID
    admin: Actor
    enroller_a: Actor
    enroller_b: Actor
    officer: Actor
    officer_2: Actor
    checkpoint_id: uuid.UUID
    kiosk_id: uuid.UUID
    kiosk: dict[str, str]
    signer: KioskSigner


def make_world(sessions: sessionmaker[Session], settings: Settings) -> World:
    with session_scope(sessions) as session:
        org_a = Organisation(name="Organisation A", park=Park.HK)
        org_b = Organisation(name="Organisation B", park=Park.SZ)
        session.add_all([org_a, org_b])
        session.flush()
        specs = {
            "admin": (Role.ADMIN, None),
            "enroller_a": (Role.ENROLLER, org_a.id),
            "enroller_b": (Role.ENROLLER, org_b.id),
            "officer": (Role.OFFICER, None),
            "officer_2": (Role.OFFICER, None),
        }
        actors = {}
        for name, (role, organisation_id) in specs.items():
            user = User(
                username=name, password_hash=password_hash(), role=role, organisation_id=organisation_id
            )
            session.add(user)
            session.flush()
            token = security.create_access_token(
                user_id=user.id,
                role=role,
                version=user.sessions_version,
                secret=settings.token_secret,
                now=utcnow(),
                lifetime=timedelta(hours=1),
            )
            actors[name] = Actor(user.id, name, {"Authorization": f"Bearer {token}"})
        checkpoint = stations.create_checkpoint(session, name="East bridge", bridge=Bridge.EAST, actor=SETUP)
        kiosk, key = stations.create_kiosk(
            session, checkpoint=checkpoint, name="Lane 1", direction=Direction.TO_HK, actor=SETUP
        )
        return World(
            org_a=org_a.id,
            org_b=org_b.id,
            checkpoint_id=checkpoint.id,
            kiosk_id=kiosk.id,
            kiosk={"Authorization": f"Bearer {key}"},
            signer=KioskSigner({"Authorization": f"Bearer {key}"}),
            **actors,
        )


def registration(organisation: uuid.UUID, **overrides: Any) -> dict[str, str]:
    fields = {
        "full_name": "Test Commuter",
        "document_type": "passport",
        "document_number": f"P{uuid.uuid4().int % 10**8:08d}",
        "organisation_id": str(organisation),
        "home_park": "sz",
        "valid_until": str(date.today() + timedelta(days=200)),
    }
    fields.update(overrides)
    return fields


def post_commuter(
    client: TestClient, actor: Actor, organisation: uuid.UUID, photo: bytes | Path, **overrides: Any
) -> Any:
    content = photo.read_bytes() if isinstance(photo, Path) else photo
    return client.post(
        f"{API}/commuters",
        headers=actor.headers,
        data=registration(organisation, **overrides),
        files={"photo": ("photo.jpg", content, "image/jpeg")},
    )


def enrol_active(
    client: TestClient, world: World, sample: SampleCommuter
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Enrol ``sample`` in organisation A, approve them and issue a static credential."""
    response = post_commuter(
        client, world.enroller_a, world.org_a, sample.enrolment_photo, full_name=sample.label
    )
    assert response.status_code == 201, response.text
    commuter = response.json()
    approved = client.post(f"{API}/commuters/{commuter['id']}/approve", headers=world.officer.headers)
    assert approved.status_code == 200, approved.text
    issued = client.post(
        f"{API}/commuters/{commuter['id']}/credentials",
        headers=world.enroller_a.headers,
        json={"kind": "static"},
    )
    assert issued.status_code == 201, issued.text
    return approved.json(), issued.json()


def frame_jpeg(face_photo: Path | None, qr_text: str | None) -> bytes:
    face = load_photo_file(face_photo) if face_photo is not None else None
    return images.encode_jpeg(compose_frame(face=face, qr_text=qr_text), quality=90)


def verify_frame(client: TestClient, world: World, frame: bytes) -> Any:
    return client.post(
        f"{API}/kiosk/verify", headers=world.kiosk, files={"frame": ("frame.jpg", frame, "image/jpeg")}
    )


def table_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in every table: equal before and after a refused request means nothing was written."""
    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
        }


def rejected_crossing(*, duration_ms: float = 1.0) -> CrossingRecord:
    """A kiosk's decision as its outbox holds it: someone turned away for showing no QR."""
    return CrossingRecord(
        id=uuid.uuid4(),
        decided_at=utcnow(),
        decision=Decision.REJECTED,
        reasons=["no_qr"],
        duration_ms=duration_ms,
    )


def deliver(client: TestClient, world: World, **crossing: object) -> str:
    """A crossing a kiosk decided offline, delivered as a kiosk does; its id."""
    crossing_id = str(uuid.uuid4())
    body = {"id": crossing_id, "decided_at": utcnow().isoformat(), **crossing}
    answer = world.signer.deliver(client, "", [body])
    assert answer.json()["results"][0]["status"] == "created", answer.text
    return crossing_id


def photo_zip(rows: list[tuple[str, SampleCommuter]], *, valid_until: str) -> bytes:
    """A bulk import in one zip: the CSV (one passport holder per row) and each row's photo."""
    lines = ["full_name,document_type,document_number,home_park,valid_until,photo"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n, (name, sample) in enumerate(rows):
            photo = f"photo{n}.jpg"
            lines.append(f"{name},passport,P{uuid.uuid4().int % 10**8:08d},hk,{valid_until},{photo}")
            archive.writestr(photo, sample.enrolment_photo.read_bytes())
        archive.writestr("commuters.csv", "\n".join(lines) + "\n")
    return out.getvalue()


def objects_of_organisation_a(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> dict[str, str]:
    """One real object of each kind, belonging to organisation A where it belongs anywhere: an
    active commuter and their credential, an import job, a referred crossing, an alert, the
    checkpoint; their ids by path parameter name."""
    commuter, credential = enrol_active(client, world, SAMPLE_COMMUTERS[0])
    job = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={
            "photos": (
                "import.zip",
                photo_zip(
                    [("Zip Person", SAMPLE_COMMUTERS[1])], valid_until=str(date.today() + timedelta(days=100))
                ),
                "application/zip",
            )
        },
    )
    assert job.status_code == 202, job.text
    crossing_id = deliver(
        client,
        world,
        decision="refer",
        reasons=["face_uncertain"],
        commuter_id=commuter["id"],
        credential_id=credential["id"],
        distance=0.6,
    )
    with session_scope(sessions) as session:
        alert = alerts.raise_alert(
            session,
            kind=AlertKind.REPEATED_FACE_MISMATCH,
            detail="three mismatches",
            commuter_id=uuid.UUID(commuter["id"]),
            crossing_id=uuid.UUID(crossing_id),
        )
        assert alert is not None
        alert_id = str(alert.id)
    return {
        "commuter_id": commuter["id"],
        "credential_id": credential["id"],
        "job_id": job.json()["id"],
        "crossing_id": crossing_id,
        "alert_id": alert_id,
        "checkpoint_id": str(world.checkpoint_id),
        "kiosk_id": str(world.kiosk_id),
    }


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route and page ``app`` serves."""

    def walk(children: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in children:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path
            elif hasattr(route, "include_context"):  # an included router
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)

    yield from walk(app.routes, "")


def worker_id() -> str:
    """This test process's name among those running side by side (pytest-xdist's ``gw0``,
    ``gw1``…), or ``main`` when the suite runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_PORTS_PER_WORKER = 1500
_next_port = itertools.count()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on, from a range of this worker's own below the ephemeral range
    (from 32768), so tests running side by side never pick the same one, nor a port the system
    hands an outgoing connection."""
    worker = worker_id()
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    first = 10000 + (index % 14) * _PORTS_PER_WORKER
    for _ in range(_PORTS_PER_WORKER):
        port = first + next(_next_port) % _PORTS_PER_WORKER
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {first} and {first + _PORTS_PER_WORKER}")


def wait_until(condition: Callable[[], bool], *, within: float = 60.0) -> bool:
    """Ask ``condition`` again and again until it holds (the signal), for at most ``within``
    seconds (a bound for a broken system, not an expectation of speed); whether it held."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
