"""Time of ``POST /api/v1/kiosk/verify`` over real HTTP, split by step.

A fresh SQLite server in this process (uvicorn on a free loopback port), one enrolled commuter,
and N requests each carrying a 640x480 JPEG frame of their QR card beside a different photo of
them. Prints one JSON line of figures, then a short table.

    uv run python -m bench.verify [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import emit, percentile
from clearance.cli.demo import bootstrap, enrol, expect, sign_in, start_server
from clearance.cli.launch import free_port
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.settings import Settings
from clearance.db import migrations as schema
from clearance.http.errors import API_PREFIX
from clearance.vision import images
from clearance.vision.stack import face_stack
from kiosk.frames import compose_frame, load_photo_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None)
        schema.upgrade(url=settings.sqlalchemy_url)
        setup = bootstrap(settings)
        host = "127.0.0.1"
        server, thread, _context = start_server(settings, host=host, port=free_port(host))
        sample = SAMPLE_COMMUTERS[0]
        try:
            with httpx.Client(base_url=f"http://{host}:{server.config.port}", timeout=60) as client:
                enroller, officer = sign_in(client, setup.enroller), sign_in(client, setup.officer)
                commuter = enrol(client, enroller, sample, setup.organisation_id)
                expect(client.post(f"{API_PREFIX}/commuters/{commuter['id']}/approve", headers=officer), 200)
                credential = expect(
                    client.post(
                        f"{API_PREFIX}/commuters/{commuter['id']}/credentials", headers=enroller, json={}
                    ),
                    201,
                )
                frame_image = compose_frame(
                    face=load_photo_file(sample.live_photo), qr_text=credential["payload"]
                )
                frame = images.encode_jpeg(frame_image, quality=90)
                # The east kiosk goes towards Hong Kong, the west one back: every attempt clears.
                kiosks = [
                    {"Authorization": f"Bearer {key}"} for key in (setup.kiosk_key, setup.return_kiosk_key)
                ]
                files = {"frame": ("frame.jpg", frame, "image/jpeg")}
                wall: list[float] = []
                steps: dict[str, list[float]] = {}
                for run in range(args.runs + 1):
                    kiosk = kiosks[run % 2]
                    if run == 0:  # warm-up
                        expect(client.post(f"{API_PREFIX}/kiosk/verify", headers=kiosk, files=files), 200)
                        continue
                    started = time.perf_counter()
                    result = expect(
                        client.post(f"{API_PREFIX}/kiosk/verify", headers=kiosk, files=files), 200
                    )
                    wall.append((time.perf_counter() - started) * 1000)
                    assert result["decision"] == "cleared", result
                    for step, ms in result["timings_ms"].items():
                        steps.setdefault(step, []).append(ms)
        finally:
            server.should_exit = True
            thread.join(10)

    # The networks alone, on the same frame: one detection at the working size, one liveness
    # score and one encoding.
    stack = face_stack(settings)
    models: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        (box,) = stack.detector.detect(frame_image, max_side=settings.detection_max_side)
        stack.liveness.score(frame_image, box)
        stack.model.encode(frame_image, box)
        models.append((time.perf_counter() - started) * 1000)

    figures = {
        "benchmark": "kiosk_verify_http",
        "runs": args.runs,
        "frame": f"{frame_image.shape[1]}x{frame_image.shape[0]} JPEG, {len(frame)} bytes",
        "wall_ms_median": round(statistics.median(wall), 1),
        "wall_ms_p95": round(percentile(wall, 0.95), 1),
        "server_steps_ms_median": {step: round(statistics.median(v), 2) for step, v in steps.items()},
        "models_alone_ms_median": round(statistics.median(models), 1),
    }
    emit(figures)
    print(f"\nPOST /kiosk/verify, {args.runs} runs, {figures['frame']}")
    print(f"  {'step':24} {'median ms':>10}")
    for step, ms in figures["server_steps_ms_median"].items():  # type: ignore[union-attr]
        print(f"  {step:24} {ms:10.2f}")
    server_total = sum(figures["server_steps_ms_median"].values())  # type: ignore[union-attr]
    print(f"  {'server steps total':24} {server_total:10.1f}")
    print(f"  {'wall (client) median':24} {figures['wall_ms_median']:10.1f}   p95 {figures['wall_ms_p95']}")
    print(f"  {'models alone':24} {figures['models_alone_ms_median']:10.1f}")


if __name__ == "__main__":
    main()
