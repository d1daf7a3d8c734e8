"""Where frames come from: a camera, a video file or a folder of images."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from clearance.vision import images

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
FOLDER_FPS = 10.0
"""A folder of images is played as if taken at this rate."""


@dataclass(frozen=True)
class Frame:
    image: images.RGBImage
    t: float
    """Seconds: camera time, or position in the file or folder."""


class SourceError(Exception):
    pass


def describe(spec: str) -> str:
    if spec.isdigit():
        return f"camera {spec}"
    path = Path(spec)
    return f"folder {path}" if path.is_dir() else f"video {path}"


def frames(spec: str, *, loop: bool) -> Iterator[Frame]:
    """Frames of ``spec``: a camera index (``0``), a folder of images (played in name order) or a
    video file. A file or folder plays once, or over and over with ``loop``; a camera never ends."""
    if spec.isdigit():
        yield from _camera(int(spec))
        return
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"no camera, folder or video file at {spec!r}")
    offset = 0.0
    while True:
        last = 0.0
        played = False
        for frame in _folder(path) if path.is_dir() else _video(path):
            played = True
            last = frame.t
            yield Frame(frame.image, offset + frame.t)
        if not played:
            raise SourceError(f"{spec!r} holds no frames")
        if not loop:
            return
        offset += last + 1.0


def _camera(index: int) -> Iterator[Frame]:
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        raise SourceError(f"camera {index} could not be opened")
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                raise SourceError(f"camera {index} stopped delivering frames")
            yield Frame(_rgb(bgr), time.monotonic())
    finally:
        capture.release()


def _video(path: Path) -> Iterator[Frame]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise SourceError(f"{path} is not a video OpenCV can read")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    index = 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                return
            yield Frame(_rgb(bgr), index / fps)
            index += 1
    finally:
        capture.release()


def _folder(path: Path) -> Iterator[Frame]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for index, file in enumerate(files):
        try:
            image = images.decode_image(
                file.read_bytes(), max_pixels=50_000_000, formats=images.FRAME_FORMATS
            )
        except images.ImageRejected:
            continue  # a half-copied or foreign file in the folder is skipped, not fatal
        yield Frame(image, index / FOLDER_FPS)


def _rgb(bgr: np.ndarray) -> images.RGBImage:
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
