"""``hetao models``: measure a face model on labelled photos, and re-make templates when it changes.

hetao models evaluate --faces DIR [--model dlib|MODEL_DIR] [--write]
hetao models reencode [--batch 50]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clearance.cli.context import print_columns
from clearance.core.face_model import ModelManifest, ModelThresholds, folder_of, is_dlib

MIN_PEOPLE = 100
"""Thresholds measured on fewer people are not written without --min-people: the counted rates
would say little (with 50 people a half holds 25, and the 0.1 % goal rests on a few hundred
impostor pairs)."""


def _print_rates(calibration: Any) -> None:
    rows = [
        (kind, rates["far"].text(), rates["not_cleared"].text(), rates["rejected"].text())
        for kind, rates in calibration.reported.items()
    ]
    header = ("template, attempt", "false accepts", "genuine not cleared", "genuine rejected outright")
    print(
        f"\n1:1 on the report half ({calibration.report_people} people), "
        "at the thresholds chosen on the other:"
    )
    print_columns(header, rows, indent="  ")
    print(f"\nFace-only (1:N) at {calibration.face_only}, report half:")
    print("  gallery  strangers taken for someone          commuters not recognised")
    for size, (fpir, fnir) in calibration.face_only_reported.items():
        print(f"  {size:>7}  {fpir.text():<36} {fnir.text()}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from clearance.cli.context import load_settings
    from clearance.vision import detection, evaluation, models

    settings = load_settings()
    faces_dir: Path = args.faces
    model: models.FaceModel
    if is_dlib(args.model):
        model = models.DlibModel()
    else:
        folder = folder_of(args.model)
        model = models.NetworkModel(folder, ModelManifest.read(folder), threads=settings.inference_threads)
    model.load()
    detector = detection.detector(settings.face_detector, threads=settings.inference_threads)
    total = len(evaluation.labelled_photos(faces_dir))
    print(f"encoding {total:,} photos of {faces_dir} with {model.name}", file=sys.stderr, flush=True)

    def progress(done: int, of: int) -> None:
        print(f"  {done:,} of {of:,} photos encoded", file=sys.stderr, flush=True)

    found = evaluation.encode_folder(faces_dir, model, detector, settings=settings, progress=progress)
    people = len(found.by_identity())
    refused = int((~found.passes_gate).sum())
    print(
        f"{found.photos:,} photos, {len(found.paths):,} with a face ({found.no_face:,} without), "
        f"{people:,} people; the enrolment gate would refuse {refused:,}"
    )
    calibration = evaluation.calibrate(found)
    thresholds = calibration.thresholds()
    print(
        f"chosen on {calibration.tune_people} people: "
        + ", ".join(f"{name} {value}" for name, value in thresholds.items())
    )
    _print_rates(calibration)
    if args.json:
        print(json.dumps({"model": model.name, "faces": str(faces_dir), **calibration.json()}))
    if not args.write:
        print("\n(nothing written: add --write to put these thresholds in the model's manifest)")
        return 0
    if is_dlib(args.model):
        settings_lines = " ".join(f"HETAO_{name.upper()}={value}" for name, value in thresholds.items())
        raise SystemExit(
            "hetao: dlib is built in and has no manifest: set the thresholds as settings instead: "
            + settings_lines
        )
    if people < args.min_people:
        raise SystemExit(
            f"hetao: {people} people is too few to trust these thresholds (at least {args.min_people}; "
            "lower --min-people only to try the command out)"
        )
    assert isinstance(model, models.NetworkModel)
    manifest = ModelManifest.read(model.folder)
    manifest.thresholds = ModelThresholds.model_validate(thresholds)
    manifest.measured = {
        "faces": str(faces_dir),
        "photos": len(found.paths),
        "people": people,
        **calibration.json(),
    }
    manifest.write(model.folder)
    print(f"\nwrote the thresholds into {model.folder / 'manifest.json'}")
    return 0


def cmd_reencode(args: argparse.Namespace) -> int:
    from clearance.cli.context import load_settings, migrated_engine
    from clearance.db.actors import SystemActor
    from clearance.db.engine import make_sessionmaker
    from clearance.db.keyring import load_keyring
    from clearance.vision.stack import face_stack
    from enrolment import remake

    settings = load_settings()
    sessions = make_sessionmaker(migrated_engine(settings, "re-make templates"))
    stack = face_stack(settings)
    stack.load()
    model = stack.model

    def progress(done: int, total: int) -> None:
        print(f"  {done:,} of {total:,} templates", file=sys.stderr, flush=True)

    result = remake.remake_templates(
        sessions,
        stack=stack,
        keyring=load_keyring(settings),
        settings=settings,
        actor=SystemActor.command_line(),
        batch=args.batch,
        progress=progress,
    )
    print(
        f"re-made {result.remade:,} templates with {model.name}; {result.remaining:,} left by another model"
    )
    for commuter_id, reason in result.failed.items():
        print(f"  commuter {commuter_id}: {reason}")
    if result.failed:
        print(
            f"{len(result.failed):,} could not be re-made: add a new photo of each "
            "(their attempts are referred to an officer until then)"
        )
        return 1
    return 0


def add_commands(commands: Any) -> None:
    group = commands.add_parser("models", help="face models: measure one, re-make templates").add_subparsers(
        dest="models_command", required=True
    )
    evaluate = group.add_parser(
        "evaluate",
        help="measure a face model on labelled photos (<identity>/<image>) and choose its thresholds",
    )
    evaluate.add_argument("--faces", type=Path, required=True, help="folder of <identity>/<image> photos")
    evaluate.add_argument(
        "--model",
        default="intel",
        help="intel (bundled, the default), dlib (built in) or a model folder with manifest.json",
    )
    evaluate.add_argument("--write", action="store_true", help="write the thresholds into the manifest")
    evaluate.add_argument(
        "--min-people",
        type=int,
        default=MIN_PEOPLE,
        help=f"refuse to write below this (default {MIN_PEOPLE})",
    )
    evaluate.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    evaluate.set_defaults(func=cmd_evaluate)
    reencode = group.add_parser(
        "reencode", help="re-make every template not made by HETAO_FACE_MODEL from its reference photos"
    )
    reencode.add_argument("--batch", type=int, default=50, help="commuters per transaction (default 50)")
    reencode.set_defaults(func=cmd_reencode)
