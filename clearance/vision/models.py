"""Face models: what turns a detected face into an encoding (a unit vector).

Two kinds: dlib's built-in ResNet (``faces.encode_face``, the default) and any ArcFace-class
embedding network in ONNX that an operator installs as a folder with a manifest
(``clearance.core.face_model``): the face is aligned on five landmarks (eye centres, nose tip,
mouth corners, from dlib's 68-point predictor) to the standard ArcFace positions, normalised as
the manifest says, run through the network, and the output scaled to length 1. Encodings of
every model compare the same way (``faces.template_distance``); each model has its own
thresholds.

    model = models.load(settings.face_model)
    encoding = model.encode(image, box)
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from clearance.core.face_model import DLIB, DLIB_SIZE, ModelManifest, is_builtin
from clearance.vision import faces
from clearance.vision.images import RGBImage


class FaceModel(Protocol):
    @property
    def name(self) -> str:
        """Recorded on every template the model makes."""
        ...

    @property
    def size(self) -> int:
        """Floats in one encoding."""
        ...

    def load(self) -> None:
        """Load the weights now rather than on the first face."""
        ...

    def encode(self, image: RGBImage, box: faces.Box) -> faces.Encoding:
        """The face in ``box`` of the full-resolution ``image``, as a unit vector."""
        ...


class DlibModel:
    name = DLIB
    size = DLIB_SIZE

    def load(self) -> None:
        faces.load_models()

    def encode(self, image: RGBImage, box: faces.Box) -> faces.Encoding:
        return faces.encode_face(image, box)


ARCFACE_POINTS = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)
"""Where ArcFace-class models expect the eyes, the nose tip and the mouth corners, in a 112 px
crop (image left first: the subject's right eye)."""


def five_points(image: RGBImage, box: faces.Box) -> NDArray[np.float32]:
    """Eye centres, nose tip and mouth corners of the face in ``box`` (5 x 2, x then y, image
    left first), from dlib's 68 landmarks."""
    points = faces.landmarks(image, box)
    return np.stack(
        [points[36:42].mean(0), points[42:48].mean(0), points[30], points[48], points[54]]
    ).astype(np.float32)


def similarity(points: NDArray[np.float32], target: NDArray[np.float32]) -> NDArray[np.float64]:
    """The 2 x 3 similarity transform (rotation, uniform scale, shift) that maps ``points`` onto
    ``target`` with the least squared error (Umeyama, 1991)."""
    src, dst = points.astype(np.float64), target.astype(np.float64)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    u, singular, vt = np.linalg.svd(dst_c.T @ src_c / len(src))
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = (src_c**2).sum() / len(src)
    if variance == 0:
        raise ValueError("the face's landmarks cannot be aligned")
    scale = float((singular * np.diag(sign)).sum() / variance)
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


def align(image: RGBImage, points: NDArray[np.float32], size: int) -> RGBImage:
    """The ``size`` x ``size`` crop that puts ``points`` (``five_points``) where ArcFace-class
    models expect them, as nearly as a similarity transform can."""
    matrix = similarity(points, ARCFACE_POINTS * (size / 112.0))
    warped = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.asarray(warped, dtype=np.uint8)


class OnnxModel:
    """An embedding network in ONNX, described by its folder's manifest."""

    def __init__(self, folder: Path, manifest: ModelManifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self.name = manifest.name
        self.size = manifest.embedding_size
        self._session: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        self._get_session()

    def _get_session(self) -> Any:
        with self._lock:
            if self._session is None:
                path = self.folder / self.manifest.file
                if not path.is_file():
                    raise ValueError(f'{path} does not exist (the manifest\'s "file")')
                weights = path.read_bytes()
                if self.manifest.sha256 and hashlib.sha256(weights).hexdigest() != self.manifest.sha256:
                    raise ValueError(f"{path} is not the file the manifest names (its sha256 differs)")
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.log_severity_level = 3
                session = onnxruntime.InferenceSession(
                    weights, sess_options=options, providers=["CPUExecutionProvider"]
                )
                (given,) = session.get_inputs()
                shape = list(given.shape)
                if len(shape) != 4 or shape[1] != 3:
                    raise ValueError(f"{path} takes {shape}: an N x 3 x H x W image was expected")
                self._session = session
            return self._session

    def preprocess(self, aligned: RGBImage) -> NDArray[np.float32]:
        """The aligned crop as the network's input: 1 x 3 x size x size, normalised."""
        pixels = (
            aligned.astype(np.float32)[:, :, ::-1]
            if self.manifest.channels == "BGR"
            else aligned.astype(np.float32)
        )
        mean = np.array(self.manifest.mean, dtype=np.float32)
        std = np.array(self.manifest.std, dtype=np.float32)
        return np.ascontiguousarray(((pixels - mean) / std).transpose(2, 0, 1)[None], dtype=np.float32)

    def encode(self, image: RGBImage, box: faces.Box) -> faces.Encoding:
        session = self._get_session()
        aligned = align(image, five_points(image, box), self.manifest.input_size)
        (output, *_rest) = session.run(None, {session.get_inputs()[0].name: self.preprocess(aligned)})
        vector = np.asarray(output, dtype=np.float32).reshape(-1)
        if vector.size != self.size:
            raise ValueError(
                f"{self.name} gave {vector.size} floats; its manifest says embedding_size {self.size}"
            )
        return faces.normalise(vector)


@cache
def load(spec: str) -> FaceModel:
    """The model the ``face_model`` setting names: "dlib", or a folder with a manifest (read
    once per process; its weights load on first use or ``load()``)."""
    if is_builtin(spec):
        return DlibModel()
    folder = Path(spec).expanduser().resolve()
    return OnnxModel(folder, ModelManifest.read(folder))
