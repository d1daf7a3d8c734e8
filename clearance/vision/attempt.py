"""The faces of one attempt, gathered the same way by the kiosk (over many frames) and by the
server (over the one frame it is sent), and turned into the face part of the evidence.

A frame counts towards the decision only if it shows exactly one face of usable size; several
faces in a frame, or only faces too small to match reliably, are remembered so the decision can
say why it could not look. Of the usable frames, the best are kept (bigger and sharper first).
Every usable frame is scored for liveness (``clearance.vision.liveness``) when a liveness model
is given, and the attempt is judged on the median of those scores, not on one frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from clearance.core import rules
from clearance.core.evidence import Timings
from clearance.core.reasons import Reason
from clearance.vision import faces
from clearance.vision.images import RGBImage
from clearance.vision.liveness import LivenessModel, combine
from clearance.vision.models import FaceModel

SHARP_ENOUGH = 200.0
"""Sharpness (variance of the Laplacian at 128x128) beyond which a sharper face is no better."""


@dataclass(frozen=True)
class FaceFrame:
    """One usable face: the frame it is in, its box and how good it is."""

    image: RGBImage
    box: faces.Box
    quality: faces.FaceQuality
    liveness: float | None = None

    @property
    def score(self) -> float:
        # Bigger and sharper is better; sharpness counts up to the point where it stops mattering.
        return self.quality.face_px * min(1.0, self.quality.sharpness / SHARP_ENOUGH)


@dataclass
class FaceTally:
    """What the frames of one attempt showed of faces."""

    min_face_px: int
    keep: int = 1
    """How many of the best usable frames to keep."""
    best: list[FaceFrame] = field(default_factory=list)
    several_faces: int = 0
    small_faces: int = 0
    usable: int = 0
    liveness: list[float] = field(default_factory=list)
    """The liveness score of every usable frame."""

    def observe(
        self,
        image: RGBImage,
        boxes: list[faces.Box],
        *,
        detector: LivenessModel | None = None,
        timings: Timings | None = None,
    ) -> FaceFrame | None:
        """Take in one frame and the face boxes found in it; the usable face, if it has one,
        scored by the liveness ``detector`` if given (its time added to ``timings``).

        Only faces of usable size count: a face smaller than ``min_face_px`` is someone further
        back (a queue behind the lane), not a second person at it; two faces of usable size are
        several people at the lane."""
        near = [box for box in boxes if box[2] - box[0] >= self.min_face_px]
        if len(near) > 1:
            self.several_faces += 1
            return None
        if not near:
            if boxes:
                self.small_faces += 1
            return None
        quality = faces.measure_quality(image, near[0])
        score = None
        if detector is not None:
            with (timings if timings is not None else Timings()).step("liveness"):
                score = detector.score(image, near[0])
            self.liveness.append(score)
        frame = FaceFrame(image, near[0], quality, score)
        self.usable += 1
        self.best = sorted([*self.best, frame], key=lambda f: f.score, reverse=True)[: self.keep]
        return frame

    def refusal(self) -> tuple[int, tuple[Reason, ...]] | None:
        """Why no face can be matched (face count and quality failures for the evidence), or
        None when there is a usable face."""
        if self.best:
            return None
        if self.several_faces:
            return 2, ()
        if self.small_faces:
            return 1, (Reason.FACE_TOO_SMALL,)
        return 0, ()


def face_evidence(
    evidence: rules.Evidence,
    tally: FaceTally,
    *,
    template: NDArray[np.float32] | None,
    model: FaceModel,
    timings: Timings,
    attack_below: float = 0.0,
) -> rules.Evidence:
    """``evidence`` completed with what the faces of the attempt show: the distance to
    ``template`` (one row per enrolment photo) of the best usable frames, each encoded by
    ``model`` at full resolution (``faces.template_distance``), or why there are none.
    ``template`` None: it was made by another model and cannot be compared. The liveness is the
    combination of every usable frame's score."""
    refusal = tally.refusal()
    if refusal is not None:
        count, failures = refusal
        return replace(evidence, face_count=count, face_quality_failures=failures)
    evidence = replace(evidence, liveness=combine(tally.liveness))
    if template is None:
        return replace(evidence, face_count=1, template_outdated=True)
    if evidence.liveness is not None and evidence.liveness < attack_below:
        # A picture held up: rejected whoever it shows, without paying for the encoding.
        return replace(evidence, face_count=1)
    with timings.step("face_encode"):
        encodings = np.stack([model.encode(frame.image, frame.box) for frame in tally.best])
    with timings.step("match"):
        distance = faces.template_distance(template, encodings)
    return replace(evidence, face_count=1, distance=distance)
