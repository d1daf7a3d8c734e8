"""Kiosk station latency: from the first frame with a QR to the recorded decision.

Runs the real station (offline, its own SQLite store, no server) over walk-up attempts of the
sample commuters composed into frames of the chosen size, and in the same run times the models
alone (per frame used: one face detection at the working size, the liveness networks and one
encoding) on the same frames, so the ratio says what the pipeline adds on top of them.

Each attempt decides on the best ``--frames`` usable face frames (the setting ``kiosk_frames``,
2 by default), averaged; both are measured, to show what the second frame costs.

    uv run python -m bench.kiosk_latency [--attempts 60] [--size 640x480] [--frames 1,2]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bench.common import emit, summary, table
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import credentials, vault
from clearance.core.enums import CredentialKind, Direction
from clearance.core.settings import Settings
from clearance.core.wire import WhitelistPage
from clearance.core.zone import utcnow
from clearance.vision import faces, models
from clearance.vision.stack import face_stack
from kiosk.frames import compose_frame, load_photo_file
from kiosk.station import LinkStatus, Station, StationConfig
from kiosk.store import LocalStore


def whitelist_page(key: Ed25519PrivateKey, model: models.FaceModel) -> tuple[dict[str, object], list[str]]:
    """A whitelist page for the sample commuters, and their credentials' QR texts."""
    entries, payloads = [], []
    for sample in SAMPLE_COMMUTERS:
        image = load_photo_file(sample.enrolment_photo)
        (box,) = face_stack(Settings()).detector.detect(image, max_side=1000)
        encoding = model.encode(image, box)
        commuter_id, credential_id = uuid.uuid4(), uuid.uuid4()
        expires = utcnow() + timedelta(days=30)
        payloads.append(
            credentials.sign_credential(
                key,
                kind=CredentialKind.STATIC,
                credential_id=credential_id,
                commuter_id=commuter_id,
                expires_at=expires,
            )
        )
        entries.append(
            {
                "commuter_id": str(commuter_id),
                "version": len(entries) + 1,
                "removed": False,
                "valid_until": str(date.today() + timedelta(days=30)),
                "face_only": False,
                "template": base64.b64encode(faces.encoding_to_bytes(encoding)).decode(),
                "model": model.name,
                "credentials": [
                    {
                        "id": str(credential_id),
                        "kind": "static",
                        "revoked": False,
                        "expires_at": expires.isoformat(),
                        "secret": None,
                    }
                ],
                "last_side": None,
                "last_crossed_at": None,
            }
        )
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    page = {
        "cursor": len(entries),
        "more": False,
        "kiosk": {
            "id": str(uuid.uuid4()),
            "checkpoint_id": str(uuid.uuid4()),
            "direction": "to_hk",
            "face_only": False,
        },
        "keys": [
            {
                "kid": credentials.key_id(key.public_key()),
                "algorithm": "Ed25519",
                "public_key": base64.b64encode(raw).decode(),
            }
        ],
        "entries": entries,
    }
    return page, payloads


def measure(
    settings: Settings, *, frames_per_attempt: int, attempts: int, size: tuple[int, int]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Run ``attempts`` walk-ups through two stations deciding on ``frames_per_attempt`` usable
    frames each; then the models alone on the same frames, as many as the station used."""
    settings = settings.model_copy(update={"kiosk_frames": frames_per_attempt})
    config = StationConfig.from_settings(settings)
    stack = face_stack(settings)
    model = stack.model
    page, payloads = whitelist_page(Ed25519PrivateKey.generate(), model)
    lives = [load_photo_file(sample.live_photo) for sample in SAMPLE_COMMUTERS]
    frames = [
        compose_frame(face=live, qr_text=payload, size=size)
        for live, payload in zip(lives, payloads, strict=True)
    ]
    empty = compose_frame(face=None, qr_text=None, size=size)

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(
            Path(tmp) / "kiosk.sqlite3",
            data_key=vault.DataKey(b"k" * 32),
            model=model.name,
            model_size=model.size,
        )
        store.apply_whitelist_page(WhitelistPage.model_validate(page))
        # Two stations on one store, one each way, so each commuter goes in and comes back and
        # every attempt is a clearance (not an anti-passback refer).
        stations = [
            Station(store=store, link=None, status=LinkStatus(), config=config, direction=d, face_only=False)
            for d in (Direction.TO_HK, Direction.TO_SZ)
        ]
        decisions = []
        t = 0.0
        for n in range(attempts):
            frame = frames[n % len(frames)]
            station = stations[(n // len(frames)) % 2]
            decision = None
            while decision is None:
                decision = station.handle(frame, t)
                t += 0.1
            decisions.append(decision)
            # The person walks on; the station resets (no decision expected).
            for _ in range(int(config.leave_after / 0.1) + 2):
                assert station.handle(empty, t) is None
                t += 0.1
        for station in stations:
            station.close()

    alone = []
    for n in range(attempts):
        frame = frames[n % len(frames)]
        started = time.perf_counter()
        for _ in range(frames_per_attempt):
            (box,) = stack.detector.detect(frame, max_side=config.detection_max_side)
            stack.liveness.score(frame, box)
            model.encode(frame, box)
        alone.append((time.perf_counter() - started) * 1000)

    # What is timed is a clearance, face compared: anything else (a template the station cannot
    # open, a face refused) skips the encodings and would time less than a real crossing.
    outcomes = [(d["decision"], tuple(d["reasons"])) for d in decisions]
    if any(outcome != ("cleared", ()) for outcome in outcomes):
        raise SystemExit(f"kiosk_latency: not every attempt was a clearance: {sorted(set(outcomes))}")
    total = [d["ms"] for d in decisions]
    steps: dict[str, list[float]] = {}
    for d in decisions:
        for name, ms in d["steps_ms"].items():
            steps.setdefault(name, []).append(ms)
    ratio = statistics.median(total) / statistics.median(alone)
    figures = {
        "frames_per_attempt": frames_per_attempt,
        "decisions": {
            k: sum(1 for d in decisions if d["decision"] == k) for k in ("cleared", "rejected", "refer")
        },
        "first_qr_to_decision_ms": summary(total),
        "steps_ms_median": {name: round(statistics.median(v), 2) for name, v in steps.items()},
        "models_alone_ms": summary(alone),
        "ratio_pipeline_to_models": round(ratio, 3),
    }
    rows = [
        (f"{frames_per_attempt} frame(s): {name}", f"{statistics.median(v):.2f}") for name, v in steps.items()
    ]
    rows += [
        (
            f"{frames_per_attempt} frame(s): first QR -> decision (median)",
            f"{figures['first_qr_to_decision_ms']['median']:.1f}",
        ),
        (
            f"{frames_per_attempt} frame(s): first QR -> decision (p95)",
            f"{figures['first_qr_to_decision_ms']['p95']:.1f}",
        ),
        (
            f"{frames_per_attempt} frame(s): models alone (median)",
            f"{figures['models_alone_ms']['median']:.1f}",
        ),
        (f"{frames_per_attempt} frame(s): ratio", f"{ratio:.3f}"),
    ]
    return figures, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=60)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--frames", default="1,2", help="usable frames per attempt to compare (default 1,2)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    settings = Settings()
    face_stack(settings).load()
    runs, rows = [], []
    for frames_per_attempt in (int(f) for f in args.frames.split(",")):
        figures, more = measure(
            settings, frames_per_attempt=frames_per_attempt, attempts=args.attempts, size=(width, height)
        )
        runs.append(figures)
        rows += more
    emit(
        {
            "benchmark": "kiosk_latency",
            "frame": f"{width}x{height}",
            "detection_max_side": settings.detection_max_side,
            "face_model": face_stack(settings).model.name,
            "face_detector": settings.face_detector,
            "inference_threads": settings.inference_threads,
            "attempts": args.attempts,
            "runs": runs,
        }
    )
    table(
        f"Kiosk, {args.attempts} attempts, {width}x{height} frames (QR decode and detection run in parallel;"
        " models alone: a detection, the liveness networks and an encoding per frame used)",
        rows,
        ("step", "ms"),
    )


if __name__ == "__main__":
    main()
