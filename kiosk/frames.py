"""Camera frames the way a kiosk sees them: a person, and a QR card held up beside the face.

Used by the simulated kiosk of the demo, the tests and the benchmarks, so that all three push
the same kind of picture through the real decoder, the real liveness detector and the real face
matcher. The person's photo is the frame itself (``kiosk.scenes.person``); attacks are made by
``kiosk.scenes.attack``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from clearance.vision import images
from kiosk import scenes

FRAME_SIZE = scenes.FRAME_SIZE
"""(width, height) of a VGA kiosk camera."""


def compose_frame(
    *,
    face: images.RGBImage | None,
    qr_text: str | None,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> images.RGBImage:
    """A camera frame of ``size`` showing the person in the photo ``face`` (None: nobody, an
    empty grey view) holding up the card with the QR of ``qr_text`` (None: no card)."""
    if face is not None:
        return scenes.person(face, qr_text=qr_text, size=size, seed=seed)
    width, height = size
    frame = np.full((height, width, 3), scenes.GREY, dtype=np.uint8)
    if qr_text is not None:
        frame = scenes.paste_card(frame, qr_text, faces_in_frame=[], tilt=0.0)
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
    attack: scenes.Attack | None = None,
    seed: int | None = None,
) -> int:
    """Write the frames of one person walking up to the kiosk into ``folder`` as JPEGs named in
    order from ``start``: ``frames`` frames of the face and QR drifting across the picture, then
    ``gap`` empty frames while they walk on; with ``attack``, someone holds up ``face`` re-presented
    that way instead (drawn from ``seed``, default ``start``). Returns the next free index."""
    folder.mkdir(parents=True, exist_ok=True)
    index = start
    if attack is not None and face is not None:
        frame = scenes.attack(attack, face, qr_text=qr_text, seed=start if seed is None else seed)
    else:
        frame = compose_frame(face=face, qr_text=qr_text)
    for step in range(frames):
        # The person drifts across the view; the edge the camera newly sees continues the scene.
        dx = 4 * step
        shifted = np.asarray(
            cv2.copyMakeBorder(frame[:, dx:], 0, 0, 0, dx, cv2.BORDER_REPLICATE), dtype=np.uint8
        )
        (folder / f"{index:05d}.jpg").write_bytes(images.encode_jpeg(shifted, quality=90))
        index += 1
    empty = images.encode_jpeg(compose_frame(face=None, qr_text=None), quality=90)
    for _ in range(gap):
        (folder / f"{index:05d}.jpg").write_bytes(empty)
        index += 1
    return index
