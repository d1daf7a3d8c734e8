"""The checkpoint station end to end: ``hetao kiosk`` processes on image folders and a video made
from real photos, talking to a real server process that the tests stop, kill and restart."""

import base64
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image, ImageGrab

from clearance.cli.launch import HETAO
from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core import chain, credentials
from clearance.core.settings import Settings
from clearance.core.wire import CrossingBatch
from clearance.core.zone import local_today, utcnow
from clearance.vision import images
from enrolment import passes
from kiosk.frames import compose_frame, load_photo_file, write_walk_up
from kiosk.link import ServerLink
from kiosk.runner import STATUS_WORDS, Deliverer, open_store
from kiosk.scenes import Attack
from kiosk.screen import COLOURS, PANEL_X, SIZE, fit, render
from kiosk.station import Guidance, LinkStatus
from tests.live import LiveServer, run_kiosk, running_servers
from tests.support import API, DATA, registration, rejected_crossing, wait_until

A, B, C = SAMPLE_COMMUTERS
OUTPUT = Path(os.environ.get("HETAO_TEST_OUTPUT", "test-output")) / "screenshots"
pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with running_servers(tmp_path, "live_" + request.node.name.replace("test_", "")[:20]) as (server,):
        yield server


def face(path: Path) -> object:
    return load_photo_file(path)


def test_one_decision_per_attempt_from_a_folder(live: LiveServer, tmp_path: Path) -> None:
    a, credential_a = live.enrol_active(A)
    c, credential_c = live.enrol_active(C)
    folder = tmp_path / "frames"
    i = write_walk_up(folder, start=0, face=face(A.live_photo), qr_text=credential_a["payload"])
    i = write_walk_up(folder, start=i, face=face(IMPOSTOR_PHOTO), qr_text=credential_c["payload"])
    i = write_walk_up(folder, start=i, face=face(DATA / "multi_face_1.jpg"), qr_text=credential_c["payload"])
    # A card held up with nobody in view, long enough for the kiosk to give up waiting (4 s).
    card_alone = images.encode_jpeg(compose_frame(face=None, qr_text=credential_c["payload"]), quality=90)
    empty = images.encode_jpeg(compose_frame(face=None, qr_text=None), quality=90)
    for n, frame in enumerate([card_alone] * 50 + [empty] * 10):
        (folder / f"{i + n:05d}.jpg").write_bytes(frame)
    decisions, process = run_kiosk(live, "east_to_hk", folder)
    assert [(d["decision"], d["reasons"]) for d in decisions] == [
        ("cleared", []),
        ("rejected", ["face_mismatch"]),
        ("refer", ["several_faces"]),
        ("refer", ["no_face"]),
    ]
    # The screen: walk on; a refusal sends to the counter; what the person can fix (no face in
    # view), try again. An outcome stays up for its 3 s though the person walks on, until the
    # next person shows their QR (here a second later); an attempt decided only as they leave is
    # shown to nobody: the screen asks for the next QR at once.
    screens = [
        line["guidance"]
        for line in map(json.loads, filter(lambda text: text.startswith("{"), process.stdout.splitlines()))
        if line.get("event") == "screen"
    ]
    assert screens == [
        "look", "cleared", "look", "not_cleared",
        "look", "show_qr", "look", "try_again",
    ]  # fmt: skip
    assert decisions[0]["commuter_id"] == a["id"]
    assert all(d["server_reachable"] for d in decisions)
    assert decisions[0]["steps_ms"]["face_encode"] > 0
    stored = {x["id"]: x for x in live.crossings()}
    assert set(stored) == {d["crossing_id"] for d in decisions}
    assert stored[decisions[1]["crossing_id"]]["commuter_id"] == c["id"]
    # Time to clear travels with each record, as the kiosk measured it: the card held up alone
    # stood at the lane the 4 s the kiosk waits for a face before it referred it.
    assert [stored[d["crossing_id"]]["clear_ms"] for d in decisions] == [d["clear_ms"] for d in decisions]
    assert all(d["clear_ms"] > 0 for d in decisions)
    assert decisions[3]["clear_ms"] >= 4000
    # Time to leave goes with the next record: the person cleared, and the one refused, each
    # walked on and left the view before the next stepped up; the one with several faces was
    # decided only as they left (nothing to measure), and nobody came after the last.
    left = [stored[d["crossing_id"]]["previous_left_ms"] for d in decisions]
    assert left == [d["previous_left_ms"] for d in decisions]
    assert [ms is not None for ms in left] == [False, True, True, False]
    assert all(ms > 0 for ms in left if ms is not None)
    # Officers and planners read it per bridge, direction and hour, on the command line too.
    today = local_today()
    flow = subprocess.run(
        [HETAO, "flow", "--since", str(today - timedelta(days=1)), "--until", str(today), "--json"],
        env=live.env,
        capture_output=True,
        text=True,
        check=True,
    )
    hours = [
        h for h in json.loads(flow.stdout)["hours"] if (h["bridge"], h["direction"]) == ("east", "to_hk")
    ]
    assert sum(h["crossings"] for h in hours) == sum(h["timed"] for h in hours) == 4
    assert sum(h["left_timed"] for h in hours) == 2
    assert sum(h["referred"] for h in hours) == 2


def test_a_phone_held_up_at_the_kiosk_is_rejected_and_the_person_then_cleared(
    live: LiveServer, tmp_path: Path
) -> None:
    a, credential = live.enrol_active(A)
    folder = tmp_path / "frames"
    photo = face(A.live_photo)
    i = write_walk_up(folder, start=0, face=photo, qr_text=credential["payload"], attack=Attack.PHONE, seed=1)
    write_walk_up(folder, start=i, face=photo, qr_text=credential["payload"])
    decisions, _ = run_kiosk(live, "east_to_hk", folder)
    assert [(d["decision"], d["reasons"]) for d in decisions] == [
        ("rejected", ["presentation_attack"]),
        ("cleared", []),
    ]
    # Every usable frame was scored; a picture is not worth encoding.
    assert decisions[0]["steps_ms"]["liveness"] > 0
    assert "face_encode" not in decisions[0]["steps_ms"]
    stored = {x["id"]: x for x in live.crossings()}
    assert stored[decisions[0]["crossing_id"]]["reasons"] == ["presentation_attack"]
    assert stored[decisions[0]["crossing_id"]]["commuter_id"] == a["id"]


def test_video_file_source(live: LiveServer, tmp_path: Path) -> None:
    _a, credential = live.enrol_active(A)
    folder = tmp_path / "frames"
    write_walk_up(folder, start=0, face=face(A.live_photo), qr_text=credential["payload"])
    video = tmp_path / "walk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    for image in sorted(folder.iterdir()):
        writer.write(cv2.imread(str(image)))
    writer.release()
    decisions, _ = run_kiosk(live, "east_to_hk", video)
    assert [d["decision"] for d in decisions] == ["cleared"]


def test_revoked_commuter_is_rejected_after_one_sync(live: LiveServer, tmp_path: Path) -> None:
    a, credential = live.enrol_active(A)
    empty = tmp_path / "empty"
    write_walk_up(empty, start=0, face=None, qr_text=None, frames=0, gap=2)
    run_kiosk(live, "east_to_hk", empty)  # the kiosk now holds A
    revoked = httpx.post(f"{live.url}{API}/commuters/{a['id']}/revoke", headers=live.headers("officer"))
    assert revoked.status_code == 200
    folder = tmp_path / "frames"
    write_walk_up(folder, start=0, face=face(A.live_photo), qr_text=credential["payload"])
    live.kill()  # offline: only the kiosk's own copy, as of its last sync, can refuse A
    decisions, _ = run_kiosk(live, "east_to_hk", folder)
    assert [(d["decision"], d["reasons"]) for d in decisions] == [("cleared", [])]  # it never synced
    live.start()
    decisions, _ = run_kiosk(live, "east_to_hk", folder)
    assert [(d["decision"], d["reasons"]) for d in decisions] == [("rejected", ["not_whitelisted"])]


def test_replayed_dynamic_code_is_rejected_offline_and_delivered_later(
    live: LiveServer, tmp_path: Path
) -> None:
    a, _ = live.enrol_active(A)
    dynamic = live.issue(a["id"], kind="dynamic")
    empty = tmp_path / "empty"
    write_walk_up(empty, start=0, face=None, qr_text=None, frames=0, gap=2)
    run_kiosk(live, "east_to_hk", empty)
    shown = credentials.dynamic_qr_text(
        dynamic["payload"], secret=base64.b64decode(dynamic["secret"]), now=utcnow()
    )
    folder = tmp_path / "frames"
    i = write_walk_up(folder, start=0, face=face(A.live_photo), qr_text=shown)
    write_walk_up(folder, start=i, face=face(A.live_photo), qr_text=shown)  # a photo of the phone
    live.kill()
    decisions, _ = run_kiosk(live, "east_to_hk", folder)
    assert [(d["decision"], d["reasons"], d["server_reachable"]) for d in decisions] == [
        ("cleared", [], False),
        ("rejected", ["replayed"], False),
    ]
    live.start()
    _, process = run_kiosk(live, "east_to_hk", empty)
    assert '"pending": 0' in process.stdout.splitlines()[-1]
    stored = live.crossings()
    assert sorted(x["id"] for x in stored) == sorted(d["crossing_id"] for d in decisions)


def test_anti_passback_across_the_two_bridges(live: LiveServer, tmp_path: Path) -> None:
    _a, credential = live.enrol_active(A)
    folder = tmp_path / "frames"
    write_walk_up(folder, start=0, face=face(A.live_photo), qr_text=credential["payload"])
    east, _ = run_kiosk(live, "east_to_hk", folder)
    assert [d["decision"] for d in east] == ["cleared"]
    west, _ = run_kiosk(live, "west_to_hk", folder)
    assert [(d["decision"], d["reasons"]) for d in west] == [("refer", ["anti_passback"])]
    home, _ = run_kiosk(live, "west_to_sz", folder)
    assert [d["decision"] for d in home] == ["cleared"]


def test_kiosk_killed_after_deciding_loses_nothing(live: LiveServer, tmp_path: Path) -> None:
    _a, credential = live.enrol_active(A)
    _c, credential_c = live.enrol_active(C)
    empty = tmp_path / "empty"
    write_walk_up(empty, start=0, face=None, qr_text=None, frames=0, gap=2)
    run_kiosk(live, "east_to_hk", empty)
    folder = tmp_path / "frames"
    i = 0
    for _ in range(3):
        i = write_walk_up(folder, start=i, face=face(IMPOSTOR_PHOTO), qr_text=credential["payload"])
        i = write_walk_up(folder, start=i, face=face(IMPOSTOR_PHOTO), qr_text=credential_c["payload"])
    live.kill()
    process = subprocess.Popen(
        [
            HETAO,
            "kiosk",
            "--server",
            live.url,
            "--key",
            live.kiosks["east_to_hk"],
            "--source",
            str(folder),
            "--headless",
        ],
        env=live.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    announced = []
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while len(announced) < 4 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if '"decision"' in line:
            announced.append(json.loads(line)["crossing_id"])
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()
    assert len(announced) == 4
    live.start()
    run_kiosk(live, "east_to_hk", empty)
    stored = {x["id"] for x in live.crossings()}
    assert set(announced) <= stored


def test_face_only_walk_through(live: LiveServer, tmp_path: Path) -> None:
    # C's walk-up photo scores confidently live (walk-through asks for 0.8; A's scores 0.56).
    c, _ = live.enrol_active(C, face_only="true")
    live.enrol_active(B)  # enrolled but not opted in: never recognised without a QR
    folder = tmp_path / "frames"
    i = write_walk_up(folder, start=0, face=face(C.live_photo), qr_text=None)
    i = write_walk_up(folder, start=i, face=face(B.live_photo), qr_text=None)
    # C's photo on a phone, without a QR: rejected as an attack, never searched for.
    write_walk_up(folder, start=i, face=face(C.live_photo), qr_text=None, attack=Attack.PHONE, seed=1)
    decisions, _ = run_kiosk(live, "west_to_hk", folder)  # the west checkpoint offers walk-through
    assert [(d["decision"], d["reasons"], d["commuter_id"]) for d in decisions] == [
        ("cleared", [], c["id"]),
        ("rejected", ["no_qr"], None),
        ("rejected", ["presentation_attack"], None),
    ]
    assert "search" not in decisions[2]["steps_ms"]
    none, _ = run_kiosk(live, "east_to_hk", folder)  # the east one does not
    assert none == []


def test_every_crossing_delivered_exactly_once_across_server_crashes(
    live: LiveServer, tmp_path: Path
) -> None:
    store = open_store(Settings(data_dir=tmp_path / "kiosk"), live.kiosks["east_to_hk"])
    link = ServerLink(live.url, key=live.kiosks["east_to_hk"], timeout=5)
    ids = []
    for n in range(450):
        crossing = rejected_crossing(duration_ms=float(n))
        store.record_decision(crossing)
        ids.append(str(crossing.id))
    # After a batch: the server stored it but the answer was lost, so the kiosk will send it again.
    key = Ed25519PrivateKey.generate()
    link.register_identity(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    first = store.pending(100)
    link.deliver(CrossingBatch(crossings=first, signature=chain.sign_batch(key, first)))
    live.kill()  # before the next batch: the server is down when delivery starts
    status = LinkStatus()
    deliverer = Deliverer(store, link, status=status, signing_key=key)
    deliverer.start()
    assert wait_until(lambda: status.last_error is not None)  # it tried, and found nobody
    assert store.outbox_counts()["pending"] == 450
    assert not status.reachable
    live.start()
    # During: kill the server while batches are in flight, twice, then let it finish.
    for _ in range(2):
        wait_until(lambda: store.outbox_counts()["pending"] <= 300)
        live.kill()
        live.start()
        deliverer.wake.set()
    assert wait_until(lambda: not store.outbox_counts()["pending"], within=120)
    deliverer.stop()
    link.close()
    assert store.outbox_counts() == {"pending": 0, "total": 450}
    stored = [x["id"] for x in live.crossings()]
    assert len(stored) == len(set(stored)) == 450
    assert set(stored) == set(ids)
    statuses = dict(store.read().execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
    assert statuses.get("duplicate", 0) >= 100  # the first batch came back as duplicates
    assert statuses.get("invalid", 0) == 0


def test_concurrent_enrolments_and_deliveries_never_fail(live: LiveServer) -> None:
    headers = live.headers("enroller")
    assert live.org_id is not None
    photo = A.enrolment_photo.read_bytes()

    def enrol(n: int) -> int:
        response = httpx.post(
            f"{live.url}{API}/commuters",
            headers=headers,
            data=registration(live.org_id, document_number=f"C{n:07d}"),
            files={"photo": ("p.jpg", photo, "image/jpeg")},
            timeout=60,
        )
        return response.status_code

    signer = live.signer("east_to_hk")
    # Signed in advance, in order: each batch is one link of the kiosk's chain, sent at once.
    batches = [
        signer.batch([{"id": str(uuid.uuid4()), "decided_at": utcnow().isoformat(), "decision": "rejected"}])
        for _ in range(20)
    ]
    signer.send(httpx, live.url, signer.batch([]))  # registers the kiosk's key

    def deliver(n: int) -> int:
        return int(
            httpx.post(
                f"{live.url}{API}/kiosk/crossings", headers=signer.headers, json=batches[n], timeout=60
            ).status_code
        )

    with ThreadPoolExecutor(4) as pool:
        enrolled = pool.map(enrol, range(6))
        delivered = pool.map(deliver, range(20))
        assert list(enrolled) == [201] * 6
        assert list(delivered) == [200] * 20


def test_a_phone_pass_clears_offline_only_once_its_phone_activated_it(
    live: LiveServer, tmp_path: Path
) -> None:
    a, _ = live.enrol_active(A)
    issued = live.issue(a["id"], "dynamic", phone_pass=True)
    credential_id, token = passes.read_activation_link(issued["activation_link"])
    empty = tmp_path / "empty"
    write_walk_up(empty, start=0, face=None, qr_text=None, frames=0, gap=2)
    run_kiosk(live, "east_to_hk", empty)  # the kiosk holds the pass, with no key yet
    key = bytes(range(32))
    before = tmp_path / "before"
    shown = credentials.dynamic_qr_text(issued["payload"], secret=key, now=utcnow())
    write_walk_up(before, start=0, face=face(A.live_photo), qr_text=shown)
    live.kill()
    decisions, _ = run_kiosk(live, "east_to_hk", before)
    assert [(d["decision"], d["reasons"]) for d in decisions] == [("rejected", ["bad_code"])]
    live.start()
    activation = {
        "credential_id": str(credential_id),
        "token": token,
        "key": base64.b64encode(key).decode(),
        "proof_key": base64.b64encode(bytes(range(32, 64))).decode(),
    }
    assert httpx.post(f"{live.url}{API}/pass/activate", json=activation).status_code == 200
    run_kiosk(live, "east_to_hk", empty)  # one sync brings the phone's key
    live.kill()
    after = tmp_path / "after"
    shown = credentials.dynamic_qr_text(issued["payload"], secret=key, now=utcnow())
    write_walk_up(after, start=0, face=face(A.live_photo), qr_text=shown)
    decisions, _ = run_kiosk(live, "east_to_hk", after)
    assert [(d["decision"], d["reasons"], d["server_reachable"]) for d in decisions] == [
        ("cleared", [], False)
    ]


@contextmanager
def bare_x_display(width: int, height: int) -> Iterator[str]:
    """An X display with no window manager (as a kiosk computer often runs), from Xvfb; its name."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if os.environ.get("HETAO_REQUIRE_XVFB"):
            pytest.fail("Xvfb is required here: apt-get install -y xvfb")
        pytest.skip("Xvfb is not installed (apt-get install -y xvfb)")
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    with subprocess.Popen(
        [xvfb, "-displayfd", "1", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            number = server.stdout.readline().strip()
            assert number.isdigit(), "Xvfb did not start"
            yield f":{number}"
        finally:
            server.terminate()


def x_windows(display: str) -> str:
    """The display's windows as the X server has them (place, size, mapped or not), for a
    failure message."""
    xwininfo = shutil.which("xwininfo")
    if xwininfo is None:
        return "(xwininfo is not installed: apt-get install -y x11-utils)"
    listed = subprocess.run(
        [xwininfo, "-display", display, "-root", "-tree"], capture_output=True, text=True, timeout=60
    )
    windows = [line for line in listed.stdout.splitlines() if "Hetao" in line or "children" in line]
    mapped = [
        subprocess.run(
            [xwininfo, "-display", display, "-id", line.split()[0]],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        for line in listed.stdout.splitlines()
        if "Hetao" in line
    ]
    return "\n".join(windows + [line for text in mapped for line in text.splitlines() if "Map State" in line])


def test_the_kiosk_window_fills_a_display_with_no_window_manager(live: LiveServer, tmp_path: Path) -> None:
    """OpenCV's full-screen flag needs a window manager; on bare X it left a 400 x 300 window with
    grey bands. The station's window must cover the whole display, letterboxed in black."""
    width, height = 1440, 900  # 16:10, so the 16:9 screen is letterboxed
    folder = tmp_path / "nobody"
    write_walk_up(folder, start=0, face=None, qr_text=None, frames=0, gap=5)
    said = tmp_path / "kiosk-stderr.txt"
    with bare_x_display(width, height) as display, said.open("w") as stderr:
        # What the kiosk says on stderr goes to a file: a pipe nobody reads while the test waits
        # for its "started" line could fill and stop it.
        kiosk = subprocess.Popen(
            [
                HETAO,
                "kiosk",
                "--server",
                live.url,
                "--key",
                live.kiosks["east_to_hk"],
                "--source",
                str(folder),
            ],
            env={**live.env, "DISPLAY": display},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        output = Output(kiosk)
        try:
            started = output.wait_for('"event": "started"')
            assert started, said.read_text()
            assert json.loads(started)["display"]["size"] == [width, height], started
            # Nobody walks up (the folder plays over and over): the screen stays on "show your QR".
            expected = fit(render(np.zeros((480, 640, 3), np.uint8), Guidance.SHOW_QR, None), (width, height))
            scale = min(width / SIZE[0], height / SIZE[1])
            top = (height - round(SIZE[1] * scale)) // 2
            panel = (slice(top, height - top), slice(round(PANEL_X * scale) + 2, width))

            def grab() -> np.ndarray:
                return np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB")).astype(int)

            shown = grab()

            def shows_the_panel() -> bool:
                nonlocal shown
                shown = grab()
                return bool(np.abs(shown[panel] - expected[panel]).mean() < 2)

            matched = wait_until(shows_the_panel, within=120)
            OUTPUT.mkdir(parents=True, exist_ok=True)
            Image.fromarray(shown.astype(np.uint8)).save(OUTPUT / "kiosk-window.png")
            lit = np.argwhere(shown.max(axis=2) > 10)
            span = f"{lit.min(axis=0).tolist()} to {lit.max(axis=0).tolist()}" if len(lit) else "nowhere"
            assert matched, (
                "the window does not show the panel (see kiosk-window.png): panel differs by "
                f"{np.abs(shown[panel] - expected[panel]).mean():.1f} on average; lit pixels span {span}"
                f"\nkiosk said:\n{output.since()}{said.read_text()}\nX windows:\n{x_windows(display)}"
            )
        finally:
            stop(kiosk)
            output.thread.join(30)
        assert kiosk.returncode == 0, said.read_text()
    # Letterboxed in black: no grey band, no toolbar above or below; the panel reaches the edge.
    assert shown[:top].max() < 10 and shown[height - top :].max() < 10
    assert np.abs(shown[height // 2, width - 1] - np.array(COLOURS[Guidance.SHOW_QR])).max() < 4


@pytest.mark.parametrize("ending", ["the server hangs up", "ctrl-c"])
def test_the_kiosk_shows_its_screen_while_it_waits_for_the_server(tmp_path: Path, ending: str) -> None:
    """The screen comes up before the whitelist sync and the face models (seconds at a real start):
    a server that is slow to answer the first sync leaves a kiosk saying it is starting, never a
    black display. Then either the server hangs up (the kiosk, never synchronised, cannot know whom
    to clear) or the operator presses Ctrl-C (the kiosk stops at once, not when the server answers)."""
    width, height = 1280, 720
    folder = tmp_path / "nobody"
    write_walk_up(folder, start=0, face=None, qr_text=None, frames=0, gap=5)
    said = tmp_path / "kiosk-stderr.txt"
    with (
        socket.create_server(("127.0.0.1", 0)) as slow_server,
        bare_x_display(width, height) as display,
        said.open("w") as stderr,
    ):
        kiosk = subprocess.Popen(
            [
                # With Ctrl-C's default meaning: a suite started in the background (`./.ci/run &`)
                # ignores SIGINT, every process it starts inherits that through exec, and Python
                # then leaves it ignored.
                sys.executable,
                "-c",
                "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execv(sys.argv[1], sys.argv[1:])",
                HETAO,
                "kiosk",
                "--server",
                f"http://127.0.0.1:{slow_server.getsockname()[1]}",
                "--key",
                "a-kiosk-key-the-server-has-not-answered-yet",
                "--source",
                str(folder),
            ],
            env={**os.environ, "HETAO_DATA_DIR": str(tmp_path / "data"), "DISPLAY": display},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
        trickle = threading.Event()
        talker: threading.Thread | None = None
        connection: socket.socket | None = None
        try:
            slow_server.settimeout(300)
            connection, _ = slow_server.accept()  # the kiosk asks for its first whitelist page
            # The answer starts and never ends, a header line at a time, so the kiosk neither gets
            # its whitelist nor gives up waiting while the test looks at its screen.

            def answer_slowly(connection: socket.socket) -> None:
                try:
                    connection.sendall(b"HTTP/1.1 200 OK\r\n")
                    while not trickle.wait(0.5):
                        connection.sendall(b"X-Still-Thinking: yes\r\n")
                except OSError:
                    return  # the kiosk hung up (it has ended): nothing more to say

            talker = threading.Thread(target=answer_slowly, args=(connection,), daemon=True)
            talker.start()
            starting = STATUS_WORDS["en"]["starting"]
            expected = fit(
                render(np.zeros((480, 640, 3), np.uint8), Guidance.STARTING, starting), (width, height)
            )
            shown = np.zeros_like(expected, dtype=int)

            def shows_starting() -> bool:
                nonlocal shown
                shown = np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB")).astype(int)
                return bool(np.abs(shown - expected).mean() < 2)

            matched = wait_until(shows_starting, within=120)
            OUTPUT.mkdir(parents=True, exist_ok=True)
            Image.fromarray(shown.astype(np.uint8)).save(OUTPUT / "kiosk-window-starting.png")
            assert matched, (
                f"no starting screen on the display (kiosk-window-starting.png): {said.read_text()}"
                f"\nX windows:\n{x_windows(display)}"
            )
            if ending == "ctrl-c":
                kiosk.send_signal(signal.SIGINT)  # the server still trickles its answer
                assert kiosk.wait(120) == 130, said.read_text()
            else:
                trickle.set()
                talker.join(30)
                connection.close()  # no whitelist after all: the kiosk cannot know whom to clear
                assert kiosk.wait(120) == 2
                assert "never synchronised" in said.read_text()
        finally:
            trickle.set()
            if talker is not None:
                talker.join(30)
            if connection is not None:
                connection.close()
            if kiosk.poll() is None:
                kiosk.kill()
                kiosk.wait(30)


class Output:
    """A process's output lines as they come, read by a thread of their own (which closes the
    pipe at its end), so a test can wait for one with a bound."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.stdout = process.stdout
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        with self.stdout:
            for line in self.stdout:
                self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, marker: str, *, within: float = 300) -> str | None:
        """The first line holding ``marker``, if it comes before the output ends and within
        ``within`` seconds: a bound for a broken process, not an expectation of speed."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.seen.append(line)
            if marker in line:
                return line
        return None

    def since(self) -> str:
        """Every line read so far and any that came since, for a failure's message."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.seen.append(line)
        return "".join(self.seen)


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, as an operator stops the kiosk; SIGKILL if it has not ended within a minute (so a
    test never leaves it running)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
