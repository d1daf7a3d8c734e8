"""How often the matcher is wrong: distance distributions, FAR/FRR over thresholds (a DET curve),
the rates at the shipped thresholds, and 1:N false identification as the gallery grows.

Reads any folder laid out as ``<identity>/<image>`` (default ``../shared/faces/dev``, real
photographs, several per person; LFW works too). Each image's largest face is found and encoded
exactly as at enrolment; every genuine pair and every impostor pair is compared.

    uv run python -m bench.accuracy [--faces DIR] [--plots bench/plots]
"""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import numpy as np

from bench.common import emit, table
from clearance.core.settings import Settings
from clearance.vision import faces, images
from enrolment.photos import ENROLMENT_DETECTION_SIDE

DEFAULT_FACES = Path(__file__).resolve().parent.parent.parent / "shared" / "faces" / "dev"
THRESHOLDS = np.round(np.arange(0.30, 0.801, 0.01), 2)


def encode_folder(
    folder: Path, settings: Settings
) -> tuple[list[str], np.ndarray, dict[str, int], list[bool]]:  # type: ignore[type-arg]
    identities, encodings, usable = [], [], []
    skipped = {"no_face": 0, "unreadable": 0, "fails_enrolment_quality": 0}
    limits = faces.QualityLimits.for_enrolment(settings)
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(person.iterdir()):
            if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
                continue
            try:
                image = images.decode_image(path.read_bytes(), max_pixels=settings.max_image_pixels)
            except images.ImageRejected:
                skipped["unreadable"] += 1
                continue
            boxes = faces.detect_faces(image, max_side=ENROLMENT_DETECTION_SIDE)
            if not boxes:
                skipped["no_face"] += 1
                continue
            passes = not faces.quality_failures(faces.measure_quality(image, boxes[0]), limits)
            if not passes:
                skipped["fails_enrolment_quality"] += 1  # counted, but still compared below
            usable.append(passes)
            identities.append(person.name)
            encodings.append(faces.encode_face(image, boxes[0]))
    return identities, np.stack(encodings), skipped, usable


def rates(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:  # type: ignore[type-arg]
    """(false accept rate, false reject rate) when distances <= threshold are accepted."""
    return float(np.mean(impostor <= threshold)), float(np.mean(genuine > threshold))


def normal_tail(impostor: np.ndarray, threshold: float) -> float:  # type: ignore[type-arg]
    """P(impostor distance <= threshold) from a normal fitted to the impostor distances: an
    estimate for rates far below 1 / number of impostor pairs, where counting finds nothing."""
    mean, std = float(np.mean(impostor)), float(np.std(impostor))
    return 0.5 * math.erfc((mean - threshold) / (std * math.sqrt(2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--plots", type=Path, default=Path(__file__).resolve().parent / "plots")
    args = parser.parse_args()
    settings = Settings()
    identities, encodings, skipped, usable = encode_folder(args.faces, settings)
    names = np.array(identities)
    genuine, impostor, genuine_usable, impostor_usable = [], [], [], []
    for i, j in itertools.combinations(range(len(names)), 2):
        distance = float(np.linalg.norm(encodings[i] - encodings[j]))
        same = names[i] == names[j]
        (genuine if same else impostor).append(distance)
        if usable[i] and usable[j]:
            (genuine_usable if same else impostor_usable).append(distance)
    g, imp = np.array(genuine), np.array(impostor)
    # The same rates with only photos that pass the enrolment quality checks.
    quality_far, quality_frr = rates(
        np.array(genuine_usable), np.array(impostor_usable), settings.match_threshold
    )

    curve = [(float(t), *rates(g, imp, float(t))) for t in THRESHOLDS]
    match_far, match_frr = rates(g, imp, settings.match_threshold)
    refer_far, refer_frr = rates(g, imp, settings.refer_threshold)
    # With the refer band, a genuine commuter is rejected outright only above refer_threshold;
    # between the two thresholds they are referred to an officer (not cleared, not rejected).
    referred_genuine = float(np.mean((g > settings.match_threshold) & (g <= settings.refer_threshold)))
    # The best threshold for the 1:1 goal: FAR <= 0.1 % with the lowest FRR.
    meeting = [(t, far, frr) for t, far, frr in curve if far <= 0.001]
    best = min(meeting, key=lambda r: r[2]) if meeting else None

    # 1:N: each probe against a gallery of one enrolled image per other identity (a probe whose
    # own identity is left out is an impostor search); the false identification rate is the share
    # of such searches whose nearest template is within the threshold. Beyond the distinct people
    # in the folder it is extrapolated from the per-comparison false accept rate.
    face_only = settings.face_only_threshold
    per_comparison = max(float(np.mean(imp <= face_only)), normal_tail(imp, face_only))
    people = sorted(set(identities))
    first = {p: identities.index(p) for p in people}
    misses = searches = 0
    for i, who in enumerate(identities):
        others = [first[p] for p in people if p != who]
        nearest = float(np.min(np.linalg.norm(encodings[others] - encodings[i], axis=1)))
        searches += 1
        misses += nearest <= face_only
    fpir = {n: 1 - (1 - per_comparison) ** n for n in (1_000, 10_000, 100_000, 1_000_000)}
    # The largest threshold keeping face-only false identification under 1 % at 100,000.
    candidates = [
        float(t)
        for t in np.arange(0.30, 0.5001, 0.005)
        if 1 - (1 - max(float(np.mean(imp <= t)), normal_tail(imp, float(t)))) ** 100_000 < 0.01
    ]
    suggested = round(max(candidates), 3) if candidates else None
    figures = {
        "benchmark": "accuracy",
        "faces": str(args.faces),
        "images": len(identities),
        "identities": len(people),
        "skipped": skipped,
        "genuine_pairs": len(g),
        "impostor_pairs": len(imp),
        "genuine_distance": {"median": round(float(np.median(g)), 3), "max": round(float(g.max()), 3)},
        "impostor_distance": {"median": round(float(np.median(imp)), 3), "min": round(float(imp.min()), 3)},
        "at_match_threshold": {"threshold": settings.match_threshold, "far": match_far, "frr": match_frr},
        "at_refer_threshold": {"threshold": settings.refer_threshold, "far": refer_far, "frr": refer_frr},
        "genuine_referred_share": round(referred_genuine, 4),
        "at_match_threshold_quality_passing_only": {
            "images": sum(usable),
            "far": quality_far,
            "frr": quality_frr,
        },
        "best_threshold_far_le_0.1pct": None
        if best is None
        else {"threshold": best[0], "far": best[1], "frr": best[2]},
        "face_only": {
            "threshold": face_only,
            "empirical_open_set_searches": searches,
            "empirical_false_identifications": int(misses),
            "per_comparison_far_estimate": per_comparison,
            "fpir_extrapolated": {str(n): round(v, 6) for n, v in fpir.items()},
            "frr": float(np.mean(g > face_only)),
            "largest_threshold_fpir_below_1pct_at_100k": suggested,
        },
    }
    emit(figures)
    args.plots.mkdir(parents=True, exist_ok=True)
    plot(g, imp, curve, settings, args.plots)
    rows = [
        (f"{t:.2f}", f"{far:.4%}", f"{frr:.2%}")
        for t, far, frr in curve
        if round(t * 100) % 5 == 0 or t in (settings.match_threshold, settings.refer_threshold)
    ]
    table(f"1:1 on {len(identities)} images of {len(people)} people", rows, ("threshold", "FAR", "FRR"))
    table(
        "1:N face-only, false identification rate (extrapolated from the per-comparison FAR)",
        [(f"{n:,}", f"{v:.4%}") for n, v in fpir.items()],
        ("gallery", f"FPIR at {face_only}"),
    )


def plot(
    g: np.ndarray, imp: np.ndarray, curve: list[tuple[float, float, float]], settings: Settings, folder: Path
) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1.2, 61)
    ax.hist(imp, bins=bins, density=True, alpha=0.6, label=f"impostor pairs ({len(imp):,})")
    ax.hist(g, bins=bins, density=True, alpha=0.6, label=f"genuine pairs ({len(g):,})")
    for value, name in (
        (settings.face_only_threshold, "face-only"),
        (settings.match_threshold, "match"),
        (settings.refer_threshold, "refer"),
    ):
        ax.axvline(value, linestyle="--", color="black", linewidth=0.8)
        ax.text(value, ax.get_ylim()[1] * 0.9, f" {name} {value}", fontsize=8, rotation=90, va="top")
    ax.set_xlabel("face distance (dlib 128-d, Euclidean)")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "distance_distributions.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    floor = 0.5 / len(imp)
    far = [max(c[1], floor) for c in curve]
    frr = [max(c[2], 0.5 / len(g)) for c in curve]
    ax.loglog(far, frr, marker=".")
    for t, x, y in zip([c[0] for c in curve], far, frr, strict=True):
        if t in (0.45, 0.5, settings.match_threshold, 0.6, 0.65):
            ax.annotate(f"{t:.2f}", (x, y), fontsize=8)
    ax.axvline(0.001, color="grey", linewidth=0.6)
    ax.axhline(0.03, color="grey", linewidth=0.6)
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("false reject rate")
    ax.set_title("DET, 1:1")
    fig.tight_layout()
    fig.savefig(folder / "det_curve.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
