"""The networks a process decides with, as its settings choose them: the face detector, the face
model and the liveness networks, each loaded once per process and shared by its threads.

    stack = face_stack(settings)
    boxes = stack.detector.detect(frame, max_side=settings.detection_max_side)
    encoding = stack.model.encode(frame, boxes[0])
    live = stack.liveness.score(frame, boxes[0])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from clearance.core.settings import Settings
from clearance.vision import detection, liveness, models


@dataclass(frozen=True)
class FaceStack:
    detector: detection.Detector
    model: models.FaceModel
    liveness: liveness.LivenessModel

    def load(self) -> None:
        """Load every network now, before the first face (a kiosk before its first commuter, a
        server before its first request)."""
        self.detector.load()
        self.model.load()
        self.liveness.load()


def face_stack(settings: Settings) -> FaceStack:
    return _stack(settings.face_detector, settings.face_model, settings.inference_threads)


@cache
def _stack(detector: str, model: str, threads: int) -> FaceStack:
    return FaceStack(
        detection.detector(detector, threads=threads),
        models.load(model, threads=threads),
        liveness.shared(threads),
    )
