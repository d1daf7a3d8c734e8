"""A folder of labelled face photos (``<identity>/<image>``) encoded once, as at enrolment, and
kept in ``bench/output`` so that every benchmark over the same photos and model reads the same
encodings (``clearance.vision.evaluation.encode_folder``).

    uv run python -m bench.faceset [--faces DIR] [--model dlib|DIR]   # encode (or re-use), summarise
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from bench.common import OUTPUT, emit
from clearance.core.settings import Settings
from clearance.vision import detection, evaluation, models
from clearance.vision.evaluation import LabelledEncodings

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "faces"
CALIBRATION = SHARED / "calibration"
DEV = SHARED / "dev"
DISTRACTORS = SHARED / "distractors"

FaceSet = LabelledEncodings


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def _progress(done: int, total: int) -> None:
    print(f"  encoded {done:,} of {total:,} photos", file=sys.stderr, flush=True)


def encoded(folder: Path, *, model: str | None = None, settings: Settings | None = None) -> FaceSet:
    """The folder's photos, found by the settings' detector and encoded by ``model`` (default: the
    settings'), read from the cache when the folder has not changed."""
    settings = settings or Settings()
    face_model = models.load(model or settings.face_model, threads=settings.inference_threads)
    detector = detection.detector(settings.face_detector, threads=settings.inference_threads)
    files = evaluation.labelled_photos(folder)
    cache = OUTPUT / f"encodings-{folder.name}-{face_model.name}-{detector.name}-{_fingerprint(files)}.npz"
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
            str(data["model"]),
        )
    found = evaluation.encode_folder(folder, face_model, detector, settings=settings, progress=_progress)
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
        model=found.model,
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    parser.add_argument("--model", default=None, help="default: the settings' (HETAO_FACE_MODEL)")
    args = parser.parse_args()
    found = encoded(args.faces, model=args.model)
    emit(
        {
            "benchmark": "faceset",
            "faces": str(args.faces),
            "model": found.model,
            "photos": found.photos,
            "encoded": len(found.paths),
            "no_face": found.no_face,
            "people": len(found.by_identity()),
            "pass_enrolment_gate": int(found.passes_gate.sum()),
        }
    )
    print(
        f"{args.faces}: {found.photos:,} photos, {len(found.paths):,} encoded by {found.model} "
        f"({found.no_face} without a face), {len(found.by_identity()):,} people, "
        f"{int(found.passes_gate.sum()):,} pass the enrolment gate"
    )


if __name__ == "__main__":
    main()
