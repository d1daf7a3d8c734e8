"""Finding faces in an image: Intel's SSD face detector (face-detection-retail-0004, the default)
or dlib's HOG detector, chosen by ``HETAO_FACE_DETECTOR`` (``bench/detectors.py`` measured both).

Boxes are ``(top, right, bottom, left)`` in pixels of the image given, clipped to it, largest
first. Both detectors look at a copy at most ``max_side`` pixels long: the kiosk's frames at its
working size, enrolment photos at ``ENROLMENT_DETECTION_SIDE``.

    boxes = detection.detector("ssd").detect(image, max_side=320)

Boxes mean the same whichever detector found them: the SSD's, larger than HOG's (they take in the
forehead and chin that HOG leaves out), are mapped to HOG's geometry (``hog_like``), on which what
is measured on a box (the smallest face, a face too close, the liveness crop) was calibrated.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from clearance.vision import faces
from clearance.vision.faces import Box
from clearance.vision.images import RGBImage, shrink
from clearance.vision.runtime import Network

INTEL = Path(__file__).resolve().parent / "weights" / "intel"
SSD_FILE = "face-detection-retail-0004.xml"
SSD_SHA256 = "89349ce12dd21c5263fb302cd3ffd4b73c35ea12ed98aff863d03a2cf3a32464"
SSD_SIDE = 300
SSD_CONFIDENCE = 0.6
"""A detection at or above this confidence is a face (``bench/detectors.py``: false faces against
faces missed on the calibration, dev and special photos)."""
NAMES = ("ssd", "hog")


class Detector(Protocol):
    @property
    def name(self) -> str: ...

    def load(self) -> None:
        """Load the detector now rather than on the first image."""
        ...

    def detect(self, image: RGBImage, *, max_side: int) -> list[Box]:
        """The faces in ``image``, largest first."""
        ...


class HogDetector:
    """dlib's HOG detector (``faces.detect_faces``): a face from about 40 px at the working size."""

    name = "hog"

    def load(self) -> None:
        faces.detect_faces(np.zeros((32, 32, 3), dtype=np.uint8), max_side=32)

    def detect(self, image: RGBImage, *, max_side: int) -> list[Box]:
        return faces.detect_faces(image, max_side=max_side)


class SsdDetector:
    """Intel's face-detection-retail-0004 (SqueezeNet-light SSD, Apache-2.0): the image, at most
    ``max_side`` long, is squeezed to 300 x 300 (as the network was trained) and every detection
    at or above ``confidence`` is a face."""

    name = "ssd"

    def __init__(self, *, threads: int = 1, confidence: float = SSD_CONFIDENCE) -> None:
        self.network = Network(INTEL / SSD_FILE, threads=threads, sha256=SSD_SHA256)
        self.confidence = confidence

    def load(self) -> None:
        self.network.load()

    def detect(self, image: RGBImage, *, max_side: int) -> list[Box]:
        small, _scale = shrink(image, max_side=max_side)
        resized = cv2.resize(small, (SSD_SIDE, SSD_SIDE), interpolation=cv2.INTER_AREA)
        batch = resized[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None]
        found = self.network.infer(batch).reshape(-1, 7)
        height, width = image.shape[:2]
        boxes = []
        for _image_id, _label, confidence, x0, y0, x1, y1 in found:
            if confidence < self.confidence:
                continue
            box = hog_like((y0 * height, x1 * width, y1 * height, x0 * width), height=height, width=width)
            if box[1] - box[3] >= 2 and box[2] - box[0] >= 2:
                boxes.append(box)
        boxes.sort(key=lambda b: (b[2] - b[0]) * (b[1] - b[3]), reverse=True)
        return _without_overlaps(boxes)


# Boxes mean the same whichever detector found them: what is measured on a box (the smallest face,
# a face too close, the liveness crop, the reference photo) was calibrated on HOG's. The SSD's box
# of the same face is taller (it takes in the forehead and chin), narrower, and centred higher:
# measured on 459 dev and calibration faces both found (bench/detectors.py, medians).
SSD_HEIGHT_OVER_HOG = 1.234
SSD_WIDTH_OVER_HOG = 0.888
SSD_CENTRE_ABOVE_HOG = 0.065
"""How far above HOG's centre the SSD's is, in HOG box heights."""


def hog_like(ssd_box: tuple[float, float, float, float], *, height: int, width: int) -> Box:
    """An SSD box (top, right, bottom, left, in pixels) as HOG would have drawn it, clipped."""
    top, right, bottom, left = ssd_box
    box_h = (bottom - top) / SSD_HEIGHT_OVER_HOG
    box_w = (right - left) / SSD_WIDTH_OVER_HOG
    centre_y = (top + bottom) / 2 + SSD_CENTRE_ABOVE_HOG * box_h
    centre_x = (left + right) / 2
    return (
        max(0, round(centre_y - box_h / 2)),
        min(width, round(centre_x + box_w / 2)),
        min(height, round(centre_y + box_h / 2)),
        max(0, round(centre_x - box_w / 2)),
    )


def ssd_like(box: Box) -> tuple[float, float, float, float]:
    """The inverse of ``hog_like`` (unclipped): the region the SSD would have boxed, which Intel's
    landmark network was trained to look at."""
    top, right, bottom, left = box
    box_h, box_w = bottom - top, right - left
    centre_y = (top + bottom) / 2 - SSD_CENTRE_ABOVE_HOG * box_h
    centre_x = (left + right) / 2
    h, w = box_h * SSD_HEIGHT_OVER_HOG, box_w * SSD_WIDTH_OVER_HOG
    return centre_y - h / 2, centre_x + w / 2, centre_y + h / 2, centre_x - w / 2


def _without_overlaps(boxes: list[Box]) -> list[Box]:
    """Largest first, dropping a box mostly inside one already kept (the network's own NMS keeps
    a face's box and a smaller one of its parts now and then)."""
    kept: list[Box] = []
    for box in boxes:
        top, right, bottom, left = box
        area = (bottom - top) * (right - left)
        inside = False
        for k_top, k_right, k_bottom, k_left in kept:
            overlap_w = max(0, min(right, k_right) - max(left, k_left))
            overlap_h = max(0, min(bottom, k_bottom) - max(top, k_top))
            if overlap_w * overlap_h > 0.6 * area:
                inside = True
                break
        if not inside:
            kept.append(box)
    return kept


@cache
def detector(name: str, *, threads: int = 1) -> Detector:
    """The process's detector called ``name`` ("ssd" or "hog")."""
    if name == "hog":
        return HogDetector()
    if name == "ssd":
        return SsdDetector(threads=threads)
    raise ValueError(f"face detector must be one of {', '.join(NAMES)}, not {name!r}")
