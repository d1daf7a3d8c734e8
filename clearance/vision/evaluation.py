"""Measuring a face model on labelled photos: counted error rates with 95 % Wilson intervals,
and thresholds chosen on one half of the people and reported on the other.

Matching is the product's (``faces.template_distance``): unit vectors, a template of a person's
first photos, an attempt's distance the mean over template photos and frames. Used by
``bench/accuracy.py`` and ``hetao models evaluate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from clearance.vision import faces, images

if TYPE_CHECKING:
    from clearance.core.settings import Settings
    from clearance.vision.detection import Detector
    from clearance.vision.models import FaceModel


@dataclass(frozen=True)
class LabelledEncodings:
    """Photos of known people, encoded as at enrolment: one row per photo with a face."""

    identities: NDArray[np.str_]
    """The person in each encoded photo."""
    paths: NDArray[np.str_]
    """Each encoded photo's path inside the folder."""
    encodings: NDArray[np.float32]
    """One unit vector per encoded photo (its largest face)."""
    passes_gate: NDArray[np.bool_]
    """Whether the photo passes the enrolment quality checks (size, exposure, sharpness)."""
    face_px: NDArray[np.int32]
    photos: int
    """Photos in the folder, encoded or not."""
    no_face: int
    model: str

    def by_identity(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for index, who in enumerate(self.identities):
            groups.setdefault(str(who), []).append(index)
        return groups


SUFFIXES = {".jpg", ".jpeg", ".png"}


def labelled_photos(folder: Path) -> list[Path]:
    """The photos of a labelled folder, ``<identity>/<image>``, in a stable order."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of <identity>/<image> photos")
    return sorted(
        p
        for person in sorted(folder.iterdir())
        if person.is_dir()
        for p in sorted(person.iterdir())
        if p.suffix.lower() in SUFFIXES
    )


def encode_folder(
    folder: Path,
    model: FaceModel,
    detector: Detector,
    *,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> LabelledEncodings:
    """Every photo of a labelled folder through ``detector`` (as at enrolment), the enrolment gate
    and ``model``; photos without a face are counted and left out. ``progress(done, total)`` is
    called every 100 photos."""
    files = labelled_photos(folder)
    limits = faces.QualityLimits.for_enrolment(settings)
    identities, paths, encodings, passes, sizes = [], [], [], [], []
    no_face = 0
    for n, path in enumerate(files, 1):
        try:
            image = images.decode_image(path.read_bytes(), max_pixels=settings.max_image_pixels)
        except images.ImageRejected:
            no_face += 1
            continue
        boxes = detector.detect(image, max_side=faces.ENROLMENT_DETECTION_SIDE)
        if not boxes:
            no_face += 1
            continue
        quality = faces.measure_quality(image, boxes[0])
        identities.append(path.parent.name)
        paths.append(str(path.relative_to(folder)))
        encodings.append(model.encode(image, boxes[0]))
        passes.append(not faces.quality_failures(quality, limits))
        sizes.append(quality.face_px)
        if progress and (n % 100 == 0 or n == len(files)):
            progress(n, len(files))
    return LabelledEncodings(
        np.array(identities, dtype=np.str_),
        np.array(paths, dtype=np.str_),
        np.stack(encodings).astype(np.float32) if encodings else np.zeros((0, model.size), np.float32),
        np.array(passes, dtype=bool),
        np.array(sizes, dtype=np.int32),
        len(files),
        no_face,
        model.name,
    )


Array = NDArray[np.float64]
THRESHOLDS = np.round(np.arange(0.05, 1.6001, 0.005), 3)
"""The grid thresholds are chosen from: distances between unit vectors, for any model."""
FAR_GOAL = 0.001
"""False accepts at most 0.1 %, at the upper end of their 95 % interval on faces never used to tune."""
FAR_TUNE_GOAL = 0.0007
"""What the tune half must show (at the upper end of its interval) for a threshold to be chosen:
a margin below ``FAR_GOAL`` for the difference between the people thresholds are chosen on and
the people they meet (the previous model's report half counted 16 % more false accepts than its
tune half at the same threshold)."""
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

    def largest_threshold(self, far_goal: float, *, upper: bool = False) -> float:
        """The largest grid threshold whose counted false accept rate (with ``upper``: the upper
        end of its 95 % interval) is at most ``far_goal``."""

        def far(threshold: float) -> float:
            rate = self.far(threshold)
            return rate.interval()[1] if upper else rate.value

        meeting = [float(t) for t in THRESHOLDS if far(float(t)) <= far_goal]
        return max(meeting) if meeting else float(THRESHOLDS[0])


def split_people(found: LabelledEncodings) -> tuple[list[str], list[str]]:
    """The people in two halves (alternate names in sorted order): tune on one, report on the other."""
    people = sorted(found.by_identity())
    return people[0::2], people[1::2]


class Matcher:
    """Distances between any photos of a set (and of ``distractors``: people with one photo each,
    never in the set), once, as the product computes them."""

    def __init__(self, found: LabelledEncodings, distractors: LabelledEncodings | None = None) -> None:
        self.found = found
        self.groups = found.by_identity()
        encodings = found.encodings
        self.distractors: list[int] = []
        if distractors is not None and len(distractors.encodings):
            start = len(encodings)
            encodings = np.concatenate([encodings, distractors.encodings])
            self.distractors = list(range(start, len(encodings)))
        units = faces.normalise(encodings)
        self.table = np.sqrt(np.maximum(2.0 - 2.0 * (units @ units.T).astype(np.float64), 0.0)).astype(
            np.float32
        )

    def verification(self, people: list[str], *, enrol: int, frames: int) -> Scores:
        """Each person with enough photos gets a template of their first ``enrol`` photos; their
        other photos, ``frames`` at a time, are genuine attempts; every other person's photos,
        ``frames`` of one person at a time, are impostor attempts, and so is each distractor's
        photo (one-frame attempts only: a distractor has one photo). An attempt's distance is the
        mean over template photos and frames."""
        templates = {
            who: self.groups[who][:enrol] for who in people if len(self.groups[who]) >= enrol + frames
        }
        probes: list[tuple[str, list[int]]] = []
        for who in people:
            rest = self.groups[who][enrol:] if who in templates else self.groups[who]
            probes += [(who, rest[i : i + frames]) for i in range(0, len(rest) - frames + 1, frames)]
        if frames == 1:
            probes += [("", [i]) for i in self.distractors]
        flat = [i for _, p in probes for i in p]
        genuine, impostor = [], []
        for who, photos in templates.items():
            block = (
                self.table[np.ix_(photos, flat)]
                .astype(np.float64)
                .reshape(len(photos), len(probes), frames)
                .mean(axis=(0, 2))
            )
            mine = np.array([owner == who for owner, _ in probes])
            genuine.append(block[mine])
            impostor.append(block[~mine])
        if not templates or not probes:
            return Scores(np.zeros(0), np.zeros(0))
        return Scores(np.sort(np.concatenate(genuine)), np.sort(np.concatenate(impostor)))

    def identification(
        self,
        people: list[str],
        outsiders: list[str],
        *,
        threshold: float,
        size: int,
        draws: int = 5,
    ) -> tuple[Rate, Rate]:
        """Open-set 1:N at ``threshold`` with galleries of ``size`` people: those of ``people``
        with a second photo (each in the gallery by their first, searched for by the others),
        filled up to ``size`` with distractors (in the gallery, never searched for), drawn at
        random ``draws`` times (summed) when there are more than ``size``; every photo of
        ``outsiders`` is a stranger's search. (false positive, false negative) identification."""
        rng = np.random.default_rng(size)
        members = [who for who in people if len(self.groups[who]) > 1]
        fillers = [who for who in people if len(self.groups[who]) == 1]
        stranger_probes = [i for who in outsiders for i in self.groups[who]]
        pool = len(members) + len(fillers) + len(self.distractors)
        fp = fp_trials = fn = fn_trials = 0
        for _ in range(draws if size < pool else 1):
            # The gallery: commuters first (they are searched for), then distractors.
            take = min(size, len(members))
            chosen = list(rng.choice(members, size=take, replace=False)) if take else []
            gallery = [self.groups[who][0] for who in chosen]
            extra = size - len(gallery)
            others = [self.groups[who][0] for who in fillers] + self.distractors
            if extra > 0 and others:
                gallery += list(rng.choice(others, size=min(extra, len(others)), replace=False))
            if not gallery:
                continue
            stranger = self.table[np.ix_(stranger_probes, gallery)].min(1)
            fp += int((stranger <= threshold).sum())
            fp_trials += len(stranger_probes)
            mated = [(n, i) for n, who in enumerate(chosen) for i in self.groups[who][1:]]
            if not mated:
                continue
            rows = self.table[np.ix_([i for _, i in mated], gallery)]
            own = np.array([n for n, _ in mated])
            recognised = (rows.argmin(1) == own) & (rows[np.arange(len(own)), own] <= threshold)
            fn += int((~recognised).sum())
            fn_trials += len(mated)
        return Rate(fp, fp_trials), Rate(fn, fn_trials)

    def largest_gallery(self, people: list[str], outsiders: list[str], *, threshold: float) -> int:
        """The most people counted here, commuters and distractors."""
        return len(people) + len(self.distractors)


FACE_ONLY_GALLERY = 2000
"""The face-only gallery the threshold is chosen for: the parks' commuters who opt in."""


def face_only_choice(matcher: Matcher, tune: list[str], report: list[str]) -> tuple[float, int]:
    """On the tune half (its people the gallery, the other half's photos the strangers): the
    largest threshold at which strangers are taken for someone at most 1 % x (the half's people /
    ``FACE_ONLY_GALLERY``) of the time (a false identification is a stranger near one of the
    gallery's people, so its rate grows about in step with the gallery: what keeps 1 % at 2,000
    people), and the largest gallery (of the sizes tried) at which it then holds. Fewer commuters
    go unrecognised as the threshold grows, so the largest safe one is also the most useful."""
    grid = [float(t) for t in THRESHOLDS]
    goal = FPIR_GOAL * len(tune) / FACE_ONLY_GALLERY
    # Strangers are taken for someone more often as the threshold grows: the last that meets the goal.
    low, high = 0, len(grid) - 1
    while low < high:
        middle = (low + high + 1) // 2
        fpir, _fnir = matcher.identification(tune, report, threshold=grid[middle], size=len(tune))
        if fpir.value <= goal:
            low = middle
        else:
            high = middle - 1
    threshold = grid[low]
    return threshold, safe_gallery(matcher, tune, report, threshold=threshold)


def safe_gallery(matcher: Matcher, people: list[str], outsiders: list[str], *, threshold: float) -> int:
    """The largest gallery counted (of ``galleries``) at which strangers are taken for someone at
    most 1 % of the time at the upper end of the 95 % interval, with at most 20 % of commuters not
    recognised; 0 if none."""
    bound = 0
    for size in galleries(matcher.largest_gallery(people, outsiders, threshold=threshold)):
        fpir, fnir = matcher.identification(people, outsiders, threshold=threshold, size=size)
        if fpir.interval()[1] <= FPIR_GOAL and fnir.value <= FNIR_GOAL:
            bound = size
        else:
            break
    return bound


def galleries(people: int) -> list[int]:
    """The face-only gallery sizes tried: 10, 20, 50, 100... up to everyone counted."""
    sizes = [n for n in (10, 20, 50, 100, 200, 500, 1000, 1500, 2000, 2500, 5000) if n < people]
    return [*sizes, people]


@dataclass(frozen=True)
class Calibration:
    """Thresholds chosen on the tune half, and the rates they give on the report half."""

    match: dict[int, float]
    """By number of enrolment photos (1, 2, 3): largest distance keeping false accepts <= 0.1 %."""
    refer: dict[int, float]
    """By number of enrolment photos: largest distance keeping false accepts <= 1 %."""
    face_only: float
    face_only_max_gallery: int
    reported: dict[str, dict[str, Rate]]
    """By kind of template and attempt: false accepts, genuine not cleared, genuine rejected."""
    face_only_reported: dict[int, tuple[Rate, Rate]]
    """By gallery size: (strangers taken for someone, commuters not recognised) at face_only."""
    tune_people: int
    report_people: int

    def thresholds(self) -> dict[str, float | int]:
        """As a face model's manifest and the settings name them."""
        several = min(self.match[e] for e in self.match if e > 1) if len(self.match) > 1 else self.match[1]
        refer_several = (
            min(self.refer[e] for e in self.refer if e > 1) if len(self.refer) > 1 else self.refer[1]
        )
        return {
            "match_threshold": self.match[1],
            "refer_threshold": max(self.match[1], self.refer[1]),
            "match_threshold_several": several,
            "refer_threshold_several": max(several, refer_several),
            "face_only_threshold": self.face_only,
            "face_only_max_gallery": self.face_only_max_gallery,
        }

    def json(self) -> dict[str, Any]:
        return {
            "thresholds": self.thresholds(),
            "tune_people": self.tune_people,
            "report_people": self.report_people,
            "reported": {
                kind: {k: r.json() for k, r in rates.items()} for kind, rates in self.reported.items()
            },
            "face_only_reported": {
                str(size): {"fpir": fpir.json(), "fnir": fnir.json()}
                for size, (fpir, fnir) in self.face_only_reported.items()
            },
        }


def calibrate(found: LabelledEncodings, distractors: LabelledEncodings | None = None) -> Calibration:
    """Choose every threshold on one half of the people and count the rates on the other (with
    ``distractors``, if given, as more impostors and face-only gallery members of the report half).

    A match threshold is the largest at which the tune half's false accepts stay within
    ``FAR_TUNE_GOAL`` at the upper end of their interval, for one-frame attempts (the online
    check's, more false accepts than the kiosk's two-frame ones). Raises ValueError when the folder
    is too small to measure anything: each half needs people with at least two photos (genuine
    attempts) and someone else (impostor attempts)."""
    matcher = Matcher(found)
    reporter = Matcher(found, distractors) if distractors is not None else matcher
    tune, report = split_people(found)
    match, refer, reported = {}, {}, {}
    for enrol in ENROL:
        tuned = matcher.verification(tune, enrol=enrol, frames=1)
        if not len(tuned.genuine) or not len(tuned.impostor):
            continue
        match[enrol] = tuned.largest_threshold(FAR_TUNE_GOAL, upper=True)
        refer[enrol] = tuned.largest_threshold(REFER_FAR)
        for frames in (1, 2):
            scores = reporter.verification(report, enrol=enrol, frames=frames)
            if not len(scores.genuine) or not len(scores.impostor):
                continue
            kind = f"{enrol} photo{'s' if enrol > 1 else ''}, {frames} frame{'s' if frames > 1 else ''}"
            reported[kind] = {
                "far": scores.far(match[enrol]),
                "not_cleared": scores.frr(match[enrol]),
                "rejected": scores.frr(max(match[enrol], refer[enrol])),
            }
    if 1 not in match or "1 photo, 1 frame" not in reported:
        raise ValueError(
            f"too few photos to measure: {len(found.identities)} photos of {len(found.by_identity())} "
            "people; each half of the people needs several with two photos or more"
        )
    face_only, _tuned_bound = face_only_choice(matcher, tune, report)
    bound = safe_gallery(reporter, report, tune, threshold=face_only)
    face_only_reported = {
        size: reporter.identification(report, tune, threshold=face_only, size=size)
        for size in galleries(reporter.largest_gallery(report, tune, threshold=face_only))
    }
    return Calibration(match, refer, face_only, bound, reported, face_only_reported, len(tune), len(report))


# --- Presentation-attack detection (ISO/IEC 30107-3 terms) ---------------------------------------

LIVENESS_GRID = np.round(np.arange(0.01, 0.991, 0.01), 2)
"""The liveness thresholds chosen from."""
BPCER_GOAL = 0.05
"""At most this share of live people may fail the liveness threshold (referred to an officer)."""
BONA_FIDE_REJECTED_GOAL = 0.01
"""At most this share of live people may score below the attack threshold (rejected outright)."""
APCER_GOAL = 0.05
"""At most this share of each kind of attack may pass the liveness threshold."""


@dataclass(frozen=True)
class PadScores:
    """Liveness scores of presentations (an attempt's frames combined): live people (bona fide)
    and attacks of each kind."""

    bona_fide: Array
    attacks: dict[str, Array]

    def bpcer(self, live: float) -> Rate:
        """Live people below the liveness threshold: not cleared (at least referred)."""
        return Rate(int(np.sum(self.bona_fide < live)), len(self.bona_fide))

    def bona_fide_rejected(self, attack: float) -> Rate:
        """Live people below the attack threshold: rejected as an attack."""
        return Rate(int(np.sum(self.bona_fide < attack)), len(self.bona_fide))

    def apcer(self, kind: str, live: float) -> Rate:
        """Attacks of ``kind`` at or above the liveness threshold: taken for a live person."""
        scores = self.attacks[kind]
        return Rate(int(np.sum(scores >= live)), len(scores))

    def attacks_rejected(self, kind: str, attack: float) -> Rate:
        """Attacks of ``kind`` below the attack threshold: rejected outright (not just referred)."""
        scores = self.attacks[kind]
        return Rate(int(np.sum(scores < attack)), len(scores))

    def choose(self, *, bpcer_goal: float = BPCER_GOAL) -> tuple[float, float]:
        """(attack, live) thresholds: ``live`` the largest grid value keeping BPCER within
        ``bpcer_goal`` (so as many attacks as possible fall below it), ``attack`` the largest
        keeping live people rejected within ``BONA_FIDE_REJECTED_GOAL``, never above ``live``.
        Raises ValueError without bona fide scores."""
        if not len(self.bona_fide):
            raise ValueError("no bona fide presentation was scored")
        live = max(
            (float(t) for t in LIVENESS_GRID if self.bpcer(float(t)).value <= bpcer_goal),
            default=float(LIVENESS_GRID[0]),
        )
        attack = max(
            (
                float(t)
                for t in LIVENESS_GRID
                if self.bona_fide_rejected(float(t)).value <= BONA_FIDE_REJECTED_GOAL
            ),
            default=float(LIVENESS_GRID[0]),
        )
        return min(attack, live), live

    def report(self, *, attack: float, live: float) -> dict[str, Any]:
        return {
            "thresholds": {"attack": attack, "live": live},
            "bpcer": self.bpcer(live).json(),
            "bona_fide_rejected": self.bona_fide_rejected(attack).json(),
            "apcer": {kind: self.apcer(kind, live).json() for kind in self.attacks},
            "attacks_rejected": {kind: self.attacks_rejected(kind, attack).json() for kind in self.attacks},
        }
