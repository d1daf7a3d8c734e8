"""``hetao demo``: the whole system on a fresh SQLite file, through one scripted morning.

Everything goes over real HTTP to a real server: staff enrol the sample commuters from their
photos, an officer approves them, credentials are issued, and a simulated kiosk sends camera
frames (a QR card beside a face) to ``POST /api/v1/kiosk/verify``.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select

from clearance.accounts import service as accounts
from clearance.cli.launch import free_port, reachable_address
from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS, SampleCommuter
from clearance.core import credentials, security, zone
from clearance.core.enums import Bridge, CredentialKind, Direction, Park, Role
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db import migrations
from clearance.db.actors import SystemActor, UserActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.models import Commuter, User
from clearance.http.deps import AppContext
from clearance.stations import service as stations
from clearance.vision import images
from clearance.web.app import API_PREFIX, create_app
from enrolment import issuing, passes
from kiosk import scenes
from kiosk.frames import compose_frame, load_photo_file, write_walk_up


@dataclass(frozen=True)
class Staff:
    username: str
    password: str


@dataclass(frozen=True)
class Setup:
    admin: Staff
    enroller: Staff
    officer: Staff
    organisation_id: str
    kiosk_key: str
    """East footbridge, towards Hong Kong."""
    return_kiosk_key: str
    """West footbridge, towards Shenzhen."""


def start_server(
    settings: Settings, *, host: str, port: int
) -> tuple[uvicorn.Server, threading.Thread, AppContext]:
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=3,
        )
    )
    thread = threading.Thread(target=server.run, name="hetao-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"hetao demo: the server could not start on {host}:{port}")
        time.sleep(0.05)
    context: AppContext = app.state.context
    return server, thread, context


def bootstrap(settings: Settings) -> Setup:
    """What an administrator does once: an organisation, staff accounts, a checkpoint, a kiosk."""
    engine = make_engine(settings.sqlalchemy_url)
    staff = {role: Staff(f"demo-{role.value}", security.generate_password()) for role in Role}
    actor = SystemActor("hetao demo")
    with session_scope(make_sessionmaker(engine)) as session:
        organisation = accounts.create_organisation(
            session, name="Hetao Quantum Lab", park=Park.HK, actor=actor
        )
        for role, account in staff.items():
            accounts.create_user(
                session,
                username=account.username,
                password=account.password,
                role=role,
                organisation_id=organisation.id if role is Role.ENROLLER else None,
                actor=actor,
            )
        checkpoint = stations.create_checkpoint(
            session, name="East footbridge, Shenzhen side", bridge=Bridge.EAST, actor=actor
        )
        _kiosk, kiosk_key = stations.create_kiosk(
            session, checkpoint=checkpoint, name="Lane 1", direction=Direction.TO_HK, actor=actor
        )
        west = stations.create_checkpoint(
            session, name="West footbridge, Hong Kong side", bridge=Bridge.WEST, actor=actor
        )
        _kiosk, return_key = stations.create_kiosk(
            session, checkpoint=west, name="Lane 1", direction=Direction.TO_SZ, actor=actor
        )
        organisation_id = str(organisation.id)
    engine.dispose()
    return Setup(
        staff[Role.ADMIN], staff[Role.ENROLLER], staff[Role.OFFICER], organisation_id, kiosk_key, return_key
    )


def sign_in(client: httpx.Client, staff: Staff) -> dict[str, str]:
    response = client.post(
        f"{API_PREFIX}/auth/token", data={"username": staff.username, "password": staff.password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON of ``response``, which must have ``status``; anything else ends the demo."""
    if response.status_code != status:
        raise SystemExit(
            f"hetao demo: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text}"
        )
    return response.json()


def enrol(
    client: httpx.Client, headers: dict[str, str], sample: SampleCommuter, organisation_id: str
) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.post(
        f"{API_PREFIX}/commuters",
        headers=headers,
        data={
            "full_name": sample.label,
            "document_type": "passport",
            "document_number": sample.document_number,
            "organisation_id": organisation_id,
            "home_park": "sz",
            "valid_until": str(date.today() + timedelta(days=365)),
        },
        files={"photo": (sample.enrolment_photo.name, sample.enrolment_photo.read_bytes(), "image/jpeg")},
    )
    commuter: dict[str, Any] = expect(response, 201)
    quality = commuter["photo_quality"]
    print(
        f"  enrolled {sample.label}: face {quality['face_px']} px, sharpness {quality['sharpness']:.0f}, "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    return commuter


def run(*, settings: Settings, serve: bool, host: str, port: int) -> int:
    demo_dir = settings.data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_settings = settings.model_copy(update={"data_dir": demo_dir, "database_url": None})
    demo_dir.mkdir(parents=True)
    print(f"Hetao Clearance demo — fresh database {demo_settings.sqlalchemy_url}")
    migrations.upgrade(url=demo_settings.sqlalchemy_url)
    setup = bootstrap(demo_settings)
    port = port if serve else free_port(host)
    server, thread, context = start_server(demo_settings, host=host, port=port)
    # Bound to every interface, the demo's links use this machine's address on the network (a
    # phone cannot open 0.0.0.0 or 127.0.0.1).
    base_url = f"http://{reachable_address(host)}:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            frames_folder = run_morning(client, setup, context, demo_dir=demo_dir)
        if serve:
            print(f"\nServing on {base_url} (API docs at {base_url}/docs). Ctrl-C stops.")
            for account in (setup.admin, setup.enroller, setup.officer):
                print(f"  sign in as {account.username} / {account.password}")
            print("In the evening, run the west footbridge's station (towards Shenzhen) on recorded frames:")
            print(
                f"  uv run hetao kiosk --server {base_url} --key {setup.return_kiosk_key} "
                f"--source {frames_folder.resolve()} --once --headless"
            )
            with httpx.Client(base_url=base_url, timeout=60) as client:
                link = phone_pass_link(client, setup, SAMPLE_COMMUTERS[0])
            who = SAMPLE_COMMUTERS[0].label
            print(f"A phone pass for {who} (open it once in a browser; it then works offline):")
            print(f"  {link}")
            print(
                "  A phone opens a pass only from an https:// address (its keys and offline copy need a "
                "secure page): on this machine's browser the link above works as it is; for a phone, "
                "serve behind the TLS proxy (deploy/nginx) and open the same path on its https address."
            )
            if host in ("127.0.0.1", "localhost"):
                print("  (On 127.0.0.1 only this machine reaches it: --host 0.0.0.0 serves the network.)")
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        server.should_exit = True
        thread.join(10)
    return 0


def issue_phone_pass(client: httpx.Client, enroller: dict[str, str], commuter_id: str) -> dict[str, Any]:
    """A new phone pass for a commuter, as the API answers it (with its one-time activation link)."""
    issued: dict[str, Any] = expect(
        client.post(
            f"{API_PREFIX}/commuters/{commuter_id}/credentials",
            headers=enroller,
            json={"kind": "dynamic", "phone_pass": True},
        ),
        201,
    )
    return issued


def phone_pass_link(client: httpx.Client, setup: Setup, sample: SampleCommuter) -> str:
    """A new phone pass for the demo's commuter ``sample``: its one-time activation link."""
    enroller = sign_in(client, setup.enroller)
    found = expect(client.get(f"{API_PREFIX}/commuters", headers=enroller, params={"q": sample.label}), 200)
    link: str = issue_phone_pass(client, enroller, found[0]["id"])["activation_link"]
    return link


def run_morning(client: httpx.Client, setup: Setup, context: AppContext, *, demo_dir: Path) -> Path:
    """The scripted morning; returns a folder of frames for a kiosk station to replay."""
    enroller = sign_in(client, setup.enroller)
    officer = sign_in(client, setup.officer)
    kiosk = {"Authorization": f"Bearer {setup.kiosk_key}"}

    print("\nEnrolment staff pre-register the sample commuters from one photo each:")
    enrolled = [enrol(client, enroller, sample, setup.organisation_id) for sample in SAMPLE_COMMUTERS]
    payloads = {}
    for sample, commuter in zip(SAMPLE_COMMUTERS, enrolled, strict=True):
        expect(client.post(f"{API_PREFIX}/commuters/{commuter['id']}/approve", headers=officer), 200)
        credential = expect(
            client.post(
                f"{API_PREFIX}/commuters/{commuter['id']}/credentials",
                headers=enroller,
                json={"kind": "static"},
            ),
            201,
        )
        payloads[sample.label] = credential["payload"]
    print("An officer approves them; each gets a signed QR credential.")

    a, b, c = SAMPLE_COMMUTERS
    # A credential that ran out yesterday, signed with the real key.
    with session_scope(context.sessions) as session:
        commuter_c = session.get(Commuter, uuid.UUID(enrolled[2]["id"]))
        staff_user = session.scalar(select(User).where(User.username == setup.enroller.username))
        assert commuter_c is not None and staff_user is not None
        expired = issuing.issue_credential(
            session,
            commuter=commuter_c,
            kind=CredentialKind.STATIC,
            actor=UserActor(staff_user),
            keyring=context.keyring,
            lifetime=timedelta(days=1),
            now=utcnow() - timedelta(days=2),
        ).credential.payload
    revoked = expect(
        client.post(f"{API_PREFIX}/commuters/{enrolled[1]['id']}/credentials", headers=enroller, json={}), 201
    )
    expect(client.post(f"{API_PREFIX}/credentials/{revoked['id']}/revoke", headers=enroller), 200)
    tampered = (
        payloads[a.label][:-12] + ("0" if payloads[a.label][-12] != "0" else "1") + payloads[a.label][-11:]
    )

    face_a, face_b, face_c = (load_photo_file(s.live_photo) for s in (a, b, c))
    impostor = load_photo_file(IMPOSTOR_PHOTO)
    scenario = [
        (f"{a.label} shows their QR", face_a, payloads[a.label]),
        (f"{b.label} shows their QR", face_b, payloads[b.label]),
        (f"{c.label} shows their QR", face_c, payloads[c.label]),
        (f"someone else shows {c.label}'s QR", impostor, payloads[c.label]),
        (f"{c.label} shows an expired credential", face_c, expired),
        (f"{b.label} shows a revoked card", face_b, revoked["payload"]),
        (f"{a.label}'s QR with one character altered", face_a, tampered),
        ("a QR that is not a credential", face_a, "https://example.org/not-a-credential"),
        (f"{a.label} forgets to show a QR", face_a, None),
        (f"{a.label} tries to enter Hong Kong again", face_a, payloads[a.label]),
    ]
    # Someone who has A's card holds up a phone showing a photo of A; another a print of C.
    attacks = [
        (f"someone holds up a phone showing {a.label}", scenes.Attack.PHONE, face_a, payloads[a.label]),
        (f"someone holds up a printed photo of {c.label}", scenes.Attack.PRINT, face_c, payloads[c.label]),
    ]
    # Later, C heads home to Shenzhen with the code on their phone; someone replays a screenshot.
    # C's phone pass is activated as the pass's page does it: the phone makes its code key and its
    # proof key and sends them once with the token from the activation link.
    phone = issue_phone_pass(client, enroller, enrolled[2]["id"])
    phone_key = secrets.token_bytes(credentials.SECRET_BYTES)
    credential_id, token = passes.read_activation_link(phone["activation_link"])
    activation = {
        "credential_id": str(credential_id),
        "token": token,
        "key": base64.b64encode(phone_key).decode(),
        "proof_key": base64.b64encode(secrets.token_bytes(credentials.SECRET_BYTES)).decode(),
    }
    expect(client.post(f"{API_PREFIX}/pass/activate", json=activation), 200)
    code = credentials.dynamic_qr_text(phone["payload"], secret=phone_key, now=utcnow())
    homeward = {"Authorization": f"Bearer {setup.return_kiosk_key}"}
    scenario_home = [
        (f"{c.label} shows the code on their phone", face_c, code),
        (f"a screenshot of {c.label}'s phone code", face_c, code),
    ]
    print(
        "\nThe kiosk at the east footbridge (towards Hong Kong) sees, then the west one (towards Shenzhen):"
    )
    print(f"  {'time UTC+8':10}  {'attempt':54}  {'decision':8}  {'reasons':20}  {'distance':>8}  {'ms':>6}")
    attempts = [
        (label, compose_frame(face=face, qr_text=payload), kiosk) for label, face, payload in scenario
    ]
    attempts += [
        (label, scenes.attack(kind, face, qr_text=payload, seed=1), kiosk)
        for label, kind, face, payload in attacks
    ]
    attempts += [
        (label, compose_frame(face=face, qr_text=payload), homeward) for label, face, payload in scenario_home
    ]
    for label, image, station in attempts:
        frame = images.encode_jpeg(image, quality=90)
        started = time.perf_counter()
        result = expect(
            client.post(
                f"{API_PREFIX}/kiosk/verify",
                headers=station,
                files={"frame": ("frame.jpg", frame, "image/jpeg")},
            ),
            200,
        )
        elapsed = (time.perf_counter() - started) * 1000
        distance = "-" if result["distance"] is None else f"{result['distance']:.3f}"
        reasons = ",".join(result["reasons"]) or "-"
        clock = zone.for_people(utcnow()).split()[1]
        print(
            f"  {clock:10}  {label:54}  {result['decision']:8}  {reasons:20}  {distance:>8}  {elapsed:6.0f}"
        )
    crossings = expect(client.get(f"{API_PREFIX}/crossings", headers=officer, params={"limit": 1000}), 200)
    print(f"\n{len(crossings)} crossings recorded (no images kept).")
    # The evening: B walks back to Shenzhen, then someone tries C's card, at a station.
    folder = demo_dir / "kiosk-frames"
    index = write_walk_up(folder, start=0, face=face_b, qr_text=payloads[b.label])
    write_walk_up(folder, start=index, face=impostor, qr_text=payloads[c.label])
    return folder
