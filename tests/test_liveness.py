"""A live person, not a picture: the liveness check on the server's verify, at enrolment, in the
reasons and metrics, and in the operator's calibration command.

The real detector (the MiniFASNet networks) on camera photos presented as the frame, and on
those photos re-presented as a phone screen or a print (``kiosk.scenes``); nothing mocked.
"""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from clearance.cli.main import main
from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS
from clearance.core.reasons import Reason
from clearance.core.settings import Settings
from clearance.http import i18n
from clearance.vision import faces, images, liveness
from kiosk import scenes
from kiosk.frames import compose_frame, load_photo_file
from tests.pages import sign_in
from tests.support import API, METRICS, World, enrol_active, post_commuter, verify_frame

A, B, C = SAMPLE_COMMUTERS


def jpeg(image: images.RGBImage) -> bytes:
    return images.encode_jpeg(image, quality=90)


def test_the_detector_tells_the_person_from_their_picture() -> None:
    settings = Settings()
    model = liveness.shared()
    for sample in (A, B, C):
        photo = load_photo_file(sample.live_photo)
        person = compose_frame(face=photo, qr_text=None)
        phone = scenes.attack(scenes.Attack.PHONE, photo, qr_text=None, seed=2)
        (person_box,) = faces.detect_faces(person, max_side=settings.detection_max_side)
        (phone_box,) = faces.detect_faces(phone, max_side=settings.detection_max_side)
        assert model.score(person, person_box) >= settings.liveness_threshold, sample.label
        assert model.score(phone, phone_box) < settings.liveness_attack_threshold, sample.label


def test_context_crop_moves_inside_the_frame_for_a_face_at_the_edge() -> None:
    frame = compose_frame(face=load_photo_file(A.live_photo), qr_text=None)
    height, width = frame.shape[:2]
    # A 100 px face in the top-left corner: its 2.7x square (270 px) would stick out of the
    # frame; it is moved inside, so the network sees real surroundings, never black padding.
    crop = liveness.context_crop(frame, (10, 120, 110, 20), scale=2.7)
    expected = cv2.resize(frame[0:270, 0:270], (liveness.INPUT_SIDE, liveness.INPUT_SIDE))
    assert crop.shape == (1, 3, liveness.INPUT_SIDE, liveness.INPUT_SIDE)
    assert abs(crop[0].transpose(1, 2, 0)[:, :, ::-1] - expected).max() <= 1
    # A box larger than the frame allows is shrunk to the frame, never beyond it.
    whole = liveness.context_crop(frame, (0, width, height, 0), scale=4.0)
    assert whole.shape == (1, 3, liveness.INPUT_SIDE, liveness.INPUT_SIDE)


def metric(text: str, line_start: str) -> float:
    """The value of the sample whose line starts with ``line_start`` (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_phone_held_up_with_the_commuters_card_is_rejected(client: TestClient, world: World) -> None:
    commuter, credential = enrol_active(client, world, A)
    photo = load_photo_file(A.live_photo)
    attacks = 'hetao_decision_reasons_total{reason="presentation_attack",source="server"}'
    before = client.get("/metrics", headers=METRICS).text
    attack = scenes.attack(scenes.Attack.PHONE, photo, qr_text=credential["payload"], seed=1)
    result = verify_frame(client, world, jpeg(attack)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["presentation_attack"])
    assert result["commuter_id"] == commuter["id"]
    # The commuter in person, a moment later, is cleared: the attack did not use their passage.
    person = compose_frame(face=photo, qr_text=credential["payload"])
    assert verify_frame(client, world, jpeg(person)).json()["decision"] == "cleared"
    after = client.get("/metrics", headers=METRICS).text
    assert metric(after, attacks) - metric(before, attacks) == 1
    scored = "hetao_liveness_score_count"
    assert metric(after, scored) - metric(before, scored) == 2
    crossings = client.get(f"{API}/crossings", headers=world.officer.headers).json()
    assert ["presentation_attack"] in [c["reasons"] for c in crossings]


def test_a_print_held_up_is_not_cleared(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, C)
    photo = load_photo_file(C.live_photo)
    attack = scenes.attack(scenes.Attack.PRINT, photo, qr_text=credential["payload"], seed=1)
    result = verify_frame(client, world, jpeg(attack)).json()
    assert result["decision"] != "cleared"
    assert result["reasons"][0] in ("presentation_attack", "liveness_uncertain")


def test_an_impostor_is_still_a_face_mismatch_not_an_attack(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, A)
    frame = compose_frame(face=load_photo_file(IMPOSTOR_PHOTO), qr_text=credential["payload"])
    result = verify_frame(client, world, jpeg(frame)).json()
    assert (result["decision"], result["reasons"]) == ("rejected", ["face_mismatch"])


def test_enrolment_refuses_a_photo_of_a_screen_and_takes_a_tight_crop_unjudged(
    client: TestClient, world: World
) -> None:
    photo = load_photo_file(B.enrolment_photo)
    screen = scenes.attack(scenes.Attack.PHONE, photo, qr_text=None, seed=2)
    refused = post_commuter(client, world.enroller_a, world.org_a, jpeg(screen))
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["check"] == "presentation_attack"
    assert "screen" in body["detail"]
    # A crop of just the face: nothing around it for the liveness check to judge. It is taken
    # unjudged, for the approving officer to compare (below), not refused.
    (top, right, bottom, left) = faces.detect_faces(photo, max_side=faces.ENROLMENT_DETECTION_SIDE)[0]
    tight = photo[top:bottom, left:right]
    unjudged = post_commuter(client, world.enroller_a, world.org_a, jpeg(tight))
    assert unjudged.status_code == 201, unjudged.text
    assert unjudged.json()["photo_quality"]["liveness"] is None
    # The photo itself is accepted.
    accepted = post_commuter(client, world.enroller_a, world.org_a, B.enrolment_photo)
    assert accepted.status_code == 201, accepted.text


def test_an_id_style_crop_is_accepted_unjudged_and_the_approving_officer_is_told(
    client: TestClient, page_client: TestClient, world: World
) -> None:
    photo = load_photo_file(B.enrolment_photo)
    (top, right, bottom, left) = faces.detect_faces(photo, max_side=faces.ENROLMENT_DETECTION_SIDE)[0]
    # A passport-style crop (35 x 45): the face about three quarters of the height.
    height = round((bottom - top) / 0.75)
    width = round(height * 35 / 45)
    y = max(0, (top + bottom) // 2 - height // 2)
    x = max(0, (left + right) // 2 - width // 2)
    crop = photo[y : y + height, x : x + width]
    accepted = post_commuter(client, world.enroller_a, world.org_a, jpeg(crop))
    assert accepted.status_code == 201, accepted.text
    commuter = accepted.json()
    read = client.get(f"{API}/commuters/{commuter['id']}", headers=world.officer.headers).json()
    assert read["photo_quality"]["face_px"] / crop.shape[0] > 0.6, read["photo_quality"]
    assert read["photo_quality"]["photos"][0]["liveness"] is None  # not judged
    csrf = sign_in(page_client, "officer")
    # The registration page's photo check says so at once, and what would avoid it.
    checked = page_client.post(
        "/register/check-photo",
        files={"photo": ("p.jpg", jpeg(crop), "image/jpeg")},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert checked["ok"] is True and checked["title"] == "Accepted as an ID-style photo."
    assert "head and shoulders" in checked["advice"]
    evidence = page_client.get(f"/queue/registrations/{commuter['id']}").text
    assert (
        'id="unjudged"' in evidence
        and "Photo 1: an ID-style crop the liveness check could not judge" in evidence
    )
    # A photo with the head and shoulders is judged, and its evidence carries no such warning.
    judged = post_commuter(client, world.enroller_a, world.org_a, B.enrolment_photo)
    assert judged.status_code == 201, judged.text
    read = client.get(f"{API}/commuters/{judged.json()['id']}", headers=world.officer.headers).json()
    assert read["photo_quality"]["photos"][0]["liveness"] > 0
    assert 'id="unjudged"' not in page_client.get(f"/queue/registrations/{judged.json()['id']}").text


def test_every_reason_reads_in_three_languages() -> None:
    for reason in Reason:
        # English shows the code itself where it is already a word ("revoked").
        assert reason.value in i18n.ENGLISH or "_" not in reason.value, reason
        zh_hant, zh_hans = i18n.MESSAGES[reason.value]
        assert zh_hant and zh_hans, reason


@pytest.mark.slow
def test_operator_calibrates_on_recordings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bona_fide, attacks = tmp_path / "bona_fide", tmp_path / "attacks"
    photos = [load_photo_file(s.live_photo) for s in SAMPLE_COMMUTERS]
    photos += [load_photo_file(s.enrolment_photo) for s in SAMPLE_COMMUTERS]
    # Each bona fide recording: a folder of two frames of one person; 24 recordings.
    for n in range(24):
        recording = bona_fide / f"person{n:02d}"
        recording.mkdir(parents=True)
        for k in range(2):
            frame = scenes.person(photos[n % len(photos)], qr_text=None, seed=100 * n + k)
            cv2.imwrite(str(recording / f"{k}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    # Attacks: a video per phone replay, single images for prints.
    (attacks / "phone").mkdir(parents=True)
    (attacks / "print").mkdir(parents=True)
    for n, photo in enumerate(photos):
        writer = cv2.VideoWriter(
            str(attacks / "phone" / f"replay{n}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480)
        )
        for k in range(2):
            frame = scenes.attack(scenes.Attack.PHONE, photo, qr_text=None, seed=10 * n + k)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()
        frame = scenes.attack(scenes.Attack.PRINT, photo, qr_text=None, seed=n)
        cv2.imwrite(str(attacks / "print" / f"print{n}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    assert (
        main(["liveness", "calibrate", "--bona-fide", str(bona_fide), "--attacks", str(attacks), "--json"])
        == 0
    )
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    current = figures["current"]
    assert current["bpcer"]["trials"] == 24
    assert current["apcer"]["phone"]["trials"] == len(photos)
    assert current["apcer"]["print"]["trials"] == len(photos)
    # Most phone replays of these photos are caught at the thresholds in use.
    assert current["apcer"]["phone"]["errors"] < len(photos) / 2
    chosen = figures["chosen"]["thresholds"]
    assert chosen["attack"] <= chosen["live"]
    assert f"HETAO_LIVENESS_THRESHOLD={chosen['live']}" in out
    # The thresholds it suggests keep live people within the goal on these recordings.
    assert figures["chosen"]["bpcer"]["rate"] <= 0.05


def test_calibration_refuses_folders_without_recordings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert (
        main(["liveness", "calibrate", "--bona-fide", str(tmp_path / "empty"), "--attacks", str(tmp_path)])
        == 2
    )
    assert "recordings" in capsys.readouterr().err


def test_the_liveness_networks_give_on_openvino_what_they_give_on_onnxruntime() -> None:
    """The thresholds were calibrated on onnxruntime's outputs; OpenVINO (the product's runtime,
    with its f32 hint) must give the same logits on real faces, not merely similar scores."""
    onnxruntime = pytest.importorskip("onnxruntime")
    model = liveness.shared()
    for sample in SAMPLE_COMMUTERS:
        image = load_photo_file(sample.live_photo)
        (box,) = faces.detect_faces(image, max_side=1000)
        for network, scale in model.networks:
            batch = liveness.context_crop(image, box, scale=scale)
            session = onnxruntime.InferenceSession(str(network.path), providers=["CPUExecutionProvider"])
            (reference,) = session.run(None, {session.get_inputs()[0].name: batch})
            assert np.allclose(network.infer(batch), reference, atol=1e-4, rtol=1e-5)
