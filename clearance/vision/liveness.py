"""Presentation-attack detection: is the face in a frame a live person, or a picture of one
(a phone screen, a print) held up to the camera?

Two small MiniFASNet networks (minivision, Apache-2.0; ``weights/minifasnet/PROVENANCE.md``)
each look at a square of the frame around the face, larger than the face (2.7x and 4.0x the
box): they judge the face by its surroundings as much as by itself (a bezel, a paper edge, a
flat colour cast, moire). Each gives the probability that the face is live; the score is their
mean, 0 (an attack) to 1 (live). How the station and the server decide on it is in
``clearance.core.rules`` (``Thresholds.attack`` and ``Thresholds.live``).

    model = liveness.shared()
    score = model.score(frame, box)     # one frame
    liveness.combine([0.9, 0.8, 0.95])  # the frames of one attempt

The networks run on the project's one runtime (``clearance.vision.runtime``). They were trained on
the boxes of another detector; ``BOX_SCALE`` converts the project's boxes (HOG's geometry,
whichever detector found them: ``clearance.vision.detection``) to that size (``bench/pad.py
--sweep``). Never feed a tight face crop: the networks need the context, and on a crop with none
they call live faces attacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from clearance.vision.faces import Box
from clearance.vision.images import RGBImage
from clearance.vision.runtime import Network

WEIGHTS = Path(__file__).resolve().parent / "weights" / "minifasnet"
NETWORKS = (
    ("MiniFASNetV2.onnx", 2.7, "4eed38f0bde33c9b805942a5f25e42ce1161e2bda545254be622be957727794e"),
    ("MiniFASNetV1SE.onnx", 4.0, "d819a69bac6b9ade2a0f4d9b60b618e1260f7bf3ba1fddff6c5d82131cb1083f"),
)
"""Each network, how many times the face box its crop spans, and its file's sha256."""
INPUT_SIDE = 80
BOX_SCALE = 1.0
"""The project's box grown by this before each network's own scale (see the module docstring)."""


def context_crop(image: RGBImage, box: Box, *, scale: float, side: int = INPUT_SIDE) -> NDArray[np.float32]:
    """The region ``scale`` times the size of ``box`` around its centre, kept inside the frame
    (moved, and shrunk only if the frame is smaller), resized to ``side`` x ``side``: a BGR
    float array (1, 3, side, side), as the networks were trained."""
    height, width = image.shape[:2]
    top, right, bottom, left = box
    box_w, box_h = max(1, right - left), max(1, bottom - top)
    scale = min(scale * BOX_SCALE, (height - 1) / box_h, (width - 1) / box_w)
    crop_w, crop_h = box_w * scale, box_h * scale
    centre_x, centre_y = left + box_w / 2, top + box_h / 2
    x0 = round(min(max(0.0, centre_x - crop_w / 2), width - crop_w))
    y0 = round(min(max(0.0, centre_y - crop_h / 2), height - crop_h))
    x1, y1 = min(width, x0 + round(crop_w)), min(height, y0 + round(crop_h))
    crop = cv2.resize(image[y0:y1, x0:x1], (side, side), interpolation=cv2.INTER_LINEAR)
    bgr = crop[:, :, ::-1].astype(np.float32)
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None])


class LivenessModel:
    """The two networks, loaded once; ``score`` may be called from several threads."""

    def __init__(self, folder: Path = WEIGHTS, *, threads: int = 1) -> None:
        self.networks = [
            (Network(folder / filename, threads=threads, sha256=sha256), scale)
            for filename, scale, sha256 in NETWORKS
        ]

    def load(self) -> None:
        """Load the networks now rather than on the first face."""
        for network, _scale in self.networks:
            network.load()

    def score(self, image: RGBImage, box: Box) -> float:
        """How live the face in ``box`` of the whole camera ``frame`` looks, 0 to 1."""
        live = []
        for network, scale in self.networks:
            logits = network.infer(context_crop(image, box, scale=scale)).reshape(-1)
            exp = np.exp(logits - logits.max())
            live.append(float(exp[1] / exp.sum()))
        return float(np.mean(live))


@cache
def shared(threads: int = 1) -> LivenessModel:
    """The process's one liveness model (safe to call from several threads)."""
    return LivenessModel(threads=threads)


def combine(scores: Sequence[float]) -> float | None:
    """The liveness of an attempt from the scores of its usable frames: their median, so one
    lucky frame neither clears an attack nor one bad frame refers a live person. None if no
    frame was scored."""
    if not scores:
        return None
    return float(np.median(np.asarray(scores, dtype=np.float64)))
