"""The face detectors side by side: Intel's SSD (face-detection-retail-0004) against dlib's HOG, on
the photos the product meets.

- ``calibration`` (LFW, 250 px news photos, one person centred, sometimes a bystander): photos in
  which the centred face is found, at the enrolment working size.
- ``dev`` (camera-quality photos, one face each): exactly one face found, none, or several.
- ``special`` (masks, sunglasses, several faces, no face, tiny faces, a hard pose): faces found
  per category, at the enrolment working size.
- kiosk frames: every ``dev`` photo placed in a 640 x 480 frame so the face is 320, 160, 100 and 70
  px tall (the kiosk needs 80), upright and turned in the image plane by 20 and 35 degrees, searched
  at the kiosk's working size (``HETAO_DETECTION_MAX_SIDE``); and frames with nobody in them (a
  card with a QR code, a plain wall, a textured one): false faces.
- the cost of one kiosk frame (median ms), and how large each detector's box is against HOG's on
  the same faces (the ratio of heights), which sets what is measured on boxes.

    uv run python -m bench.detectors [--faces DIR] [--dev DIR] [--special DIR] [--every 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import emit, table
from bench.faceset import CALIBRATION, DEV, SHARED
from clearance.core.settings import Settings
from clearance.vision import detection, images
from clearance.vision.evaluation import Rate, labelled_photos
from clearance.vision.faces import ENROLMENT_DETECTION_SIDE, Box
from kiosk.frames import compose_frame

SPECIAL = SHARED / "special"
FACE_HEIGHTS = (320, 160, 100, 70)
TURNS = (0, 20, 35)


def load(path: Path) -> images.RGBImage:
    return images.decode_image(path.read_bytes(), max_pixels=60_000_000)


def centred(boxes: list[Box], image: images.RGBImage) -> bool:
    """Whether a box holds the image's centre (LFW's photos are centred on their person)."""
    height, width = image.shape[:2]
    return any(
        left <= width / 2 <= right and top <= height / 2 <= bottom for top, right, bottom, left in boxes
    )


def place(photo: images.RGBImage, box: Box, *, face_px: int, turn: int) -> tuple[images.RGBImage, Box]:
    """``photo`` scaled so the face in ``box`` is ``face_px`` tall, turned by ``turn`` degrees about
    the face, in a 640 x 480 grey frame with the face at its centre; the face's box in the frame."""
    top, right, bottom, left = box
    scale = face_px / max(1, bottom - top)
    centre = ((left + right) / 2, (top + bottom) / 2)
    matrix = cv2.getRotationMatrix2D(centre, turn, scale)
    matrix[:, 2] += np.array([320.0, 240.0]) - np.array(centre)
    frame = cv2.warpAffine(photo, matrix, (640, 480), flags=cv2.INTER_AREA, borderValue=(96, 96, 96))
    half_w, half_h = (right - left) * scale / 2, face_px / 2
    placed = (round(240 - half_h), round(320 + half_w), round(240 + half_h), round(320 - half_w))
    return np.asarray(frame, dtype=np.uint8), placed


def overlaps(found: list[Box], truth: Box) -> bool:
    """Whether a found box covers at least half of the true one."""
    t_top, t_right, t_bottom, t_left = truth
    area = max(1, (t_bottom - t_top) * (t_right - t_left))
    for top, right, bottom, left in found:
        w = max(0, min(right, t_right) - max(left, t_left))
        h = max(0, min(bottom, t_bottom) - max(top, t_top))
        if w * h >= 0.5 * area:
            return True
    return False


def empty_frames() -> list[images.RGBImage]:
    """Frames with nobody in them: a card held up, a plain wall, a textured one, noise."""
    rng = np.random.default_rng(3)
    card = compose_frame(face=None, qr_text="HC1:" + "A" * 160)
    wall = np.full((480, 640, 3), (182, 170, 150), dtype=np.uint8)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    noise = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    shifted = [np.roll(card, shift, axis=1) for shift in (-120, 120)]
    return [card, wall, np.asarray(texture, dtype=np.uint8), noise, *shifted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--special", type=Path, default=SPECIAL)
    parser.add_argument("--every", type=int, default=1, help="use every n-th calibration photo")
    args = parser.parse_args()
    settings = Settings()
    working = settings.detection_max_side
    detectors = {name: detection.detector(name) for name in detection.NAMES}
    for found in detectors.values():
        found.load()
    results: dict[str, dict[str, Any]] = {name: {} for name in detectors}

    calibration = labelled_photos(args.faces)[:: args.every]
    for name, detector in detectors.items():
        hits = sum(
            centred(detector.detect(photo, max_side=ENROLMENT_DETECTION_SIDE), photo)
            for photo in (load(p) for p in calibration)
        )
        results[name]["calibration_missed"] = Rate(len(calibration) - hits, len(calibration)).json()

    dev = [load(p) for p in labelled_photos(args.dev)]
    for name, detector in detectors.items():
        counts = [len(detector.detect(photo, max_side=ENROLMENT_DETECTION_SIDE)) for photo in dev]
        results[name]["dev_none"] = Rate(sum(c == 0 for c in counts), len(counts)).json()
        results[name]["dev_several"] = Rate(sum(c > 1 for c in counts), len(counts)).json()

    special: dict[str, list[images.RGBImage]] = {}
    if args.special.is_dir():
        for folder in sorted(p for p in args.special.iterdir() if p.is_dir()):
            special[folder.name] = [load(p) for p in sorted(folder.iterdir()) if p.suffix == ".jpg"]
    for name, detector in detectors.items():
        results[name]["special_faces_found"] = {
            category: [len(detector.detect(photo, max_side=ENROLMENT_DETECTION_SIDE)) for photo in photos]
            for category, photos in special.items()
        }

    # The reference: each dev photo's face as either detector finds it at full size (HOG first).
    reference = []
    for photo in dev:
        boxes = detectors["hog"].detect(photo, max_side=ENROLMENT_DETECTION_SIDE) or detectors["ssd"].detect(
            photo, max_side=ENROLMENT_DETECTION_SIDE
        )
        if len(boxes) == 1:
            reference.append((photo, boxes[0]))
    ratios: dict[str, list[float]] = {name: [] for name in detectors}
    for photo, _box in reference:
        hog = detectors["hog"].detect(photo, max_side=ENROLMENT_DETECTION_SIDE)
        ssd = detectors["ssd"].detect(photo, max_side=ENROLMENT_DETECTION_SIDE)
        if len(hog) == 1 and len(ssd) == 1:
            ratios["ssd"].append((ssd[0][2] - ssd[0][0]) / max(1, hog[0][2] - hog[0][0]))
    results["hog"]["box_height_vs_hog"] = 1.0
    results["ssd"]["box_height_vs_hog"] = (
        round(statistics.median(ratios["ssd"]), 3) if ratios["ssd"] else None
    )

    for name, detector in detectors.items():
        by_size: dict[str, Any] = {}
        times = []
        for face_px in FACE_HEIGHTS:
            for turn in TURNS:
                hits = 0
                for photo, box in reference:
                    frame, truth = place(photo, box, face_px=face_px, turn=turn)
                    started = time.perf_counter()
                    found = detector.detect(frame, max_side=working)
                    times.append((time.perf_counter() - started) * 1000)
                    hits += overlaps(found, truth)
                by_size[f"{face_px}px_turned_{turn}"] = Rate(len(reference) - hits, len(reference)).json()
        results[name]["kiosk_missed"] = by_size
        results[name]["kiosk_ms_median"] = round(statistics.median(times), 2)
        empties = empty_frames()
        false = sum(len(detector.detect(frame, max_side=working)) for frame in empties)
        results[name]["false_faces_in_empty_frames"] = {"faces": false, "frames": len(empties)}

    emit(
        {
            "benchmark": "detectors",
            "working_side": working,
            "calibration_photos": len(calibration),
            "dev_photos": len(dev),
            "kiosk_faces": len(reference),
            "detectors": results,
        }
    )

    def pct(rate: dict[str, Any]) -> str:
        return f"{rate['rate']:.1%} ({rate['errors']}/{rate['trials']})"

    rows = [
        ("calibration: centred face missed", *(pct(results[n]["calibration_missed"]) for n in detectors)),
        ("dev: no face found", *(pct(results[n]["dev_none"]) for n in detectors)),
        ("dev: several faces found", *(pct(results[n]["dev_several"]) for n in detectors)),
    ]
    for face_px in FACE_HEIGHTS:
        for turn in TURNS:
            key = f"{face_px}px_turned_{turn}"
            missed = [pct(results[n]["kiosk_missed"][key]) for n in detectors]
            rows.append((f"kiosk frame, face {face_px} px, turned {turn}°: missed", *missed))
    rows.append(
        (
            "false faces in empty frames",
            *(
                f"{results[n]['false_faces_in_empty_frames']['faces']} in "
                f"{results[n]['false_faces_in_empty_frames']['frames']}"
                for n in detectors
            ),
        )
    )
    rows.append(("kiosk frame, ms (median)", *(str(results[n]["kiosk_ms_median"]) for n in detectors)))
    rows.append(("box height against HOG's", *(str(results[n]["box_height_vs_hog"]) for n in detectors)))
    for category in special:
        counts = [" ".join(map(str, results[n]["special_faces_found"][category])) for n in detectors]
        rows.append((f"special/{category}: faces found per photo", *counts))
    table(f"Face detectors (kiosk working size {working} px)", rows, ("", *detectors))


if __name__ == "__main__":
    main()
