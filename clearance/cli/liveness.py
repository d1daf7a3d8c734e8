"""``hetao liveness calibrate``: measure the liveness check on recordings from a kiosk's own
camera, and say which thresholds it would set.

    hetao liveness calibrate --bona-fide DIR --attacks DIR [--frames 2] [--json]

``--bona-fide DIR``: recordings of real people walking up to the kiosk. ``--attacks DIR``: one
subfolder per kind of attack (``phone/``, ``print/``, ``close_print/``, any names), each holding
recordings of that attack; videos and images directly in DIR count as one kind, ``attack``. A
recording is a video file, a folder of frames (played in name order) or one image.

Each recording is played through the kiosk's own steps (faces found at the kiosk's working
size, a frame used only with exactly one face large enough); every ``--frames`` usable frames
in a row make one presentation, scored as the kiosk scores an attempt (the median of its
frames). Frames of one recording are alike, so its presentations are not independent trials:
the intervals printed are narrower than the truth when recordings are few. Record many people,
devices and prints, in the kiosk's own light.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
MIN_PRESENTATIONS = 20
"""Fewer bona fide presentations than this choose nothing: the rates would say little."""


def recordings(folder: Path) -> list[Path]:
    """The recordings directly in ``folder``: videos, frame folders and single images."""
    from kiosk.sources import IMAGE_SUFFIXES

    found = []
    for entry in sorted(folder.iterdir()):
        suffix = entry.suffix.lower()
        if entry.is_dir() or suffix in VIDEO_SUFFIXES or suffix in IMAGE_SUFFIXES:
            found.append(entry)
    return found


def attack_kinds(folder: Path) -> dict[str, list[Path]]:
    """Recordings of each kind of attack: every subfolder of ``folder`` is a kind (its name) and
    holds that kind's recordings; videos and images directly in ``folder`` are of kind ``attack``."""
    kinds: dict[str, list[Path]] = {}
    for entry in recordings(folder):
        if entry.is_dir():
            kinds[entry.name] = recordings(entry)
        else:
            kinds.setdefault("attack", []).append(entry)
    return {kind: found for kind, found in kinds.items() if found}


def score_recording(path: Path, *, frames: int, settings: Any) -> tuple[list[float], int]:
    """The liveness of each presentation in the recording at ``path``, and its usable frames."""
    from clearance.vision import images, liveness
    from clearance.vision.attempt import FaceTally
    from clearance.vision.stack import face_stack
    from kiosk import sources
    from kiosk.frames import load_photo_file

    stack = face_stack(settings)
    model = stack.liveness
    stream: Iterable[images.RGBImage]
    if path.is_file() and path.suffix.lower() in sources.IMAGE_SUFFIXES:
        stream = [load_photo_file(path)]
    else:
        stream = (frame.image for frame in sources.frames(str(path), loop=False))
    # A frame counts as the kiosk counts it: exactly one face, large enough.
    tally = FaceTally(min_face_px=settings.kiosk_min_face_px)
    scores, group = [], []
    for image in stream:
        boxes = stack.detector.detect(image, max_side=settings.detection_max_side)
        if tally.observe(image, boxes, detector=model) is None:
            continue
        group.append(tally.liveness[-1])
        if len(group) == frames:
            scores.append(liveness.combine(group))
            group = []
    if group and not scores:
        scores.append(liveness.combine(group))  # a short recording still counts once
    return [s for s in scores if s is not None], tally.usable


def score_all(paths: list[Path], *, frames: int, settings: Any, label: str) -> list[float]:
    scores: list[float] = []
    for done, path in enumerate(paths, 1):
        found, usable = score_recording(path, frames=frames, settings=settings)
        scores += found
        note = "" if usable else " (no usable face: not counted)"
        print(f"  {label} {done}/{len(paths)} {path.name}: {len(found)} presentations{note}", file=sys.stderr)
    return scores


def cmd_calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from clearance.cli.context import load_settings
    from clearance.vision.evaluation import PadScores

    settings = load_settings()
    for name, folder in (("--bona-fide", args.bona_fide), ("--attacks", args.attacks)):
        if not folder.is_dir():
            raise ValueError(f"{name} {folder} is not a folder of recordings")
    frames = args.frames or settings.kiosk_frames
    if frames < 1:
        raise ValueError("--frames must be at least 1")
    bona_fide_paths = recordings(args.bona_fide)
    kinds = attack_kinds(args.attacks)
    if not bona_fide_paths or not kinds:
        raise ValueError("both folders must hold recordings (videos, frame folders or images)")
    print(
        f"scoring {len(bona_fide_paths)} bona fide recordings and "
        f"{sum(len(p) for p in kinds.values())} attack recordings ({', '.join(kinds)})",
        file=sys.stderr,
    )
    bona_fide = score_all(bona_fide_paths, frames=frames, settings=settings, label="bona fide")
    attacks = {
        kind: np.array(score_all(paths, frames=frames, settings=settings, label=kind), dtype=np.float64)
        for kind, paths in kinds.items()
    }
    scores = PadScores(np.array(bona_fide, dtype=np.float64), attacks)
    if not len(scores.bona_fide):
        raise ValueError("no bona fide recording showed a usable face")
    current = scores.report(attack=settings.liveness_attack_threshold, live=settings.liveness_threshold)
    print(
        f"\nAt the thresholds in use (attack < {settings.liveness_attack_threshold}, "
        f"live >= {settings.liveness_threshold}):"
    )
    _print_report(scores, current)
    figures: dict[str, Any] = {"current": current}
    if len(scores.bona_fide) < MIN_PRESENTATIONS:
        print(
            f"\n{len(scores.bona_fide)} bona fide presentations: at least {MIN_PRESENTATIONS} are needed "
            "before this command suggests thresholds. Record more people.",
        )
    else:
        attack, live = scores.choose()
        chosen = scores.report(attack=attack, live=live)
        figures["chosen"] = chosen
        print(
            "\nThresholds these recordings call for (BPCER within 5 %, live people rejected within 1 %), "
            "and their rates on the same recordings (optimistic: chosen on them):"
        )
        _print_report(scores, chosen)
        print("\nTo use them, set in the environment of the server and every kiosk:")
        print(f"  HETAO_LIVENESS_ATTACK_THRESHOLD={attack}")
        print(f"  HETAO_LIVENESS_THRESHOLD={live}")
        if live > settings.liveness_face_only_threshold:
            print(f"  HETAO_LIVENESS_FACE_ONLY_THRESHOLD={live}")
    if args.json:
        print(json.dumps(figures))
    return 0


def _print_report(scores: Any, report: dict[str, Any]) -> None:
    def text(rate: dict[str, Any]) -> str:
        return (
            f"{rate['rate']:.1%} [{rate['low']:.1%}, {rate['high']:.1%}] ({rate['errors']}/{rate['trials']})"
        )

    print(f"  BPCER (live people not cleared)        {text(report['bpcer'])}")
    print(f"  live people rejected as attacks         {text(report['bona_fide_rejected'])}")
    for kind in scores.attacks:
        print(f"  APCER {kind:<32}  {text(report['apcer'][kind])}")


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "liveness", help="the liveness check: calibrate it on recordings from a kiosk's camera"
    ).add_subparsers(dest="liveness_command", required=True)
    calibrate = group.add_parser(
        "calibrate",
        help="measure BPCER and APCER on bona fide and attack recordings; print the thresholds they call for",
    )
    calibrate.add_argument(
        "--bona-fide", type=Path, required=True, help="folder of recordings of real people at the kiosk"
    )
    calibrate.add_argument(
        "--attacks",
        type=Path,
        required=True,
        help="folder of attack recordings, one subfolder per kind (phone/, print/, ...)",
    )
    calibrate.add_argument(
        "--frames", type=int, help="usable frames per presentation (default: HETAO_KIOSK_FRAMES, as a kiosk)"
    )
    calibrate.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    calibrate.set_defaults(func=cmd_calibrate)
