"""How often the matcher is wrong, counted on faces the thresholds were not tuned on.

The calibration set (``../shared/faces/calibration``: 2,607 LFW photos of 812 people, none of them
in ``dev/``) is split by person into two halves. Thresholds are chosen on one half ("tune") and
every rate is counted on the other ("report"), with a 95 % Wilson interval and the number of
trials. Rates are counted, never extrapolated from a fitted curve; where counting finds nothing,
the interval's upper end says how small the rate is known to be.

Matching as the product does it (``clearance.vision.faces``): encodings are unit vectors; a
commuter's template is the set of their enrolment photos' encodings; the distance of an attempt
is the mean of the distances between each template photo and each kiosk frame used.

- 1:1, for each kind of template the product makes (one, two or three enrolment photos,
  ``ENROL``): a person's template is made from their first photos, the rest are their probes,
  every other person's photos are impostor probes.
- Several kiosk frames: the probe is two photos of the person, a stand-in for two frames of one
  attempt (frames of one attempt differ less than two photos do, so this is the most that fusing
  frames can buy).
- Distractors (``--distractors``, ``../shared/faces/distractors``: 2,075 more LFW people with one
  photo each, in neither half): one-frame impostor probes of the report half, and gallery members
  for face-only, so galleries can be counted up to about 2,500 people.
- 1:N (face-only): each person's first photo is their template in a gallery of the report half's
  people, filled up with distractors; each other photo of theirs is a mated search, every photo of
  the tune half a non-mated search; counted for galleries of growing size: the false positive
  identification rate (a stranger taken for someone) and the false negative identification rate
  (a commuter not recognised). The largest safe gallery is the largest counted where strangers
  stay within 1 % at the upper end of the interval, with at most 20 % of commuters not recognised.

Every figure is for the settings' face model and detector (``HETAO_FACE_MODEL``,
``HETAO_FACE_DETECTOR``; ``--model`` measures another at its own thresholds).

    uv run python -m bench.accuracy [--faces DIR] [--distractors DIR] [--model M] [--plots bench/plots]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import emit, table
from bench.faceset import CALIBRATION, DEV, DISTRACTORS, encoded
from clearance.core.settings import Settings
from clearance.vision.evaluation import (
    ENROL,
    FAR_GOAL,
    FPIR_GOAL,
    THRESHOLDS,
    Matcher,
    Rate,
    Scores,
    calibrate,
    galleries,
    safe_gallery,
    split_people,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    parser.add_argument(
        "--dev", type=Path, default=DEV, help="camera-quality photos (default ../shared/faces/dev)"
    )
    parser.add_argument(
        "--distractors", type=Path, default=DISTRACTORS, help="people with one photo each (none: leave out)"
    )
    parser.add_argument("--model", default=None, help="the face model (default: the settings')")
    parser.add_argument("--plots", type=Path, default=Path(__file__).resolve().parent / "plots")
    args = parser.parse_args()
    settings = Settings(face_model=args.model) if args.model else Settings()
    found = encoded(args.faces, settings=settings)
    distractors = encoded(args.distractors, settings=settings) if args.distractors.is_dir() else None
    matcher = Matcher(found, distractors)
    tune, report = split_people(found)
    calibration = calibrate(found, distractors)
    kinds = {
        f"{e} photo{'s' if e > 1 else ''}, {f} frame{'s' if f > 1 else ''}": (e, f)
        for e in ENROL
        for f in (1, 2)
    }
    reported = {name: matcher.verification(report, enrol=e, frames=f) for name, (e, f) in kinds.items()}
    chosen = {e: (calibration.match[e], calibration.refer[e]) for e in calibration.match}
    face_only, bound = calibration.face_only, calibration.face_only_max_gallery
    shipped = {
        1: settings.match_threshold,
        2: settings.match_threshold_several,
        3: settings.match_threshold_several,
    }
    refer_shipped = {
        1: settings.refer_threshold,
        2: settings.refer_threshold_several,
        3: settings.refer_threshold_several,
    }
    at_shipped = {
        name: {
            "far": scores.far(shipped[e]),
            "not_cleared": scores.frr(shipped[e]),
            "rejected": scores.frr(refer_shipped[e]),
        }
        for name, scores in reported.items()
        for e in [kinds[name][0]]
    }
    identified = {
        size: matcher.identification(report, tune, threshold=settings.face_only_threshold, size=size)
        for size in galleries(matcher.largest_gallery(report, tune, threshold=settings.face_only_threshold))
    }
    safe = safe_gallery(matcher, report, tune, threshold=settings.face_only_threshold)
    dev = Matcher(encoded(args.dev, settings=settings))
    dev_scores = dev.verification(sorted(dev.groups), enrol=1, frames=1)
    gate_refused = int((~found.passes_gate).sum())
    figures: dict[str, Any] = {
        "benchmark": "accuracy",
        "model": found.model,
        "detector": settings.face_detector,
        "faces": str(args.faces),
        "distractors": len(distractors.paths) if distractors is not None else 0,
        "photos": found.photos,
        "encoded": len(found.paths),
        "people": len(found.by_identity()),
        "refused_by_enrolment_gate": gate_refused,
        "tune_people": len(tune),
        "report_people": len(report),
        "tuned": {
            "match_by_template_photos": {e: m for e, (m, _r) in chosen.items()},
            "refer_by_template_photos": {e: r for e, (_m, r) in chosen.items()},
            "face_only": face_only,
            "face_only_largest_gallery": bound,
        },
        "shipped": {
            "match": settings.match_threshold,
            "match_several": settings.match_threshold_several,
            "refer": settings.refer_threshold,
            "refer_several": settings.refer_threshold_several,
            "face_only": settings.face_only_threshold,
            "face_only_largest_gallery": settings.face_only_max_gallery,
        },
        "report_at_shipped": {
            name: {k: r.json() for k, r in rates.items()} for name, rates in at_shipped.items()
        },
        "face_only_report_at_shipped": {
            size: {"fpir": fpir.json(), "fnir": fnir.json()} for size, (fpir, fnir) in identified.items()
        },
        "face_only_safe_gallery_at_shipped": safe,
        "far_goal_met_at_shipped": all(r["far"].interval()[1] <= FAR_GOAL for r in at_shipped.values()),
        "dev_at_shipped": {
            "far": dev_scores.far(settings.match_threshold).json(),
            "frr": dev_scores.frr(settings.match_threshold).json(),
        },
    }
    emit(figures)
    print(
        "\nChosen on the tune half: match / refer by template photos "
        + ", ".join(f"{e}: {m} / {r}" for e, (m, r) in chosen.items())
        + f"; face-only {face_only} for galleries up to {bound}"
    )
    table(
        f"1:1 on the report half ({len(report)} people"
        + (f" and {len(distractors.paths):,} distractors" if distractors is not None else "")
        + f") at the shipped thresholds, {found.model}",
        [
            (name, rates["far"].text(), rates["not_cleared"].text(), rates["rejected"].text())
            for name, rates in at_shipped.items()
        ],
        ("template, attempt", "false accepts", "genuine not cleared", "genuine rejected outright"),
    )
    print(f"\nFace-only is safe (strangers <= 1 % at the upper bound, <= 20 % not recognised) up to {safe}.")
    table(
        f"Face-only (1:N, open set) at the shipped threshold {settings.face_only_threshold}, report half",
        [(str(size), fpir.text(), fnir.text()) for size, (fpir, fnir) in identified.items()],
        ("gallery", "strangers taken for someone", "commuters not recognised"),
    )
    table(
        "dev/ (147 photos, 37 people; the old calibration), one photo, one frame, shipped match",
        [
            (
                "",
                dev_scores.far(settings.match_threshold).text(),
                dev_scores.frr(settings.match_threshold).text(),
            )
        ],
        ("", "false accepts", "not cleared"),
    )
    refused = f"{gate_refused} of {len(found.paths)} calibration photos refused"
    print(f"\nEnrolment gate: {refused} (LFW: 250 px news photos).")
    plot(reported, identified, args.plots, settings=settings)


def plot(
    reported: dict[str, Scores], identified: dict[int, tuple[Rate, Rate]], folder: Path, *, settings: Settings
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, scores in reported.items():
        fars = [max(scores.far(float(t)).value, 1e-7) for t in THRESHOLDS]
        frrs = [scores.frr(float(t)).value for t in THRESHOLDS]
        axes.plot(fars, frrs, label=name)
    axes.axvline(FAR_GOAL, color="grey", linestyle=":", label="0.1 % false accepts")
    axes.set_xscale("log")
    axes.set_xlim(1e-5, 0.1)
    axes.set_ylim(0, 0.25)
    axes.set_xlabel("false accept rate (counted)")
    axes.set_ylabel("genuine not cleared")
    axes.set_title("DET by kind of template and attempt, report half of the calibration set")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(folder / "det_curve.png", dpi=110)
    plt.close(figure)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    single = reported["1 photo, 1 frame"]
    bins = list(np.arange(0.0, 1.6, 0.01))
    axes.hist(
        single.impostor, bins=bins, density=True, alpha=0.6, label=f"impostor ({len(single.impostor):,})"
    )
    axes.hist(single.genuine, bins=bins, density=True, alpha=0.6, label=f"genuine ({len(single.genuine):,})")
    axes.axvline(
        settings.match_threshold, color="black", linestyle="--", label=f"match {settings.match_threshold}"
    )
    axes.axvline(
        settings.refer_threshold, color="grey", linestyle=":", label=f"refer {settings.refer_threshold}"
    )
    axes.set_xlabel("distance between unit encodings")
    axes.set_title("One-photo templates, one frame, report half")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(folder / "distance_distributions.png", dpi=110)
    plt.close(figure)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    sizes = sorted(identified)
    axes.plot(sizes, [identified[s][0].value for s in sizes], marker="o", label="strangers taken for someone")
    axes.plot(sizes, [identified[s][1].value for s in sizes], marker="o", label="commuters not recognised")
    axes.axhline(FPIR_GOAL, color="grey", linestyle=":", label="1 %")
    axes.set_xscale("log")
    axes.set_xlabel("people in the face-only gallery")
    axes.set_title(f"Face-only at {settings.face_only_threshold}, report half")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(folder / "face_only.png", dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
