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
- 1:N (face-only): each person's first photo is their template in a gallery of people drawn from
  one half; each other photo of theirs is a mated search, every photo of the other half a
  non-mated search; counted for galleries of growing size: the false positive identification rate
  (a stranger taken for someone) and the false negative identification rate (a commuter not
  recognised).

    uv run python -m bench.accuracy [--faces DIR] [--plots bench/plots]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import emit, table
from bench.faceset import CALIBRATION, DEV, FaceSet, encoded
from clearance.core.settings import Settings
from clearance.vision import faces

Array = NDArray[np.float64]
THRESHOLDS = np.round(np.arange(0.25, 0.6001, 0.005), 3)
FAR_GOAL = 0.001
REFER_FAR = 0.01
"""The refer band reaches as far as false accepts stay under 1 %: an impostor there is sent to
an officer instead of being rejected (never cleared)."""
FPIR_GOAL = 0.01
FNIR_GOAL = 0.20
ENROL = (1, 2, 3)
Z = 1.959964  # 95 %


@dataclass(frozen=True)
class Rate:
    errors: int
    trials: int

    @property
    def value(self) -> float:
        return self.errors / self.trials if self.trials else float("nan")

    def interval(self) -> tuple[float, float]:
        """The 95 % Wilson score interval."""
        n, p = self.trials, self.value
        if not n:
            return (float("nan"), float("nan"))
        centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
        spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
        return max(0.0, centre - spread), min(1.0, centre + spread)

    def text(self) -> str:
        low, high = self.interval()
        return f"{self.value:.3%} [{low:.3%}, {high:.3%}] ({self.errors:,}/{self.trials:,})"

    def json(self) -> dict[str, Any]:
        low, high = self.interval()
        return {
            "rate": round(self.value, 6),
            "low": round(low, 6),
            "high": round(high, 6),
            "errors": self.errors,
            "trials": self.trials,
        }


@dataclass(frozen=True)
class Scores:
    """Distances of genuine and impostor comparisons, sorted for counting."""

    genuine: Array
    impostor: Array

    def far(self, threshold: float) -> Rate:
        return Rate(int(np.searchsorted(self.impostor, threshold, side="right")), len(self.impostor))

    def frr(self, threshold: float) -> Rate:
        kept = int(np.searchsorted(self.genuine, threshold, side="right"))
        return Rate(len(self.genuine) - kept, len(self.genuine))

    def largest_threshold(self, far_goal: float) -> float:
        """The largest grid threshold whose counted false accept rate is at most ``far_goal``."""
        meeting = [float(t) for t in THRESHOLDS if self.far(float(t)).value <= far_goal]
        return max(meeting) if meeting else float(THRESHOLDS[0])


def split_people(found: FaceSet) -> tuple[list[str], list[str]]:
    """The people in two halves (alternate names in sorted order): tune on one, report on the other."""
    people = sorted(found.by_identity())
    return people[0::2], people[1::2]


class Matcher:
    """Distances between any photos of a set, once, as the product computes them."""

    def __init__(self, found: FaceSet) -> None:
        self.found = found
        self.groups = found.by_identity()
        units = faces.normalise(found.encodings)
        self.table = np.sqrt(np.maximum(2.0 - 2.0 * (units @ units.T).astype(np.float64), 0.0))

    def verification(self, people: list[str], *, enrol: int, frames: int) -> Scores:
        """Each person with enough photos gets a template of their first ``enrol`` photos; their
        other photos, ``frames`` at a time, are genuine attempts; every other person's photos,
        ``frames`` of one person at a time, are impostor attempts. An attempt's distance is the
        mean over template photos and frames."""
        templates = {
            who: self.groups[who][:enrol] for who in people if len(self.groups[who]) >= enrol + frames
        }
        probes: list[tuple[str, list[int]]] = []
        for who in people:
            rest = self.groups[who][enrol:] if who in templates else self.groups[who]
            probes += [(who, rest[i : i + frames]) for i in range(0, len(rest) - frames + 1, frames)]
        flat = [i for _, p in probes for i in p]
        genuine, impostor = [], []
        for who, photos in templates.items():
            block = (
                self.table[np.ix_(photos, flat)].reshape(len(photos), len(probes), frames).mean(axis=(0, 2))
            )
            mine = np.array([owner == who for owner, _ in probes])
            genuine.append(block[mine])
            impostor.append(block[~mine])
        return Scores(np.sort(np.concatenate(genuine)), np.sort(np.concatenate(impostor)))

    def identification(
        self, people: list[str], outsiders: list[str], *, threshold: float, size: int, draws: int = 5
    ) -> tuple[Rate, Rate]:
        """Open-set 1:N at ``threshold`` with galleries of ``size`` people drawn from ``people``
        (``draws`` random draws, summed): (false positive, false negative) identification."""
        rng = np.random.default_rng(size)
        stranger_probes = [i for who in outsiders for i in self.groups[who]]
        fp = fp_trials = fn = fn_trials = 0
        for _ in range(draws if size < len(people) else 1):
            chosen = list(rng.choice(people, size=size, replace=False))
            gallery = [self.groups[who][0] for who in chosen]
            stranger = self.table[np.ix_(stranger_probes, gallery)].min(1)
            fp += int((stranger <= threshold).sum())
            fp_trials += len(stranger_probes)
            mated = [(n, i) for n, who in enumerate(chosen) for i in self.groups[who][1:]]
            rows = self.table[np.ix_([i for _, i in mated], gallery)]
            own = np.array([n for n, _ in mated])
            recognised = (rows.argmin(1) == own) & (rows[np.arange(len(own)), own] <= threshold)
            fn += int((~recognised).sum())
            fn_trials += len(mated)
        return Rate(fp, fp_trials), Rate(fn, fn_trials)


def face_only_choice(matcher: Matcher, tune: list[str], report: list[str]) -> tuple[float, int]:
    """On the tune half: the smallest threshold at which commuters are recognised at least 80 %
    of the time (with the whole half as the gallery), and the largest gallery (of the sizes
    tried) at which strangers are then taken for someone at most 1 % of the time."""
    threshold = float(THRESHOLDS[-1])
    for t in THRESHOLDS:
        _fpir, fnir = matcher.identification(tune, report, threshold=float(t), size=len(tune))
        if fnir.value <= FNIR_GOAL:
            threshold = float(t)
            break
    bound = 0
    for size in GALLERIES:
        fpir, _fnir = matcher.identification(tune, report, threshold=threshold, size=min(size, len(tune)))
        if fpir.value <= FPIR_GOAL:
            bound = min(size, len(tune))
    return threshold, bound


GALLERIES = (10, 20, 50, 100, 200, 406)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=Path, default=CALIBRATION)
    parser.add_argument("--plots", type=Path, default=Path(__file__).resolve().parent / "plots")
    args = parser.parse_args()
    settings = Settings()
    found = encoded(args.faces)
    matcher = Matcher(found)
    tune, report = split_people(found)
    kinds = {
        f"{e} photo{'s' if e > 1 else ''}, {f} frame{'s' if f > 1 else ''}": (e, f)
        for e in ENROL
        for f in (1, 2)
    }
    tuned = {name: matcher.verification(tune, enrol=e, frames=f) for name, (e, f) in kinds.items()}
    reported = {name: matcher.verification(report, enrol=e, frames=f) for name, (e, f) in kinds.items()}
    # One threshold per number of template photos, from one frame (several frames only lower
    # both error rates at the same threshold).
    chosen = {
        e: (tuned[name].largest_threshold(FAR_GOAL), tuned[name].largest_threshold(REFER_FAR))
        for name, (e, f) in kinds.items()
        if f == 1
    }
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
    face_only, bound = face_only_choice(matcher, tune, report)
    identified = {
        size: matcher.identification(
            report, tune, threshold=settings.face_only_threshold, size=min(size, len(report))
        )
        for size in GALLERIES
    }
    dev = Matcher(encoded(DEV))
    dev_scores = dev.verification(sorted(dev.groups), enrol=1, frames=1)
    gate_refused = int((~found.passes_gate).sum())
    figures: dict[str, Any] = {
        "benchmark": "accuracy",
        "faces": str(args.faces),
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
        f"1:1 on the report half ({len(report)} people) at the shipped thresholds",
        [
            (name, rates["far"].text(), rates["not_cleared"].text(), rates["rejected"].text())
            for name, rates in at_shipped.items()
        ],
        ("template, attempt", "false accepts", "genuine not cleared", "genuine rejected outright"),
    )
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
    axes.set_ylim(0, 0.4)
    axes.set_xlabel("false accept rate (counted)")
    axes.set_ylabel("genuine not cleared")
    axes.set_title("DET by kind of template and attempt, report half of the calibration set")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(folder / "det_curve.png", dpi=110)
    plt.close(figure)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    single = reported["1 photo, 1 frame"]
    bins = list(np.arange(0.0, 1.0, 0.01))
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
