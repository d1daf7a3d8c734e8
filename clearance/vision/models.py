"""Face models: what turns a detected face into an encoding (a unit vector).

Two kinds: dlib's ResNet (``faces.encode_face``, 128-d, built in) and an embedding network
described by a folder with a manifest (``clearance.core.face_model``): Intel's
face-reidentification-retail-0095 (256-d, bundled in ``weights/intel``, the default) or any
network an operator installs (IR or ONNX). Such a network runs on the project's one runtime
(``clearance.vision.runtime``): the face is aligned on five points (eye centres, nose tip, mouth
corners, from Intel's landmark network, ``clearance.vision.landmarks``) to the positions the
manifest names, normalised as the manifest says, run through the network, and the output scaled
to length 1. Encodings of every model compare the same way (``faces.template_distance``); each
model has its own thresholds.

    model = models.load(settings.face_model)
    encoding = model.encode(image, box)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from clearance.core.face_model import DLIB, DLIB_SIZE, ModelManifest, folder_of, is_dlib
from clearance.vision import faces, landmarks
from clearance.vision.images import RGBImage
from clearance.vision.runtime import Network


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
SPHEREFACE_POINTS = ARCFACE_POINTS - np.array([8.0, 0.0], dtype=np.float32)
"""The same five points in SphereFace's 96 x 112 crop (ArcFace's is the same with 8 px a side
added), on which Intel's face-reidentification-retail-0095 was trained."""


def target_points(alignment: str, size: int) -> NDArray[np.float32]:
    """Where ``alignment`` puts the five points in the ``size`` x ``size`` input: ArcFace's 112 px
    square scaled; SphereFace's 96 x 112 template stretched to the square (as Intel's own demo
    aligns for 0095, so the network sees what it was trained on)."""
    if alignment == "sphereface_5point":
        return (SPHEREFACE_POINTS / np.array([96.0, 112.0], dtype=np.float32) * size).astype(np.float32)
    return (ARCFACE_POINTS * (size / 112.0)).astype(np.float32)


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


def align(
    image: RGBImage, points: NDArray[np.float32], size: int, *, alignment: str = "arcface_5point"
) -> RGBImage:
    """The ``size`` x ``size`` crop that puts ``points`` (five, as ``landmarks`` gives them) where
    ``alignment`` expects them, as nearly as a similarity transform can."""
    matrix = similarity(points, target_points(alignment, size))
    warped = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.asarray(warped, dtype=np.uint8)


class NetworkModel:
    """An embedding network in a folder, described by its manifest, run on the project's runtime."""

    def __init__(self, folder: Path, manifest: ModelManifest, *, threads: int = 1) -> None:
        self.folder = folder
        self.manifest = manifest
        self.name = manifest.name
        self.size = manifest.embedding_size
        self.network = Network(folder / manifest.file, threads=threads, sha256=manifest.sha256)
        self.points = landmarks.shared(threads)

    def load(self) -> None:
        self.network.load()
        self.points.load()
        shape = self.network.input_shape
        if len(shape) != 4 or shape[1] != 3:
            raise ValueError(
                f"{self.folder / self.manifest.file} takes {shape}: an N x 3 x H x W image was expected"
            )

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

    def aligned(self, image: RGBImage, box: faces.Box) -> RGBImage:
        """The face in ``box``, aligned for the network."""
        points = self.points.five_points(image, box)
        return align(image, points, self.manifest.input_size, alignment=self.manifest.alignment)

    def encode(self, image: RGBImage, box: faces.Box) -> faces.Encoding:
        vector = self.network.infer(self.preprocess(self.aligned(image, box))).reshape(-1)
        if vector.size != self.size:
            raise ValueError(
                f"{self.name} gave {vector.size} floats; its manifest says embedding_size {self.size}"
            )
        return faces.normalise(vector)


@cache
def load(spec: str, *, threads: int = 1) -> FaceModel:
    """The model the ``face_model`` setting names: "dlib", "intel" (the bundled network) or a
    folder with a manifest (read once per process; its weights load on first use or ``load()``)."""
    if is_dlib(spec):
        return DlibModel()
    folder = folder_of(spec)
    return NetworkModel(folder, ModelManifest.read(folder), threads=threads)
