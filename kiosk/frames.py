"""Camera frames the way a kiosk sees them: a face, and a QR card held up beside it.

Used by the simulated kiosk of the demo, the tests and the benchmarks, so that all three push
the same kind of picture through the real decoder and the real face matcher.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from clearance.vision import images, qr

FRAME_SIZE = (640, 480)
"""(width, height) of a VGA kiosk camera."""


def compose_frame(
    *,
    face: images.RGBImage | None,
    qr_text: str | None,
    size: tuple[int, int] = FRAME_SIZE,
    qr_side: int = 220,
) -> images.RGBImage:
    """A frame of ``size`` with ``face`` (scaled to fill the left part) and a QR card of
    ``qr_side`` pixels on the right. Either may be None."""
    width, height = size
    frame = np.full((height, width, 3), 96, dtype=np.uint8)
    qr_area = qr_side + 20 if qr_text is not None else 0
    if face is not None:
        area_w, area_h = width - qr_area, height
        scale = min(area_w / face.shape[1], area_h / face.shape[0])
        fitted = cv2.resize(
            face,
            (max(1, int(face.shape[1] * scale)), max(1, int(face.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
        top = (area_h - fitted.shape[0]) // 2
        left = (area_w - fitted.shape[1]) // 2
        frame[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    if qr_text is not None:
        rendered = images.decode_image(qr.render_qr_png(qr_text, box_size=4), max_pixels=10_000_000)
        card = cv2.resize(rendered, (qr_side, qr_side), interpolation=cv2.INTER_NEAREST)
        top = (height - qr_side) // 2
        left = width - qr_side - 10
        frame[top : top + qr_side, left : left + qr_side] = card
    return frame


def load_photo_file(path: Path) -> images.RGBImage:
    """An RGB array of an image file on disk."""
    return images.decode_image(path.read_bytes(), max_pixels=100_000_000, formats=images.FRAME_FORMATS)


def write_walk_up(
    folder: Path,
    *,
    start: int,
    face: images.RGBImage | None,
    qr_text: str | None,
    frames: int = 5,
    gap: int = 10,
) -> int:
    """Write the frames of one person walking up to the kiosk into ``folder`` as JPEGs named in
    order from ``start``: ``frames`` frames of the face and QR drifting across the picture, then
    ``gap`` empty frames while they walk on. Returns the next free index."""
    folder.mkdir(parents=True, exist_ok=True)
    index = start
    for step in range(frames):
        frame = compose_frame(face=face, qr_text=qr_text)
        shifted = np.full_like(frame, 96)
        dx = 4 * step
        shifted[:, : frame.shape[1] - dx] = frame[:, dx:]
        (folder / f"{index:05d}.jpg").write_bytes(images.encode_jpeg(shifted, quality=90))
        index += 1
    empty = images.encode_jpeg(compose_frame(face=None, qr_text=None), quality=90)
    for _ in range(gap):
        (folder / f"{index:05d}.jpg").write_bytes(empty)
        index += 1
    return index
