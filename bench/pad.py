"""How well the kiosk tells a live person from a picture held up, ISO/IEC 30107-3 style.

For each photo of a labelled folder (``--faces``, default the calibration set; its people never
tuned anything else here either), one presentation of each kind is made, ``--frames`` camera
frames each (``kiosk.scenes``): the person at the kiosk (bona fide: the photo is the frame, the
QR card pasted where a hand holds it), and the photo re-presented as a phone screen, as a print
held up, and as a print held so close that it fills the frame. Every frame goes through the
kiosk's own steps: faces found by HOG at the kiosk's working size, a frame used only if it shows
exactly one face large enough, the liveness of the presentation the median of its frames'
scores (``clearance.vision.liveness``).

The people are split in two halves: thresholds are chosen on one ("tune": the liveness
threshold keeps BPCER, live people not cleared, within 5 %; the attack threshold keeps live
people rejected within 1 %) and every rate is counted on the other ("report") and on ``dev/``,
with 95 % Wilson intervals. Also measured: the enrolment check (the raw photo, and the photo
re-photographed from a phone or a print), hard conditions on ``dev/`` (tight crops, small
faces, dark frames) and the cost per frame. ``--sweep`` calibrates the crop scale
(``liveness.BOX_SCALE``) on ``dev/``.

Simulated attacks show what the detector does with the cues they draw; they are not captures
of real phones and prints in front of a real kiosk camera (README, "A live person, not a
picture").

    uv run python -m bench.pad [--faces DIR] [--every 3] [--frames 2] [--sweep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import OUTPUT, emit, table
from bench.faceset import CALIBRATION, DEV
from clearance.core.evidence import Timings
from clearance.core.settings import Settings
from clearance.vision import faces, liveness
from clearance.vision.attempt import FaceTally
from clearance.vision.evaluation import PadScores, Rate, labelled_photos
from clearance.vision.images import RGBImage
from clearance.vision.stack import face_stack
from kiosk import scenes
from kiosk.frames import load_photo_file

KINDS = ("bona_fide", *(kind.value for kind in scenes.Attack))
SWEEP = (0.8, 1.0, 1.25, 1.5)
"""Crop scales tried by --sweep: dlib's boxes are tighter than the detector MiniFASNet was trained on."""
QR = "HETAO1:a-credential-as-big-as-a-real-one-0123456789abcdef0123456789abcdef0123456789abcdef"


def _dark(frame: RGBImage, rng: np.random.Generator) -> RGBImage:
    """A dim hall: a third of the light, and the sensor noise that comes with it."""
    dim = frame.astype(np.float32) * 0.3 + rng.normal(0.0, 4.0, frame.shape)
    return np.clip(dim, 0, 255).astype(np.uint8)


def _frame(kind: str, photo: RGBImage, box: faces.Box, seed: int, zoom: float = 1.0) -> RGBImage:
    if zoom != 1.0:
        # Closer (tight) or further (small face): the photo framed with more or less around it.
        photo = scenes.camera_view(photo, box=box, zoom=zoom)
        found = scenes.largest_face(photo)
        if found is None:
            return photo
        box = found
    if kind == "bona_fide":
        return scenes.person(photo, qr_text=QR, box=box, seed=seed)
    return scenes.attack(scenes.Attack(kind), photo, qr_text=QR, box=box, seed=seed)


def presentation(
    kind: str,
    photo: RGBImage,
    box: faces.Box,
    *,
    seed: int,
    frames: int,
    settings: Settings,
    zoom: float = 1.0,
    dark: bool = False,
) -> tuple[float | None, list[float], list[float]]:
    """The liveness of one presentation (None: no frame had a usable face), the ms each scored
    frame took, and each frame's score."""
    stack = face_stack(settings)
    model = stack.liveness
    tally = FaceTally(min_face_px=settings.kiosk_min_face_px)  # usable frames as the kiosk counts them
    costs = []
    for k in range(frames):
        frame = _frame(kind, photo, box, seed + k, zoom=zoom)
        if dark:
            frame = _dark(frame, np.random.default_rng(seed + k))
        boxes = stack.detector.detect(frame, max_side=settings.detection_max_side)
        timings = Timings()
        if tally.observe(frame, boxes, detector=model, timings=timings) is not None:
            costs.append(timings.steps["liveness"])
    return liveness.combine(tally.liveness), costs, tally.liveness


def score_photo(job: tuple[str, str, int, bool, float]) -> dict[str, Any]:
    """Every measurement of one photo (run in a worker process)."""
    path, identity, frames, hard, box_scale = job
    liveness.BOX_SCALE = box_scale
    settings = Settings()
    stack = face_stack(settings)
    photo = load_photo_file(Path(path))
    boxes = stack.detector.detect(photo, max_side=faces.ENROLMENT_DETECTION_SIDE)
    row: dict[str, Any] = {"path": path, "identity": identity, "faces": len(boxes)}
    if len(boxes) != 1:
        return row
    box = boxes[0]
    seed = zlib.crc32(f"{identity}/{Path(path).name}".encode()) % 100_000
    costs: list[float] = []
    for kind in KINDS:
        row[kind], spent, row[f"{kind}_frames"] = presentation(
            kind, photo, box, seed=seed, frames=frames, settings=settings
        )
        costs += spent
    # Enrolment: the photo as staff upload it, and re-photographed from a phone or a print.
    row["enrolment"] = {
        "face_share": (box[2] - box[0]) / photo.shape[0],
        "bona_fide": stack.liveness.score(photo, box),
    }
    for kind in (scenes.Attack.PHONE, scenes.Attack.PRINT):
        picture = scenes.attack(kind, photo, qr_text=None, box=box, seed=seed)
        found = stack.detector.detect(picture, max_side=faces.ENROLMENT_DETECTION_SIDE)
        row["enrolment"][kind.value] = stack.liveness.score(picture, found[0]) if len(found) == 1 else None
    if hard:
        for name, zoom, dark in (("tight", 2.2, False), ("small", 0.55, False), ("dark", 1.0, True)):
            row[name] = {
                kind: presentation(
                    kind, photo, box, seed=seed, frames=frames, settings=settings, zoom=zoom, dark=dark
                )[0]
                for kind in ("bona_fide", scenes.Attack.PHONE.value, scenes.Attack.PRINT.value)
            }
    row["ms"] = costs
    return row


def score_folder(
    folder: Path,
    *,
    every: int,
    frames: int,
    hard: bool,
    box_scale: float,
    people: set[str] | None = None,
    workers: int = 2,
) -> list[dict[str, Any]]:
    """The rows of every ``every``-th photo of ``folder`` (of ``people`` only, if given), cached in
    bench/output."""
    only = f"_{len(people)}people" if people is not None else ""
    detector = Settings().face_detector
    name = (
        f"pad_{folder.name}_{detector}_every{every}_frames{frames}_box{box_scale}"
        f"{'_hard' if hard else ''}{only}.json"
    )
    cache = OUTPUT / name
    if cache.exists():
        rows: list[dict[str, Any]] = json.loads(cache.read_text())
        return rows
    photos = [p for p in labelled_photos(folder)[::every] if people is None or p.parent.name in people]
    jobs = [(str(p), p.parent.name, frames, hard, box_scale) for p in photos]
    rows = []
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
        scored = pool.map(score_photo, jobs, chunksize=4) if pool else map(score_photo, jobs)
        for done, row in enumerate(scored, 1):
            rows.append(row)
            if done % 50 == 0 or done == len(jobs):
                elapsed = time.perf_counter() - started
                print(f"  {folder.name}: {done}/{len(jobs)} photos, {elapsed:.0f} s", flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(rows))
    return rows


def pad_scores(
    rows: list[dict[str, Any]], people: set[str] | None = None, key: str | None = None
) -> PadScores:
    """The presentation scores of ``rows`` (of ``people``, if given; of a hard condition ``key``)."""
    chosen = [r for r in rows if r["faces"] == 1 and (people is None or r["identity"] in people)]
    values = [r[key] if key else r for r in chosen]

    def of(kind: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([v[kind] for v in values if v.get(kind) is not None], dtype=np.float64)

    return PadScores(
        of("bona_fide"),
        {kind.value: of(kind.value) for kind in scenes.Attack if any(kind.value in v for v in values)},
    )


FUSIONS: dict[str, Any] = {
    "median (shipped)": np.median,
    "mean": np.mean,
    "minimum": np.min,
    "one frame": lambda v: v[0],
}


def fuse(row: dict[str, Any], combine: Any) -> dict[str, Any]:
    """``row`` with each presentation's frames combined by ``combine`` instead."""
    fused = dict(row)
    for kind in KINDS:
        frames = row.get(f"{kind}_frames")
        fused[kind] = float(combine(np.asarray(frames))) if frames else None
    return fused


def unusable(rows: list[dict[str, Any]], kind: str) -> int:
    """Presentations with no usable face in any frame (decided without a liveness score)."""
    return sum(1 for r in rows if r["faces"] == 1 and r.get(kind) is None)


def enrolment(rows: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    usable = [r["enrolment"] for r in rows if r["faces"] == 1]
    close = [e for e in usable if e["face_share"] > settings.enrolment_max_face_share]
    scored = [e for e in usable if e["face_share"] <= settings.enrolment_max_face_share]
    threshold = settings.enrolment_liveness_threshold
    result: dict[str, Any] = {
        "threshold": threshold,
        "photos": len(usable),
        "unjudged_close_crops": Rate(len(close), len(usable)).json(),
        "bona_fide_refused": Rate(sum(e["bona_fide"] < threshold for e in scored), len(scored)).json(),
    }
    for kind in ("phone", "print"):
        attacks = [e[kind] for e in usable if e.get(kind) is not None]
        result[f"{kind}_accepted"] = Rate(sum(s >= threshold for s in attacks), len(attacks)).json()
    return result


def rate_text(rate: dict[str, Any]) -> str:
    return f"{rate['rate']:.1%} [{rate['low']:.1%}, {rate['high']:.1%}] ({rate['errors']}/{rate['trials']})"


def plot(scores: PadScores, *, attack: float, live: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    bins = np.linspace(0, 1, 41)
    axis.hist(scores.bona_fide, bins=bins, histtype="step", linewidth=2, label="live person (bona fide)")
    for kind, values in scores.attacks.items():
        axis.hist(values, bins=bins, histtype="step", linewidth=1.5, label=kind.replace("_", " "))
    axis.axvline(attack, color="red", linestyle="--", label=f"attack threshold {attack}")
    axis.axvline(live, color="green", linestyle="--", label=f"liveness threshold {live}")
    axis.set_yscale("log")
    axis.set_xlabel("liveness of a presentation (median of its frames)")
    axis.set_ylabel("presentations")
    axis.set_title("Liveness on the calibration set's report half (simulated presentations)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    parser.add_argument(
        "--dev", type=Path, default=DEV, help="camera-quality photos (default ../shared/faces/dev)"
    )
    parser.add_argument("--every", type=int, default=3, help="score every n-th photo (1: all)")
    parser.add_argument("--frames", type=int, default=2, help="camera frames per presentation")
    parser.add_argument("--sweep", action="store_true", help="also calibrate the crop scale on dev/")
    parser.add_argument("--plots", type=Path, default=Path(__file__).resolve().parent / "plots")
    parser.add_argument("--workers", type=int, default=2, help="processes scoring photos (1: this one)")
    args = parser.parse_args()
    settings = Settings()

    rows = score_folder(
        args.faces,
        every=args.every,
        frames=args.frames,
        hard=False,
        box_scale=liveness.BOX_SCALE,
        workers=args.workers,
    )
    dev = score_folder(
        args.dev, every=1, frames=args.frames, hard=True, box_scale=liveness.BOX_SCALE, workers=args.workers
    )
    people = sorted({r["identity"] for r in rows})
    tune, report = set(people[0::2]), set(people[1::2])
    attack, live = pad_scores(rows, tune).choose()
    # dev/ holds close crops (the face over 60 % of the photo's height) that no kiosk camera, fixed
    # at a distance, would frame: reported apart from the photos framed as a camera frames a person.
    usable_dev = [r for r in dev if r["faces"] == 1]
    framed = [r for r in usable_dev if r["enrolment"]["face_share"] <= settings.enrolment_max_face_share]
    tight = [r for r in usable_dev if r["enrolment"]["face_share"] > settings.enrolment_max_face_share]
    reported = pad_scores(rows, report)
    figures: dict[str, Any] = {
        "benchmark": "pad",
        "faces": str(args.faces),
        "every": args.every,
        "frames": args.frames,
        "box_scale": liveness.BOX_SCALE,
        "people": {"tune": len(tune), "report": len(report)},
        "chosen": {"attack": attack, "live": live},
        "settings": {"attack": settings.liveness_attack_threshold, "live": settings.liveness_threshold},
        "report": reported.report(
            attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
        ),
        "no_usable_face": {
            kind: unusable([r for r in rows if r["identity"] in report], kind) for kind in KINDS
        },
        "dev": pad_scores(dev).report(
            attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
        ),
        "dev_kiosk_framed": pad_scores(framed).report(
            attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
        ),
        "dev_tight": pad_scores(tight).report(
            attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
        ),
        "enrolment": {"calibration": enrolment(rows, settings), "dev": enrolment(dev, settings)},
        "hard_conditions_dev": {
            name: pad_scores(dev, key=name).report(
                attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
            )
            for name in ("tight", "small", "dark")
        },
        "ms_per_frame": {
            "median": round(statistics.median([m for r in rows for m in r.get("ms", [])]), 2),
            "frames": sum(len(r.get("ms", [])) for r in rows),
        },
    }
    # How the frames of an attempt are combined: each rule's live threshold chosen on the tune
    # half (BPCER within 5 %), its rates counted on the report half.
    fusion = {}
    for rule, combine in FUSIONS.items():
        fused = [fuse(r, combine) for r in rows]
        live_rule = pad_scores(fused, tune).choose()[1]
        fusion[rule] = {"live": live_rule, **pad_scores(fused, report).report(attack=0.0, live=live_rule)}
    figures["frame_fusion"] = fusion
    if args.sweep:
        # On the tune half only (every 6th photo), so the report half and dev/ stay unseen.
        sweep = {}
        for scale in SWEEP:
            swept = score_folder(
                args.faces, every=6, frames=args.frames, hard=False, box_scale=scale, people=tune
            )
            sweep[str(scale)] = pad_scores(swept, tune).report(
                attack=settings.liveness_attack_threshold, live=settings.liveness_threshold
            )
        figures["box_scale_sweep_tune"] = sweep
    emit(figures)

    rep = figures["report"]
    rows_out = [("BPCER (live person not cleared)", rate_text(rep["bpcer"]))]
    rows_out.append(("live person rejected as an attack", rate_text(rep["bona_fide_rejected"])))
    for kind in rep["apcer"]:
        rows_out.append((f"APCER {kind} (taken for live)", rate_text(rep["apcer"][kind])))
        rows_out.append((f"  {kind} rejected outright", rate_text(rep["attacks_rejected"][kind])))
    table(
        f"Calibration report half ({len(report)} people), attack < {settings.liveness_attack_threshold}, "
        f"live >= {settings.liveness_threshold} (chosen on the tune half: {attack}, {live})",
        rows_out,
        ("rate", "95 % interval (errors/trials)"),
    )
    dev_rows = []
    for name in ("dev", "dev_kiosk_framed", "dev_tight"):
        result = figures[name]
        dev_rows.append(
            (name, rate_text(result["bpcer"]), *(rate_text(result["apcer"][k]) for k in result["apcer"]))
        )
    table(
        f"dev/ ({len(usable_dev)} photos with one face, never used for tuning; kiosk-framed: "
        f"{len(framed)}, tight crops: {len(tight)})",
        dev_rows,
        ("photos", "BPCER", *(f"APCER {k}" for k in figures["dev"]["apcer"])),
    )
    hard_rows = []
    for name, result in figures["hard_conditions_dev"].items():
        hard_rows.append(
            (name, rate_text(result["bpcer"]), *(rate_text(result["apcer"][k]) for k in ("phone", "print")))
        )
    table("Hard conditions on dev/", hard_rows, ("condition", "BPCER", "APCER phone", "APCER print"))
    enrol_rows = []
    for name, result in figures["enrolment"].items():
        enrol_rows.append(
            (
                name,
                rate_text(result["unjudged_close_crops"]),
                rate_text(result["bona_fide_refused"]),
                rate_text(result["phone_accepted"]),
                rate_text(result["print_accepted"]),
            )
        )
    table(
        f"Enrolment (liveness >= {settings.enrolment_liveness_threshold}, face <= "
        f"{settings.enrolment_max_face_share:.0%} of the height)",
        enrol_rows,
        ("photos", "close crops, unjudged", "live refused", "phone accepted", "print accepted"),
    )
    table(
        "Combining an attempt's frames (each rule's live threshold chosen on the tune half), report half",
        [
            (rule, f"{r['live']:.2f}", rate_text(r["bpcer"]), *(rate_text(r["apcer"][k]) for k in r["apcer"]))
            for rule, r in figures["frame_fusion"].items()
        ],
        ("rule", "live >=", "BPCER", *(f"APCER {k}" for k in reported.attacks)),
    )
    print(f"\nliveness: {figures['ms_per_frame']['median']} ms per frame (median, both networks)")
    if args.sweep:
        table(
            "Crop scale on the tune half, every 6th photo (liveness.BOX_SCALE x each network's own scale)",
            [
                (scale, rate_text(r["bpcer"]), *(rate_text(r["apcer"][k]) for k in r["apcer"]))
                for scale, r in figures["box_scale_sweep_tune"].items()
            ],
            ("scale", "BPCER", *reported.attacks),
        )
    args.plots.mkdir(parents=True, exist_ok=True)
    plot(
        reported,
        attack=settings.liveness_attack_threshold,
        live=settings.liveness_threshold,
        path=args.plots / "liveness_scores.png",
    )


if __name__ == "__main__":
    main()
