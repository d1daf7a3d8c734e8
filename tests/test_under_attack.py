"""The README's promises under load, races and faults, against real server processes on
127.0.0.1. Every load and race is bounded in count, and waits for answers, never for time."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clearance.cli.launch import HETAO
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import credentials, keyfiles
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.custody import rekey
from clearance.db import migrations as schema
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.keyring import load_keyring
from clearance.db.models import AuditEvent
from clearance.vision import images
from clearance.whitelist import service as whitelist
from enrolment import passes
from kiosk.frames import compose_frame, load_photo_file
from kiosk.link import ServerLink
from kiosk.runner import Syncer, open_store
from kiosk.station import LinkStatus, Station, StationConfig
from tests.live import LiveServer, fresh_database, running_servers
from tests.support import API, PASSWORD, registration, wait_until

A, B, C = SAMPLE_COMMUTERS
pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with running_servers(tmp_path, "attack_" + request.node.name.replace("test_", "")[:20]) as (server,):
        yield server


def frame(sample_photo: Path, qr_text: str | None) -> bytes:
    return images.encode_jpeg(compose_frame(face=load_photo_file(sample_photo), qr_text=qr_text), quality=90)


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def well_formed(response: httpx.Response) -> bool:
    """Below 500, or a 503 that says to come back; and every error in the contract's shape."""
    if response.status_code >= 500 and not (
        response.status_code == 503 and "retry-after" in response.headers
    ):
        return False
    if response.status_code >= 400:
        body = response.json()
        return isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)
    return True


def test_a_burst_of_anonymous_and_kiosk_requests_is_served_and_leaves_nothing_open(live: LiveServer) -> None:
    _a, credential = live.enrol_active(A)
    photo = frame(A.live_photo, credential["payload"])
    kiosk = {"Authorization": f"Bearer {live.kiosks['east_to_hk']}"}

    def health(_n: int) -> httpx.Response:
        return httpx.get(f"{live.url}/healthz", timeout=120)

    def verify(_n: int) -> httpx.Response:
        files = {"frame": ("f.jpg", photo, "image/jpeg")}
        return httpx.post(f"{live.url}{API}/kiosk/verify", headers=kiosk, files=files, timeout=120)

    with ThreadPoolExecutor(80) as pool:
        healths = list(pool.map(health, range(80)))
        verifies = list(pool.map(verify, range(60)))
        burst = list(pool.map(health, range(300)))
    assert statuses(healths) == Counter({200: 80})
    assert statuses(verifies) == Counter({200: 60})
    assert statuses(burst) == Counter({200: 300})
    decisions = Counter(r.json()["decision"] for r in verifies)
    assert decisions["cleared"] == 1  # the rest: already in Hong Kong
    # Every request's transaction ended with it: nothing is left open (the signal: a query
    # finding none, asked until it does, for at most a minute).
    if live.database_url.startswith("postgresql"):
        engine = make_engine(live.database_url)
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND state = 'idle in transaction'"
        )
        with engine.connect() as connection:
            assert wait_until(
                lambda: connection.execute(query, {"db": engine.url.database}).scalar_one() == 0
            )
        engine.dispose()
    assert httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200


def test_past_its_capacity_the_server_says_come_back_instead_of_failing(tmp_path: Path) -> None:
    with running_servers(
        tmp_path, "attack_capacity", max_requests_at_work="2", admission_wait_seconds="0.05"
    ) as (live,):
        _a, credential = live.enrol_active(A)
        photo = frame(A.live_photo, credential["payload"])
        kiosk = {"Authorization": f"Bearer {live.kiosks['east_to_hk']}"}

        def verify(_n: int) -> httpx.Response:
            files = {"frame": ("f.jpg", photo, "image/jpeg")}
            return httpx.post(f"{live.url}{API}/kiosk/verify", headers=kiosk, files=files, timeout=120)

        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(verify, range(40)))
        assert all(well_formed(r) for r in answers), [(r.status_code, r.text[:100]) for r in answers]
        assert set(statuses(answers)) <= {200, 503}
        for busy in (r for r in answers if r.status_code == 503):
            assert busy.json()["error"] == "ServerBusy" and busy.headers["retry-after"] == "1"
        assert httpx.get(f"{live.url}/healthz", timeout=30).status_code == 200


def test_concurrent_wrong_passwords_are_counted_one_after_another(live: LiveServer) -> None:
    def attempt(_n: int) -> int:
        data = {"username": "officer", "password": "not the password"}
        return httpx.post(f"{live.url}{API}/auth/token", data=data, timeout=120).status_code

    with ThreadPoolExecutor(30) as pool:
        answers = Counter(pool.map(attempt, range(30)))
    assert answers == Counter({401: 5, 429: 25})


def failed_sign_in_addresses(live: LiveServer) -> list[str | None]:
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        found = list(session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "sign_in_failed")))
    engine.dispose()
    return found


def test_a_forged_forwarded_for_is_believed_only_from_a_named_proxy(tmp_path: Path) -> None:
    def fail(live: LiveServer, n: int, address: str) -> int:
        data = {"username": f"nobody-{n}", "password": "guess"}
        headers = {"X-Forwarded-For": address}
        return httpx.post(f"{live.url}{API}/auth/token", data=data, headers=headers, timeout=30).status_code

    with running_servers(tmp_path / "direct", "attack_xff_direct") as (live,):
        answers = [fail(live, n, f"10.0.{n}.1") for n in range(21)]
        # Twenty failures from this one address, whatever it claimed to be: the next is refused.
        assert answers == [401] * 20 + [429]
        assert set(failed_sign_in_addresses(live)) == {"127.0.0.1"}
    with running_servers(tmp_path / "proxied", "attack_xff_proxy", trusted_proxies="127.0.0.1") as (live,):
        assert [fail(live, n, f"10.0.{n}.1") for n in range(3)] == [401] * 3
        assert sorted(failed_sign_in_addresses(live)) == ["10.0.0.1", "10.0.1.1", "10.0.2.1"]


@contextmanager
def station(live: LiveServer, kiosk: str, tmp: Path) -> Iterator[Station]:
    """A real checkpoint station of kiosk ``kiosk``, online and synchronised."""
    settings = Settings(data_dir=tmp / kiosk)
    store = open_store(settings, live.kiosks[kiosk])
    link = ServerLink(live.url, key=live.kiosks[kiosk])
    status = LinkStatus()
    Syncer(store, link, interval=60, status=status).sync_all()
    status.ok()
    info = store.kiosk_info()
    assert info is not None
    config = StationConfig.from_settings(settings)
    running = Station(
        store=store, link=link, status=status, config=config, direction=info.direction, face_only=False
    )
    try:
        yield running
    finally:
        running.close()
        link.close()
        store.close()


def walk_up(kiosk: Station, photo: Path, qr_text: str) -> dict[str, Any]:
    """Frames of one person at ``kiosk`` until it decides."""
    image = compose_frame(face=load_photo_file(photo), qr_text=qr_text)
    for n in range(10):
        decided = kiosk.handle(image, n / 10)
        if decided is not None:
            return decided
    final = kiosk.finish()
    assert final is not None
    return final


def test_two_online_kiosks_towards_one_park_clear_one_person_once(live: LiveServer, tmp_path: Path) -> None:
    _a, credential = live.enrol_active(A)
    barrier = threading.Barrier(2)

    def at(kiosk: Station) -> dict[str, Any]:
        barrier.wait()
        return walk_up(kiosk, A.live_photo, credential["payload"])

    with (
        station(live, "east_to_hk", tmp_path) as east,
        station(live, "west_to_hk", tmp_path) as west,
        ThreadPoolExecutor(2) as pool,
    ):
        decisions = list(pool.map(at, (east, west)))
    assert sorted((d["decision"], tuple(d["reasons"])) for d in decisions) == [
        ("cleared", ()),
        ("refer", ("anti_passback",)),
    ]
    # The same race through the API alone: thirty claims for one passage, from both kiosks.
    b, _credential = live.enrol_active(B)

    def claim(n: int) -> bool:
        kiosk = live.kiosks["east_to_hk" if n % 2 else "west_to_hk"]
        answer = httpx.post(
            f"{live.url}{API}/kiosk/passages",
            headers={"Authorization": f"Bearer {kiosk}"},
            json={"crossing_id": str(uuid.uuid4()), "commuter_id": b["id"]},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["granted"])

    with ThreadPoolExecutor(30) as pool:
        assert sum(pool.map(claim, range(30))) == 1


def test_a_dynamic_code_used_at_one_online_kiosk_is_refused_at_another(
    live: LiveServer, tmp_path: Path
) -> None:
    a, _static = live.enrol_active(A)
    phone = live.issue(a["id"], kind="dynamic")
    shown = credentials.dynamic_qr_text(
        phone["payload"], secret=base64.b64decode(phone["secret"]), now=utcnow()
    )
    with station(live, "east_to_hk", tmp_path) as east, station(live, "west_to_sz", tmp_path) as west:
        first = walk_up(east, A.live_photo, shown)
        assert (first["decision"], first["reasons"]) == ("cleared", [])
        # A screenshot of the same code, at a kiosk on the other bridge (the other way: no passback).
        again = walk_up(west, A.live_photo, shown)
        assert (again["decision"], again["reasons"]) == ("rejected", ["replayed"])


def test_key_rotations_while_a_server_seals_lose_nothing(live: LiveServer) -> None:
    a, _static = live.enrol_active(A)
    enroller = live.headers("enroller")
    issued: list[int] = []
    stop = threading.Event()

    def keep_sealing() -> None:
        # Each dynamic credential seals a new secret with whichever key the server seals with.
        while not stop.is_set():
            answer = httpx.post(
                f"{live.url}{API}/commuters/{a['id']}/credentials",
                headers=enroller,
                json={"kind": "dynamic"},
                timeout=60,
            )
            issued.append(answer.status_code)

    sealer = threading.Thread(target=keep_sealing)
    sealer.start()
    try:
        for n in range(12):
            args = [HETAO, "keys", "rotate", *(["--delete-retired"] if n % 3 == 2 else [])]
            rotated = subprocess.run(
                args, env=live.env, capture_output=True, text=True, timeout=300, check=False
            )
            assert rotated.returncode == 0, rotated.stderr
            assert "Traceback" not in rotated.stderr
    finally:
        stop.set()
        sealer.join(60)
    assert issued and set(issued) <= {201, 503}, Counter(issued)
    # Whatever was sealed during the rotations opens with the keys that are left: the kiosk feed
    # unseals every template and secret.
    page = httpx.get(
        f"{live.url}{API}/kiosk/whitelist",
        headers={"Authorization": f"Bearer {live.kiosks['east_to_hk']}"},
        timeout=60,
    )
    assert page.status_code == 200, page.text
    (entry,) = page.json()["entries"]
    assert len([c for c in entry["credentials"] if c["secret"]]) == issued.count(201)
    final = subprocess.run(
        [HETAO, "keys", "rotate", "--delete-retired"],
        env=live.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert final.returncode == 0, final.stderr
    current = keyfiles.load_or_create_data_key(live.data_dir / "keys" / "data.key", create=False).key_id
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        assert not any(rekey.count_stale(session, key_id=current).values())
    engine.dispose()


def test_the_logs_carry_ids_never_names_or_document_numbers(tmp_path: Path) -> None:
    with running_servers(tmp_path, "attack_logs", log_level="info") as (live,):
        assert live.org_id is not None
        officer = live.headers("officer")
        enrolled = httpx.post(
            f"{live.url}{API}/commuters",
            headers=live.headers("enroller"),
            data=registration(live.org_id, full_name="Ms Secret Name", document_number="Q9876543"),
            files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")},
            timeout=60,
        )
        assert enrolled.status_code == 201
        found = httpx.get(f"{live.url}{API}/commuters", params={"q": "Q9876543"}, headers=officer, timeout=30)
        assert [c["full_name"] for c in found.json()] == ["Ms Secret Name"]
        missing = httpx.get(f"{live.url}{API}/commuters/{uuid.uuid4()}", headers=officer, timeout=30)
        request_id = missing.json()["request_id"]
        assert missing.headers["x-request-id"] == request_id
        # A row that fails in the database, with the name in it (NUL is refused by PostgreSQL).
        duplicate = httpx.post(
            f"{live.url}{API}/commuters",
            headers=live.headers("enroller"),
            data=registration(live.org_id, full_name="Ms Secret\x00Name", document_number="Q9876543"),
            files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")},
            timeout=60,
        )
        assert duplicate.status_code in (409, 422)
        log = next(live.data_dir.glob("server-*.log")).read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "request"]
    assert {"request_id", "method", "path", "status", "ms"} <= set(requests[0])
    assert [r["status"] for r in requests if r["request_id"] == request_id] == [404]
    assert {"/api/v1/commuters", f"/api/v1/commuters/{missing.url.path.rsplit('/', 1)[1]}"} <= {
        r["path"] for r in requests
    }
    assert "Q9876543" not in log and "Secret" not in log


def test_a_kiosk_must_sign_and_a_reinstalled_one_is_re_keyed_by_an_administrator(
    live: LiveServer, tmp_path: Path
) -> None:
    kiosk = {"Authorization": f"Bearer {live.kiosks['east_to_hk']}"}
    record = {
        "id": str(uuid.uuid4()),
        "decided_at": utcnow().isoformat(),
        "decision": "rejected",
        "seq": 2**62,
    }
    unsigned = httpx.post(f"{live.url}{API}/kiosk/crossings", headers=kiosk, json={"crossings": [record]})
    assert unsigned.status_code == 409 and "POST /kiosk/identity" in unsigned.json()["detail"]
    # The real kiosk runs and registers its key; its decision (someone showing a QR that is no
    # credential) arrives.
    frames = tmp_path / "frames"
    frames.mkdir()
    shown = images.encode_jpeg(compose_frame(face=None, qr_text="not a credential"), quality=90)
    (frames / "0.jpg").write_bytes(shown)

    def run(install: Path) -> subprocess.CompletedProcess[str]:
        args = [HETAO, "kiosk", "--server", live.url, "--key", live.kiosks["east_to_hk"]]
        args += ["--source", str(frames), "--once", "--headless"]
        env = {**live.env, "HETAO_KIOSK_DIR": str(install)}
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=240, check=False)

    first = run(tmp_path / "first-install")
    assert first.returncode == 0, first.stderr
    assert '"delivered": true' in first.stdout
    # Reinstalled (a new disk, a new key): refused, said in one line, and an officer alerted.
    reinstalled = run(tmp_path / "second-install")
    assert "Traceback" not in reinstalled.stderr
    assert "registered another signing key" in reinstalled.stderr
    assert '"delivered": false' in reinstalled.stdout
    alerts = httpx.get(f"{live.url}{API}/alerts", headers=live.headers("officer")).json()
    assert [a["kind"] for a in alerts] == ["crossing_log_tampered"]
    # The administrator re-keys the kiosk: a new API key, and the new installation's key is bound.
    admin_token = httpx.post(f"{live.url}{API}/auth/token", data={"username": "admin", "password": PASSWORD})
    assert admin_token.status_code == 200, admin_token.text
    admin = {"Authorization": f"Bearer {admin_token.json()['access_token']}"}
    kiosks = httpx.get(f"{live.url}{API}/kiosks", headers=admin).json()
    kiosk_id = next(k["id"] for k in kiosks if k["name"] == "east_to_hk")
    rekeyed = httpx.post(f"{live.url}{API}/kiosks/{kiosk_id}/rekey", headers=admin, json={})
    assert rekeyed.status_code == 200
    old_key, live.kiosks["east_to_hk"] = live.kiosks["east_to_hk"], rekeyed.json()["api_key"]
    assert (
        httpx.get(
            f"{live.url}{API}/kiosk/whitelist", headers={"Authorization": f"Bearer {old_key}"}
        ).status_code
        == 401
    )
    # The same installation, now with the new API key: it registers its key, and delivers what
    # it decided while it was refused as well as what it decides now.
    again = run(tmp_path / "second-install")
    assert again.returncode == 0, again.stderr
    assert re.search(r'"delivered": true', again.stdout)
    assert len([c for c in live.crossings() if c["kiosk_id"] == kiosk_id]) == 3
    trail = httpx.get(
        f"{live.url}{API}/audit", params={"object_id": kiosk_id}, headers=live.headers("officer")
    )
    assert "rekey_kiosk" in [e["action"] for e in trail.json()]


@pytest.mark.skipif(
    not os.environ.get("HETAO_TEST_DATABASE_URL"),
    reason="the live feed's database connection is PostgreSQL's",
)
def test_the_live_view_misses_nothing_across_a_lost_database_connection(live: LiveServer) -> None:
    seen: list[str] = []
    streaming = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        headers = live.headers("officer")
        endless = httpx.Timeout(30.0, read=None)
        with (
            contextlib.suppress(httpx.HTTPError),  # the server is stopped at the end
            httpx.stream("GET", f"{live.url}{API}/events", headers=headers, timeout=endless) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    streaming.set()
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event["type"] == "crossing":
                        seen.append(event["id"])
                if stop.is_set():
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert streaming.wait(60)
    signer = live.signer("east_to_hk")
    engine = make_engine(live.database_url)
    with engine.connect() as connection:
        listening = text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND query LIKE 'LISTEN%'")
        assert wait_until(lambda: bool(connection.execute(listening, {"db": engine.url.database}).all()))
        killed = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND query LIKE 'LISTEN%'"
            ),
            {"db": engine.url.database},
        ).all()
    engine.dispose()
    assert killed
    ids = []
    for _ in range(9):  # delivered while the server's listener reconnects, and after
        record = {"id": str(uuid.uuid4()), "decided_at": utcnow().isoformat(), "decision": "rejected"}
        assert signer.deliver(httpx, live.url, [record]).status_code == 200
        ids.append(record["id"])
    assert wait_until(lambda: set(ids) <= set(seen))
    stop.set()
    assert len(seen) == len(set(seen))  # and nothing twice


def test_the_first_two_changes_on_a_fresh_database_at_once_both_succeed(tmp_path: Path) -> None:
    """The name of the sealing key (and, were it missing, the whitelist counter) is created by
    the first change that needs it: two first changes at once (two enrolments on a new
    installation) must not both try to create it and one fail."""
    url = fresh_database(tmp_path, "first_changes")
    schema.upgrade(url=url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    keyring = load_keyring(Settings(data_dir=tmp_path / "data"))

    def first_change(session: Session) -> tuple[bytes, int]:
        return keyring.sealing_key(session).key_id, whitelist.next_version(session)

    def waiting_for_a_lock() -> bool:
        if engine.dialect.name != "postgresql":
            return True  # SQLite: the second waits at BEGIN for the write lock; nothing to see
        with engine.connect() as connection:
            query = text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"
            )
            return bool(connection.execute(query, {"db": engine.url.database}).scalar_one())

    first = sessions()
    try:
        key_id, version = first_change(first)  # created, not yet committed
        with ThreadPoolExecutor(1) as pool:

            def second() -> tuple[bytes, int]:
                with session_scope(sessions) as session:
                    return first_change(session)

            later = pool.submit(second)
            assert wait_until(lambda: waiting_for_a_lock() or later.done())
            first.commit()
            assert later.result() == (key_id, version + 1)
    finally:
        first.close()
        engine.dispose()


def at_once(count: int, call: Any) -> list[httpx.Response]:
    """``call(n)`` from ``count`` threads released together."""
    start = threading.Barrier(count)

    def run(n: int) -> httpx.Response:
        start.wait(60)
        result: httpx.Response = call(n)
        return result

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_one_activation_link_activates_one_phone_however_many_try_at_once(live: LiveServer) -> None:
    a, _card = live.enrol_active(A)
    issued = live.issue(a["id"], "dynamic", phone_pass=True)
    credential_id, token = passes.read_activation_link(issued["activation_link"])

    def activate(n: int) -> httpx.Response:
        keys = [secrets.token_bytes(32), secrets.token_bytes(32)]
        body = {
            "credential_id": str(credential_id),
            "token": token,
            "key": base64.b64encode(keys[0]).decode(),
            "proof_key": base64.b64encode(keys[1]).decode(),
        }
        return httpx.post(f"{live.url}{API}/pass/activate", json=body, timeout=60)

    answers = at_once(8, activate)
    assert statuses(answers) == Counter({200: 1, 409: 7}), [a.text for a in answers]
    assert all(a.json()["why"] == "used" for a in answers if a.status_code == 409)


def test_creates_sent_at_once_make_one_and_answer_409_not_500(live: LiveServer) -> None:
    admin = live.headers("admin")

    def create(kind: str) -> Any:
        bodies = {
            "organisations": {"name": "Twice Org", "park": "hk"},
            "checkpoints": {"name": "Twice", "bridge": "west"},
            "users": {"username": "twice", "password": PASSWORD, "role": "officer"},
        }
        return lambda _n: httpx.post(f"{live.url}{API}/{kind}", headers=admin, json=bodies[kind], timeout=60)

    for kind in ("organisations", "checkpoints", "users"):
        answers = at_once(6, create(kind))
        assert statuses(answers) == Counter({201: 1, 409: 5}), (kind, [a.text for a in answers])
        assert all(well_formed(a) for a in answers if a.status_code == 409)
    registration_fields = registration(live.org_id, document_number="P7654321")  # type: ignore[arg-type]
    enroller = live.headers("enroller")
    photo = A.enrolment_photo.read_bytes()
    answers = at_once(
        4,
        lambda _n: httpx.post(
            f"{live.url}{API}/commuters",
            headers=enroller,
            data=registration_fields,
            files={"photo": ("p.jpg", photo, "image/jpeg")},
            # Four enrolments' face work on a loaded machine takes what it takes (one CI run on
            # PostgreSQL passed 120 s): the suite's per-test timeout, with its stacks, is the bound.
            timeout=None,  # noqa: S113
        ),
    )
    assert statuses(answers) == Counter({201: 1, 409: 3}), [a.text for a in answers]


def test_one_credential_replaced_at_once_from_four_places_is_replaced_once(live: LiveServer) -> None:
    a, card = live.enrol_active(A)
    enroller = live.headers("enroller")
    answers = at_once(
        4,
        lambda _n: httpx.post(
            f"{live.url}{API}/credentials/{card['id']}/replace",
            headers=enroller,
            json={"reason": "lost card"},
            timeout=60,
        ),
    )
    assert statuses(answers) == Counter({201: 1, 409: 3}), [a.text for a in answers]
    held = httpx.get(f"{live.url}{API}/commuters/{a['id']}/credentials", headers=enroller).json()
    assert len([c for c in held if c["revoked_at"] is None]) == 1


def test_a_disabled_officers_open_live_stream_ends_at_once(live: LiveServer) -> None:
    streaming, ended = threading.Event(), threading.Event()
    received: list[str] = []

    def watch() -> None:
        headers = live.headers("officer")
        with httpx.stream(
            "GET", f"{live.url}{API}/events", headers=headers, timeout=httpx.Timeout(30.0, read=None)
        ) as response:
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    streaming.set()
                if line.startswith("data:"):
                    received.append(line)
        ended.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert streaming.wait(60)
    admin = live.headers("admin")
    users = httpx.get(f"{live.url}{API}/users", headers=admin).json()
    (officer,) = [u for u in users if u["username"] == "officer"]
    assert httpx.post(f"{live.url}{API}/users/{officer['id']}/disable", headers=admin).status_code == 200
    # Ends on the sign-out's own event, well before the stream's next keep-alive (15 s).
    assert ended.wait(10), "the stream of a disabled officer stayed open"
    # And nothing delivered after is sent to it.
    signer = live.signer("east_to_hk")
    record = {"id": str(uuid.uuid4()), "decided_at": utcnow().isoformat(), "decision": "rejected"}
    assert signer.deliver(httpx, live.url, [record]).status_code == 200
    assert not any(record["id"] in line for line in received)
