"""Building blocks the tests share: a populated world, and the HTTP steps of the workflow."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance import security, stations
from clearance.db import Base, session_scope, utcnow
from clearance.models import Bridge, Direction, Organisation, Park, Role, User
from clearance.samples import SampleCommuter
from clearance.settings import Settings
from kiosk.frames import compose_frame, load_photo_file, to_jpeg

DATA = Path(__file__).resolve().parent / "data"
API = "/api/v1"
PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    # One argon2 hash for every fixture user keeps the suite fast; login tests use it for real.
    return security.hash_password(PASSWORD)


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    username: str
    headers: dict[str, str]


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
                secret=settings.token_secret,
                now=utcnow(),
                lifetime=timedelta(hours=1),
            )
            actors[name] = Actor(user.id, name, {"Authorization": f"Bearer {token}"})
        checkpoint = stations.create_checkpoint(session, name="East bridge", bridge=Bridge.EAST)
        kiosk, key = stations.create_kiosk(
            session, checkpoint=checkpoint, name="Lane 1", direction=Direction.TO_HK
        )
        return World(
            org_a=org_a.id,
            org_b=org_b.id,
            checkpoint_id=checkpoint.id,
            kiosk_id=kiosk.id,
            kiosk={"Authorization": f"Bearer {key}"},
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
    return to_jpeg(compose_frame(face=face, qr_text=qr_text))


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
