"""What the face detector's working size does to speed and to the detection rate on kiosk frames.

Every photo of the folder (default ``../shared/faces/dev``) is placed in a 640x480 frame at three
scales (filling the frame's height, 60 % and 40 % of it), so the faces range from small to large;
each frame is searched at several working sizes. A face counts as found when exactly one box is
returned.

    uv run python -m bench.working_size [--faces DIR]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bench.common import emit, table
from bench.faceset import DEV
from clearance.vision import faces, images

SIZES = (160, 240, 320, 480, 640)
SCALES = (1.0, 0.6, 0.4)


def frames(folder: Path) -> list[tuple[images.RGBImage, int]]:
    """(frame, face height in the frame) for every photo whose face is found at full resolution."""
    out = []
    for path in sorted(folder.glob("*/*")):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        photo = images.decode_image(path.read_bytes(), max_pixels=50_000_000)
        for scale in SCALES:
            height = int(480 * scale)
            width = min(640, int(photo.shape[1] * height / photo.shape[0]))
            fitted = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
            frame = np.full((480, 640, 3), 96, dtype=np.uint8)
            frame[:height, :width] = fitted[:, :width]
            found = faces.detect_faces(frame, max_side=640, upsample=2)
            if len(found) == 1:
                top, _right, bottom, _left = found[0]
                out.append((frame, bottom - top))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=DEV)
    args = parser.parse_args()
    cases = frames(args.faces)
    rows = []
    for size in SIZES:
        times, found = [], {"all": 0, "small": 0, "large": 0}
        small = sum(1 for _f, h in cases if h < 80)
        for frame, face_px in cases:
            started = time.perf_counter()
            boxes = faces.detect_faces(frame, max_side=size)
            times.append((time.perf_counter() - started) * 1000)
            if len(boxes) == 1:
                found["all"] += 1
                found["small" if face_px < 80 else "large"] += 1
        figures = {
            "benchmark": "working_size",
            "working_size": size,
            "frames": len(cases),
            "detect_ms_median": round(statistics.median(times), 2),
            "detection_rate": round(found["all"] / len(cases), 4),
            "rate_faces_80px_or_more": round(found["large"] / (len(cases) - small), 4),
            "rate_faces_under_80px": round(found["small"] / small, 4) if small else None,
        }
        emit(figures)
        rows.append(
            (
                str(size),
                f"{figures['detect_ms_median']:.1f}",
                f"{figures['detection_rate']:.1%}",
                f"{figures['rate_faces_80px_or_more']:.1%}",
                "-"
                if figures["rate_faces_under_80px"] is None
                else f"{figures['rate_faces_under_80px']:.1%}",
            )
        )
    table(
        f"Face detection on {len(cases)} 640x480 kiosk frames by working size",
        rows,
        ("working px", "ms", "found", "found, face >= 80 px", "found, face < 80 px"),
    )


if __name__ == "__main__":
    main()
