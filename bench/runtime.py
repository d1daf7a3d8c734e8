"""The inference runtime, chosen by measurement: every network the product runs, on OpenVINO Runtime
(the product's) with one and two threads, and the networks onnxruntime can run as they are
published (MiniFASNet's ONNX files) on onnxruntime too, on a real face; and one kiosk frame's
networks as the kiosk runs them (detector, landmarks, embedding, both liveness networks).

Intel's IR files run on onnxruntime only after an IR-to-ONNX conversion the project would have to
write and keep: the one done once for ``../shared/models/README.md`` gave 18 ms a face with one
thread and 40 ms with onnxruntime's default threads for the embedding, on a loaded 2-core machine.

    uv run python -m bench.runtime [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import emit, table
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.settings import Settings
from clearance.vision import detection, landmarks, liveness
from clearance.vision.runtime import Network
from clearance.vision.stack import face_stack
from kiosk.frames import compose_frame, load_photo_file

INTEL = detection.INTEL


def timed(call: Callable[[], Any], runs: int) -> float:
    """Median milliseconds of ``call`` over ``runs`` calls, after five to warm up."""
    for _ in range(5):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def onnxruntime_ms(path: str, batch: np.ndarray[Any, Any], *, threads: int, runs: int) -> float | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return timed(lambda: session.run(None, {name: batch}), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    frame = compose_frame(face=load_photo_file(SAMPLE_COMMUTERS[0].live_photo), qr_text="HC1:" + "A" * 160)
    stack = face_stack(settings)
    stack.load()
    (box,) = stack.detector.detect(frame, max_side=settings.detection_max_side)
    crop = liveness.context_crop(frame, box, scale=2.7)
    inputs = {
        "face-detection-retail-0004.xml": np.random.default_rng(1).random((1, 3, 300, 300), np.float32) * 255,
        "face-reidentification-retail-0095.xml": np.random.default_rng(2).random((1, 3, 128, 128), np.float32)
        * 255,
        "landmarks-regression-retail-0009.xml": np.random.default_rng(3).random((1, 3, 48, 48), np.float32)
        * 255,
    }
    rows, figures = [], {}
    for name, batch in inputs.items():
        row = {}
        for threads in (1, 2):
            network = Network(INTEL / name, threads=threads)
            row[f"openvino_{threads}_thread"] = timed(lambda n=network, b=batch: n.infer(b), args.runs)
        figures[name] = row
        rows.append((name, str(row["openvino_1_thread"]), str(row["openvino_2_thread"]), "-", "-"))
    for filename, _scale, _sha in liveness.NETWORKS:
        path = liveness.WEIGHTS / filename
        row = {}
        for threads in (1, 2):
            network = Network(path, threads=threads)
            row[f"openvino_{threads}_thread"] = timed(lambda n=network: n.infer(crop), args.runs)
            row[f"onnxruntime_{threads}_thread"] = onnxruntime_ms(
                str(path), crop, threads=threads, runs=args.runs
            )
        figures[filename] = row
        rows.append(
            (
                filename,
                str(row["openvino_1_thread"]),
                str(row["openvino_2_thread"]),
                str(row["onnxruntime_1_thread"]),
                str(row["onnxruntime_2_thread"]),
            )
        )
    points = landmarks.shared(settings.inference_threads)
    kiosk = {
        "detect (at the working size)": timed(
            lambda: stack.detector.detect(frame, max_side=settings.detection_max_side), args.runs
        ),
        "five points": timed(lambda: points.five_points(frame, box), args.runs),
        "encode (align + embedding)": timed(lambda: stack.model.encode(frame, box), args.runs),
        "liveness (both networks)": timed(lambda: stack.liveness.score(frame, box), args.runs),
    }
    emit(
        {
            "benchmark": "runtime",
            "runs": args.runs,
            "networks_ms_median": figures,
            "kiosk_frame_ms_median": kiosk,
            "inference_threads": settings.inference_threads,
        }
    )
    table(
        f"Median ms per call ({args.runs} calls)",
        rows,
        ("network", "OpenVINO 1 thread", "OpenVINO 2", "onnxruntime 1", "onnxruntime 2"),
    )
    table(
        f"One kiosk frame as the kiosk runs it ({settings.inference_threads} thread a network)",
        [(step, str(ms)) for step, ms in kiosk.items()],
        ("step", "ms"),
    )


if __name__ == "__main__":
    main()
