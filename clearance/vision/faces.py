"""Face detection, quality, encoding and matching: small pure functions over numpy arrays.

Images are RGB ``uint8`` arrays of shape (height, width, 3) (``clearance.vision.images``). Face
boxes are ``(top, right, bottom, left)`` in pixels of the image they were found in. Encodings are
dlib's 128-d face descriptors (``face_recognition``); their Euclidean distance is below about 0.6
for two photos of one person, and lower is stricter.

``face_recognition`` loads its models when imported, so it is imported inside the functions that
need it: the server and the command line start without paying for it.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import ImageFile

from clearance.core.face_model import DLIB_SIZE
from clearance.core.messages import Message
from clearance.core.reasons import Reason
from clearance.vision.images import RGBImage, shrink

if TYPE_CHECKING:
    from clearance.core.settings import Settings

Box = tuple[int, int, int, int]
Encoding = NDArray[np.float32]


ENROLMENT_DETECTION_SIDE = 1000
"""Enrolment photos are detected at up to this size: large enough to find an 80 px face in a
4000 px phone photo (it is 20 px at 1000), small enough to take ~0.2 s on one core."""


@dataclass(frozen=True)
class FaceQuality:
    face_px: int
    """Height of the face box in pixels."""
    sharpness: float
    """Variance of the Laplacian of the face resized to 128x128 grey; higher is sharper."""
    brightness: float
    """Mean grey level of the face, 0-255."""
    clipped: float
    """Share of face pixels at <= 10 or >= 245."""


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: int
    min_sharpness: float
    min_brightness: float
    max_brightness: float
    max_clipped_fraction: float

    @classmethod
    def for_enrolment(cls, settings: Settings) -> QualityLimits:
        return cls(
            min_face_px=settings.min_face_px,
            min_sharpness=settings.min_sharpness,
            min_brightness=settings.min_brightness,
            max_brightness=settings.max_brightness,
            max_clipped_fraction=settings.max_clipped_fraction,
        )

    @classmethod
    def for_kiosk(cls, settings: Settings) -> QualityLimits:
        # At the kiosk the camera decides the light; only size is held to a bar, since a
        # small face is the one failure that makes a match unreliable rather than just worse.
        return cls(
            min_face_px=settings.kiosk_min_face_px,
            min_sharpness=0.0,
            min_brightness=0.0,
            max_brightness=255.0,
            max_clipped_fraction=1.0,
        )


def _face_recognition() -> ModuleType:
    """The face_recognition module, imported on first use (it loads dlib's models)."""
    with warnings.catch_warnings():
        # face_recognition_models still imports pkg_resources, deprecated in setuptools.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import face_recognition
    # Importing it switches on PIL's LOAD_TRUNCATED_IMAGES for the whole process; truncated
    # uploads must keep failing, so switch it back off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    module: ModuleType = face_recognition
    return module


_ENCODER_LOCK = threading.Lock()
_THREAD = threading.local()


def _detector() -> Any:
    """This thread's HOG detector. dlib's detector object is not safe to share between threads
    (concurrent calls returned hundreds of phantom faces); one per thread is cheap and lets
    detections run in parallel, since dlib releases the GIL while it scans."""
    detector = getattr(_THREAD, "detector", None)
    if detector is None:
        import dlib

        detector = _THREAD.detector = dlib.get_frontal_face_detector()
    return detector


def load_models() -> None:
    """Load dlib's models now (about 1.5 s) rather than on the first face."""
    _face_recognition()


def detect_faces(image: RGBImage, *, max_side: int, upsample: int = 1) -> list[Box]:
    """Face boxes found by dlib's HOG detector on a copy at most ``max_side`` pixels long.

    Boxes are mapped back to ``image``'s pixels and clipped to it, largest first. With one
    upsampling HOG finds faces from about 40 px at the working size.
    """
    small, scale = shrink(image, max_side=max_side)
    height, width = image.shape[:2]
    boxes = []
    for rect in _detector()(small, upsample):
        box = (
            max(0, round(rect.top() / scale)),
            min(width, round(rect.right() / scale)),
            min(height, round(rect.bottom() / scale)),
            max(0, round(rect.left() / scale)),
        )
        boxes.append(box)
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[1] - b[3]), reverse=True)
    return boxes


def measure_quality(image: RGBImage, box: Box) -> FaceQuality:
    top, right, bottom, left = box
    grey = cv2.cvtColor(image[top:bottom, left:right], cv2.COLOR_RGB2GRAY)
    # A fixed size makes sharpness comparable between a 100 px and a 600 px face.
    grey = cv2.resize(grey, (128, 128), interpolation=cv2.INTER_AREA)
    return FaceQuality(
        face_px=bottom - top,
        sharpness=float(cv2.Laplacian(grey, cv2.CV_64F).var()),
        brightness=float(grey.mean()),
        clipped=float(((grey <= 10) | (grey >= 245)).mean()),
    )


def quality_failures(quality: FaceQuality, limits: QualityLimits) -> list[tuple[Reason, Message]]:
    """The checks ``quality`` fails, as (reason code, advice) pairs; empty when usable."""
    failures: list[tuple[Reason, Message]] = []
    if quality.face_px < limits.min_face_px:
        advice = Message(
            "the face is {height} px tall, at least {least} px is needed: take the photo closer or at a "
            "higher resolution",
            height=quality.face_px,
            least=limits.min_face_px,
        )
        failures.append((Reason.FACE_TOO_SMALL, advice))
    if not limits.min_brightness <= quality.brightness <= limits.max_brightness:
        advice = Message(
            "the face is too dark (mean level {level:.0f}, {low:.0f}-{high:.0f} is needed): light the "
            "face evenly"
            if quality.brightness < limits.min_brightness
            else "the face is too bright (mean level {level:.0f}, {low:.0f}-{high:.0f} is needed): light the "
            "face evenly",
            level=quality.brightness,
            low=limits.min_brightness,
            high=limits.max_brightness,
        )
        failures.append((Reason.FACE_BADLY_EXPOSED, advice))
    elif quality.clipped > limits.max_clipped_fraction:
        advice = Message(
            "{share:.0%} of the face is pure black or white: avoid glare and hard shadows",
            share=quality.clipped,
        )
        failures.append((Reason.FACE_BADLY_EXPOSED, advice))
    # After exposure: a dark face has little contrast, so it also measures as blurred.
    if quality.sharpness < limits.min_sharpness:
        advice = Message(
            "the face is blurred (sharpness {sharpness:.0f}, at least {least:.0f} is needed): hold the "
            "camera still and focus on the face",
            sharpness=quality.sharpness,
            least=limits.min_sharpness,
        )
        failures.append((Reason.FACE_BLURRED, advice))
    return failures


def encode_face(image: RGBImage, box: Box) -> Encoding:
    """The face in ``box`` of the full-resolution ``image`` as a unit vector: dlib's 128-d
    descriptor, normalised to length 1."""
    face_recognition = _face_recognition()
    # face_recognition's landmark and ResNet models are process-wide objects that must not run
    # in two threads at once (a server process crashed with SIGSEGV under concurrent
    # enrolments). The encoder holds the GIL anyway, so the lock costs no parallelism.
    with _ENCODER_LOCK:
        (encoding,) = face_recognition.face_encodings(image, [box], num_jitters=1, model="small")
    return normalise(np.asarray(encoding, dtype=np.float32))


def normalise(encodings: NDArray[np.float32]) -> NDArray[np.float32]:
    """Encodings (one, or one per row) scaled to length 1: distances between unit vectors
    separate people better than dlib's raw ones (bench/accuracy.py), and every model compares
    the same way (the Euclidean distance of unit vectors, sqrt(2 - 2 cos), 0 to 2)."""
    array = np.asarray(encodings, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return np.asarray(array / np.maximum(norms, 1e-12), dtype=np.float32)


def template_distance(template: NDArray[np.float32], probes: NDArray[np.float32]) -> float:
    """How far an attempt is from a template (lower is stricter): the mean of the distances
    between each of the template's photos (rows) and each of the attempt's frames (rows).
    Averaging over several photos or frames lowers both error rates at one threshold."""
    a, b = normalise(np.atleast_2d(template)), normalise(np.atleast_2d(probes))
    cosines = a.astype(np.float64) @ b.astype(np.float64).T
    return float(np.sqrt(np.maximum(2.0 - 2.0 * cosines, 0.0)).mean())


class GalleryIndex:
    """Exact 1:N search over templates: each person's photos as rows of one matrix.

    A probe's distance to every row is one BLAS matrix-vector product over unit vectors
    (sqrt(2 - 2 g.p)); a person's distance is the mean over their rows (as ``template_distance``).
    """

    def __init__(self, templates: list[NDArray[np.float32]], *, size: int = DLIB_SIZE) -> None:
        rows = [normalise(np.atleast_2d(t)) for t in templates]
        self.gallery = (
            np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)
            if rows
            else np.zeros((0, size), dtype=np.float32)
        )
        self.owner = (
            np.concatenate([np.full(len(r), n) for n, r in enumerate(rows)]) if rows else np.zeros(0, int)
        )
        self.counts = np.array([len(r) for r in rows], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.counts)

    def nearest(self, probes: NDArray[np.float32]) -> tuple[int, float]:
        """Index (in the order given) and distance of the nearest template; (-1, inf) for an
        empty gallery. ``probes``: one encoding, or one per row (frames of one attempt)."""
        if len(self.counts) == 0:
            return -1, float("inf")
        frames = normalise(np.atleast_2d(probes))
        distances = np.sqrt(np.maximum(2.0 - 2.0 * (self.gallery @ frames.T).astype(np.float64), 0.0)).mean(1)
        per_person = np.bincount(self.owner, weights=distances, minlength=len(self.counts)) / self.counts
        index = int(np.argmin(per_person))
        return index, float(per_person[index])


def encoding_to_bytes(encoding: NDArray[np.float32]) -> bytes:
    """One encoding, or several (one per row), as little-endian float32."""
    return np.asarray(encoding, dtype="<f4").tobytes()


def encoding_from_bytes(data: bytes, *, size: int) -> NDArray[np.float32]:
    """The encodings in ``data``: one per row of ``size`` floats (the size of the model that made
    them; a template of several photos has several rows)."""
    values = np.frombuffer(data, dtype="<f4")
    if values.size == 0 or values.size % size:
        raise ValueError(f"face encodings are rows of {size} floats, got {values.size}")
    return values.reshape(-1, size).astype(np.float32)
