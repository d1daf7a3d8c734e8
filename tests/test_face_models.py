"""Face models: the bundled Intel network (the default), dlib's, and an embedding network an
operator installs as a folder with a manifest, measured with ``hetao models evaluate``; an
installation with dlib's templates moved to the default with ``hetao models reencode`` while its
server and kiosks keep working.

The installed network here is one the test builds itself (a fixed random projection of the aligned
face): it proves the plumbing (alignment, normalisation, sizes, names, thresholds), not
recognition, and no weights of unclear licence enter the repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from clearance.cli.launch import HETAO
from clearance.cli.samples import FACES_DIR, SAMPLE_COMMUTERS
from clearance.core import vault
from clearance.core.face_model import DLIB, ModelManifest
from clearance.core.settings import Settings
from clearance.db.engine import make_engine, make_sessionmaker
from clearance.db.models import AuditEvent, FaceTemplate
from clearance.vision import detection, faces, images, landmarks, models
from kiosk.frames import load_photo_file, write_walk_up
from kiosk.store import LocalStore
from tests.live import run_kiosk, running_servers
from tests.support import API, frame_jpeg

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]
TINY = "tiny-projection-16"


def build_model(folder: Path, *, size: int = 16, input_size: int = 112, **manifest: Any) -> Path:
    """A folder with a small ONNX network (a convolution as wide as the image: a fixed random
    projection to ``size`` floats) and its manifest."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    weight = np.random.default_rng(7).normal(0, 1, (size, 3, input_size, input_size)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["image", "weight"], ["projected"]),
            helper.make_node("Flatten", ["projected"], ["embedding"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, input_size, input_size])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", size])],
        [numpy_helper.from_array(weight, "weight")],
    )
    network = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    network.ir_version = 8
    onnx.save(network, str(folder / "model.onnx"))
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "name": TINY,
                "sha256": hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest(),
                "input_size": input_size,
                "embedding_size": size,
                "licence": "made by the test itself",
                **manifest,
            }
        )
    )
    return folder


DETECTOR = detection.detector("ssd")
POINTS = landmarks.shared()


def face(path: Path) -> tuple[images.RGBImage, faces.Box]:
    image = images.decode_image(path.read_bytes(), max_pixels=50_000_000)
    (box, *_rest) = DETECTOR.detect(image, max_side=1000)
    return image, box


def test_alignment_puts_eyes_nose_and_mouth_where_the_models_expect_them() -> None:
    image, box = face(A.enrolment_photo)
    points = POINTS.five_points(image, box)
    # Eyes above the nose above the mouth, left before right: the landmarks are the right ones.
    assert points[0, 0] < points[1, 0] and points[3, 0] < points[4, 0]
    assert points[:2, 1].max() < points[2, 1] < points[3:, 1].min()
    # A face that is the reference turned, scaled and moved is put back exactly...
    angle = np.radians(20)
    turned_points = 3 * models.ARCFACE_POINTS @ np.array(
        [[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], dtype=np.float32
    ) + np.float32([250, 40])
    matrix = models.similarity(turned_points, models.ARCFACE_POINTS)
    assert np.allclose(turned_points @ matrix[:, :2].T + matrix[:, 2], models.ARCFACE_POINTS, atol=1e-3)
    # ...and a real face as nearly as its own proportions allow.
    matrix = models.similarity(points, models.ARCFACE_POINTS)
    errors = np.linalg.norm(points @ matrix[:, :2].T + matrix[:, 2] - models.ARCFACE_POINTS, axis=1)
    assert errors.mean() < 5, errors
    aligned = models.align(image, points, 112)
    assert aligned.shape == (112, 112, 3)

    # The same face turned 12 degrees gives the same aligned crop, give or take resampling.
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 12, 1.0)
    turned = np.ascontiguousarray(cv2.warpAffine(image, turn, (width, height)))
    (turned_box, *_rest) = DETECTOR.detect(turned, max_side=1000)
    turned_aligned = models.align(turned, POINTS.five_points(turned, turned_box), 112)
    other_image, other_box = face(B.enrolment_photo)
    other = models.align(other_image, POINTS.five_points(other_image, other_box), 112)

    def difference(x: images.RGBImage, y: images.RGBImage) -> float:
        return float(np.abs(x.astype(float) - y.astype(float))[20:100, 20:100].mean())

    assert difference(aligned, turned_aligned) < difference(aligned, other) / 2


def test_an_installed_model_encodes_a_face_as_a_unit_vector_of_its_manifest_size(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model")
    model = models.NetworkModel(folder, ModelManifest.read(folder))
    image, box = face(A.enrolment_photo)
    encoding = model.encode(image, box)
    assert encoding.shape == (16,) and encoding.dtype == np.float32
    assert abs(float(np.linalg.norm(encoding)) - 1) < 1e-5
    assert faces.template_distance(encoding, model.encode(image, box)) < 1e-3
    other = model.encode(*face(B.enrolment_photo))
    assert faces.template_distance(encoding, other) > 0.01
    # Encodings of any size go through storage and matching alike.
    stored = faces.encoding_from_bytes(faces.encoding_to_bytes(np.stack([encoding, other])), size=16)
    assert stored.shape == (2, 16)
    index = faces.GalleryIndex([stored[:1], stored[1:]])
    assert index.nearest(other)[0] == 1

    bgr = build_model(tmp_path / "bgr", channels="BGR", mean=[0, 0, 0], std=[255, 255, 255])
    assert models.NetworkModel(bgr, ModelManifest.read(bgr)).preprocess(image[:112, :112])[0, 0].max() <= 1.0


def test_a_broken_model_folder_says_what_is_wrong(tmp_path: Path) -> None:
    image, box = face(A.enrolment_photo)
    with pytest.raises(ValueError, match=r"manifest\.json does not exist"):
        models.load(str(tmp_path / "nothing"))

    wrong_size = build_model(tmp_path / "size", embedding_size=32)
    with pytest.raises(ValueError, match="gave 16 floats; its manifest says embedding_size 32"):
        models.NetworkModel(wrong_size, ModelManifest.read(wrong_size)).encode(image, box)

    altered = build_model(tmp_path / "altered")
    (altered / "model.onnx").write_bytes((altered / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(ValueError, match="sha256 differs"):
        models.NetworkModel(altered, ModelManifest.read(altered)).load()

    for bad, message in (
        ({"name": DLIB}, "give this model its own"),
        ({"licence": ""}, "licence"),
        ({"std": [1, 0, 1]}, "std must be positive"),
    ):
        folder = build_model(tmp_path / f"bad{len(message)}", **bad)
        with pytest.raises(ValueError, match=message):
            ModelManifest.read(folder)

    # A model nobody has measured is not used: its distances mean nothing yet.
    unmeasured = build_model(tmp_path / "unmeasured")
    with pytest.raises(ValidationError, match="hetao models evaluate"):
        Settings(face_model=str(unmeasured))


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HETAO, *args], env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.slow
def test_an_operator_measures_an_installed_model_and_writes_its_thresholds(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
    env["HETAO_DATA_DIR"] = str(tmp_path / "data")
    measured = run(["models", "evaluate", "--model", str(folder), "--faces", str(FACES_DIR)], env)
    assert measured.returncode == 0, measured.stderr
    assert "7 photos, 7 with a face (0 without), 4 people" in measured.stdout
    assert "false accepts" in measured.stdout and "nothing written" in measured.stdout
    assert ModelManifest.read(folder).thresholds is None
    too_few = run(["models", "evaluate", "--model", str(folder), "--faces", str(FACES_DIR), "--write"], env)
    assert too_few.returncode != 0 and "4 people is too few" in too_few.stderr
    written = run(
        [
            "models",
            "evaluate",
            "--model",
            str(folder),
            "--faces",
            str(FACES_DIR),
            "--write",
            "--min-people",
            "2",
        ],
        env,
    )
    assert written.returncode == 0, written.stderr
    manifest = ModelManifest.read(folder)
    assert manifest.thresholds is not None and manifest.measured is not None
    assert manifest.measured["people"] == 4
    # Measured, it may be used.
    assert Settings(face_model=str(folder)).match_threshold == manifest.thresholds.match_threshold


@pytest.mark.slow
def test_an_installation_with_dlib_templates_moves_to_the_default_model_while_it_serves(
    tmp_path: Path,
) -> None:
    with running_servers(tmp_path, "face_models", face_model="dlib") as (server,):
        commuter, credential = server.enrol_active(A)
        kiosk = {"Authorization": f"Bearer {server.kiosks['east_to_hk']}"}
        frames = tmp_path / "frames"
        write_walk_up(frames, start=0, face=load_photo_file(A.live_photo), qr_text=credential["payload"])

        server.kill()
        del server.settings["face_model"]  # the default: Intel's network
        server.start()
        intel = models.load("intel").name

        def verify() -> dict[str, Any]:
            answer = httpx.post(
                f"{server.url}{API}/kiosk/verify",
                headers=kiosk,
                files={"frame": ("f.jpg", frame_jpeg(A.live_photo, credential["payload"]), "image/jpeg")},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        # A template dlib made cannot be compared with the new model's encodings: an officer
        # looks until it is made again, never a decision on a wrong comparison.
        before = verify()
        assert (before["decision"], before["reasons"]) == ("refer", ["template_outdated"])
        # So does a kiosk running the new model, from its own copy of the whitelist.
        decisions, _ = run_kiosk(server, "east_to_hk", frames)
        assert [(d["decision"], d["reasons"]) for d in decisions] == [("refer", ["template_outdated"])]

        remade = run(["models", "reencode", "--batch", "1"], server.env)
        assert remade.returncode == 0, remade.stderr
        assert f"re-made 1 templates with {intel}; 0 left by another model" in remade.stdout
        again = run(["models", "reencode"], server.env)
        assert "re-made 0 templates" in again.stdout

        after = verify()
        assert after["decision"] == "cleared", after
        # The kiosk fetches the new template at its next sync (and A, now in Hong Kong, goes back).
        decisions, _ = run_kiosk(server, "west_to_sz", frames)
        assert [(d["decision"], d["reasons"]) for d in decisions] == [("cleared", [])]
        feed = httpx.get(f"{server.url}{API}/kiosk/whitelist", params={"since": 0}, headers=kiosk).json()
        (entry,) = [e for e in feed["entries"] if e["commuter_id"] == commuter["id"]]
        assert entry["model"] == intel
        assert len(np.frombuffer(base64.b64decode(entry["template"]), "<f4")) == 256

        engine = make_engine(server.database_url)
        with make_sessionmaker(engine)() as session:
            assert session.scalars(select(FaceTemplate.model)).all() == [intel]
            (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "remake_template")).all()
            assert str(event.object_id) == commuter["id"]
            assert event.detail == f"{DLIB} -> {intel}"
        engine.dispose()


def test_a_kiosk_store_from_before_face_models_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    key = vault.DataKey(os.urandom(32))
    LocalStore(path, data_key=key)
    with sqlite3.connect(path) as db:  # as a kiosk of schema 1 left it: names kept, no model
        db.execute("DROP TABLE whitelist")
        db.execute(
            "CREATE TABLE whitelist (commuter_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
            "full_name TEXT NOT NULL, valid_until TEXT NOT NULL, face_only INTEGER NOT NULL, "
            "sealed_template BLOB NOT NULL, last_side TEXT, last_crossed_at TEXT)"
        )
        db.execute(
            "CREATE TABLE credentials (id TEXT PRIMARY KEY, commuter_id TEXT NOT NULL REFERENCES "
            "whitelist(commuter_id) ON DELETE CASCADE, kind TEXT NOT NULL, revoked INTEGER NOT NULL, "
            "expires_at TEXT NOT NULL, sealed_secret BLOB)"
        )
        db.execute(
            "INSERT INTO whitelist VALUES ('00000000-0000-0000-0000-000000000001', 1, 'A Name', "
            "'2030-01-01', 1, x'00', NULL, NULL)"
        )
        db.execute(
            "INSERT INTO credentials VALUES ('00000000-0000-0000-0000-00000000000c', "
            "'00000000-0000-0000-0000-000000000001', 'static', 1, '2030-01-01T00:00:00+00:00', NULL)"
        )
        dynamic = "00000000-0000-0000-0000-00000000000d"
        secret = vault.seal(key, b"code key", context=f"kiosk.secret:{dynamic}".encode())
        db.execute(
            "INSERT INTO credentials VALUES (?, '00000000-0000-0000-0000-000000000001', 'dynamic', 0, "
            "'2030-01-01T00:00:00+00:00', ?)",
            (dynamic, secret),
        )
        db.execute("PRAGMA user_version = 1")
    store = LocalStore(path, data_key=key, model=TINY, model_size=16)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
        assert db.execute("SELECT model FROM whitelist").fetchall() == [(DLIB,)]
        # Schema 4 keeps a commuter's credentials in their row.
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "credentials" not in tables
        # A kiosk keeps no names: the column is gone, and its bytes with it.
        columns = [row[1] for row in db.execute("PRAGMA table_info(whitelist)")]
        assert "full_name" not in columns
    assert b"A Name" not in path.read_bytes()
    # The kiosk runs another model now: the old template is kept but not opened for matching.
    entry = store.commuter(uuid.UUID(int=1))
    assert entry is not None and entry.template is None
    credential = store.credential(uuid.UUID(int=12), holder_id=uuid.UUID(int=1))
    assert credential is not None and (credential.kind, credential.revoked, credential.secret) == (
        "static",
        True,
        None,
    )
    held = store.credential(uuid.UUID(dynamic), holder_id=uuid.UUID(int=1))
    assert held is not None and (held.kind, held.revoked, held.secret) == ("dynamic", False, b"code key")
    assert store.face_only_gallery().commuter_ids == []
