"""A folder of labelled face photos (``<identity>/<image>``) encoded once, as at enrolment, and
kept in ``bench/output`` so that every benchmark over the same photos reads the same encodings.

    uv run python -m bench.faceset [--faces DIR]    # encode (or re-use) and print a summary
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clearance.core.settings import Settings
from clearance.vision import faces, images
from enrolment.photos import ENROLMENT_DETECTION_SIDE

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "faces"
CALIBRATION = SHARED / "calibration"
DEV = SHARED / "dev"
OUTPUT = Path(__file__).resolve().parent / "output"
SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class FaceSet:
    identities: NDArray[np.str_]
    """One per encoded photo."""
    paths: NDArray[np.str_]
    encodings: NDArray[np.float32]
    """N x 128, dlib's descriptors of each photo's largest face."""
    passes_gate: NDArray[np.bool_]
    """Whether the photo passes the enrolment quality checks (size, exposure, sharpness)."""
    face_px: NDArray[np.int32]
    photos: int
    """Photos in the folder, encoded or not."""
    no_face: int

    def by_identity(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for index, who in enumerate(self.identities):
            groups.setdefault(str(who), []).append(index)
        return groups


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def encoded(folder: Path, *, settings: Settings | None = None, progress: bool = True) -> FaceSet:
    """The folder's photos, encoded (read from the cache when the folder has not changed)."""
    settings = settings or Settings()
    files = sorted(
        p
        for person in sorted(folder.iterdir())
        if person.is_dir()
        for p in sorted(person.iterdir())
        if p.suffix.lower() in SUFFIXES
    )
    cache = OUTPUT / f"encodings-{folder.name}-{_fingerprint(files)}.npz"
    if cache.exists():
        data = np.load(cache)
        return FaceSet(
            data["identities"],
            data["paths"],
            data["encodings"],
            data["passes_gate"],
            data["face_px"],
            int(data["photos"]),
            int(data["no_face"]),
        )
    limits = faces.QualityLimits.for_enrolment(settings)
    identities, paths, encodings, passes, sizes = [], [], [], [], []
    no_face = 0
    started = time.monotonic()
    for n, path in enumerate(files, 1):
        image = images.decode_image(path.read_bytes(), max_pixels=settings.max_image_pixels)
        boxes = faces.detect_faces(image, max_side=ENROLMENT_DETECTION_SIDE)
        if not boxes:
            no_face += 1
            continue
        quality = faces.measure_quality(image, boxes[0])
        identities.append(path.parent.name)
        paths.append(str(path.relative_to(folder)))
        encodings.append(faces.encode_face(image, boxes[0]))
        passes.append(not faces.quality_failures(quality, limits))
        sizes.append(quality.face_px)
        if progress and n % 200 == 0:
            rate = n / (time.monotonic() - started)
            print(f"  encoded {n:,} of {len(files):,} photos ({rate:.1f}/s)", file=sys.stderr, flush=True)
    found = FaceSet(
        np.array(identities),
        np.array(paths),
        np.stack(encodings).astype(np.float32),
        np.array(passes),
        np.array(sizes, dtype=np.int32),
        len(files),
        no_face,
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        cache,
        identities=found.identities,
        paths=found.paths,
        encodings=found.encodings,
        passes_gate=found.passes_gate,
        face_px=found.face_px,
        photos=found.photos,
        no_face=found.no_face,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    args = parser.parse_args()
    found = encoded(args.faces)
    print(
        f"{args.faces}: {found.photos:,} photos, {len(found.paths):,} encoded "
        f"({found.no_face} without a face), {len(found.by_identity()):,} people, "
        f"{int(found.passes_gate.sum()):,} pass the enrolment gate"
    )


if __name__ == "__main__":
    main()
