"""Five points of a face: the eye centres, the nose tip and the mouth corners (image left first:
the subject's right eye first), from Intel's landmarks-regression-retail-0009 (Apache-2.0), the
points the face embedding is aligned on.

The network looks at the face's region as Intel's SSD detector boxes it (a box from either
detector is mapped back to that region, ``detection.ssd_like``), squeezed to 48 x 48, BGR, and
gives each point in that region's 0..1 units.

    points = landmarks.shared().five_points(image, box)    # 5 x 2, x then y, in image pixels
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from clearance.vision.detection import ssd_like
from clearance.vision.faces import Box
from clearance.vision.images import RGBImage
from clearance.vision.runtime import Network

INTEL = Path(__file__).resolve().parent / "weights" / "intel"
FILE = "landmarks-regression-retail-0009.xml"
SHA256 = "0700711ab6d1a738cc16fafda2b040de8e9e0cc8b13430ee3ddd6abbe8c81969"
SIDE = 48


class FivePoints:
    def __init__(self, *, threads: int = 1) -> None:
        self.network = Network(INTEL / FILE, threads=threads, sha256=SHA256)

    def load(self) -> None:
        self.network.load()

    def five_points(self, image: RGBImage, box: Box) -> NDArray[np.float32]:
        """The five points of the face in ``box`` (5 x 2, x then y, image pixels)."""
        top, right, bottom, left = ssd_like(box)
        # The region may reach past the image's edge: the part outside is black, as a crop of a
        # larger canvas would be, so the points keep their meaning.
        x0, y0 = int(np.floor(left)), int(np.floor(top))
        x1, y1 = max(x0 + 2, int(np.ceil(right))), max(y0 + 2, int(np.ceil(bottom)))
        height, width = image.shape[:2]
        region = np.zeros((y1 - y0, x1 - x0, 3), dtype=np.uint8)
        sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        if sx1 > sx0 and sy1 > sy0:
            region[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
        resized = cv2.resize(region, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
        batch = resized[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None]
        points = self.network.infer(batch).reshape(5, 2)
        scale = np.array([x1 - x0, y1 - y0], dtype=np.float32)
        return (points * scale + np.array([x0, y0], dtype=np.float32)).astype(np.float32)


@cache
def shared(threads: int = 1) -> FivePoints:
    """The process's one landmark network (safe to call from several threads)."""
    return FivePoints(threads=threads)
