"""`hetao keys rotate`: a new data key, everything re-sealed with it, while a server keeps serving."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from clearance.cli.launch import HETAO
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import vault
from clearance.custody import rekey
from clearance.db.engine import make_engine, make_sessionmaker
from clearance.db.models import FaceTemplate
from tests.live import LiveServer, running_servers
from tests.support import API, frame_jpeg

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]


def test_a_retired_key_still_opens_what_it_sealed_and_an_unknown_one_does_not() -> None:
    old, new = bytes(range(32)), bytes(range(1, 33))
    blob = vault.seal(vault.DataKey(old), b"template", context=b"row")
    assert vault.unseal(vault.DataKey(new, retired=(old,)), blob, context=b"row") == b"template"
    with pytest.raises(vault.SealError, match="does not have"):
        vault.unseal(vault.DataKey(new), blob, context=b"row")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with running_servers(tmp_path, "keys_rotate") as (server,):
        yield server


def key_ids(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        found = set(session.scalars(select(func.substr(FaceTemplate.sealed_encoding, 2, 4))).all())
    engine.dispose()
    return {bytes(key_id).hex() for key_id in found}


@pytest.mark.slow
def test_rotation_reseals_everything_while_the_server_keeps_serving(live: LiveServer) -> None:
    commuter, credential = live.enrol_active(A)
    live.issue(commuter["id"], kind="dynamic")
    (old_id,) = key_ids(live.database_url)

    rotated = subprocess.run(
        [HETAO, "keys", "rotate"], env=live.env, capture_output=True, text=True, check=False
    )
    assert rotated.returncode == 0, rotated.stderr
    (summary,) = [line for line in rotated.stdout.splitlines() if line.startswith("re-sealed ")]
    for field in (
        "face_templates.sealed_encoding",
        "face_templates.sealed_reference_photo",
        "credentials.sealed_secret",
        "commuters.sealed_document_number",
    ):
        assert f"1 {field}" in summary, rotated.stdout
    (new_id,) = key_ids(live.database_url)
    assert new_id != old_id
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        assert set(rekey.count_stale(session, key_id=bytes.fromhex(new_id)).values()) == {0}
    engine.dispose()

    # The same server process, never restarted, opens everything under the new key...
    officer = live.headers("officer")
    read = httpx.get(f"{live.url}{API}/commuters/{commuter['id']}", headers=officer)
    assert read.json()["document_number"] == commuter["document_number"]
    photo = httpx.get(
        f"{live.url}{API}/commuters/{commuter['id']}/photo?purpose=identity_check", headers=officer
    )
    assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
    kiosk = {"Authorization": f"Bearer {live.kiosks['east_to_hk']}"}
    result = httpx.post(
        f"{live.url}{API}/kiosk/verify",
        headers=kiosk,
        files={"frame": ("f.jpg", frame_jpeg(A.live_photo, credential["payload"]), "image/jpeg")},
        timeout=30,
    ).json()
    assert result["decision"] == "cleared"
    feed = httpx.get(f"{live.url}{API}/kiosk/whitelist", params={"since": 0}, headers=kiosk).json()
    assert any(c["secret"] for e in feed["entries"] for c in e["credentials"])
    # ...and seals what is new with it.
    live.enrol_active(B)
    assert key_ids(live.database_url) == {new_id}

    finished = subprocess.run(
        [HETAO, "keys", "rotate", "--delete-retired"],
        env=live.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert not list((live.data_dir / "keys").glob("data-retired-*.key"))
    assert httpx.get(f"{live.url}{API}/commuters/{commuter['id']}", headers=officer).status_code == 200
