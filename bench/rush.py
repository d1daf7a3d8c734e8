"""The server under a morning rush: ``POST /api/v1/kiosk/verify`` throughput, then twice that.

``hetao serve`` in its own process on a fresh database, one enrolled commuter, and the kiosks of
the demo's two footbridges sending 640x480 JPEG frames of the commuter's card beside a live photo
of them (every request is a full check: QR, signature, detection, liveness, encoding, match).

1. Capacity: ``--clients`` kiosks each sending its next frame as soon as the last is answered, for
   ``--seconds``: answered requests per second (per core of this machine, too).
2. Rush: frames arriving at random (Poisson) at ``--overload`` times that capacity for
   ``--seconds``, whatever the answers: how many are answered, how many shed with 503 and
   ``Retry-After`` (the server's admission: at most ``max_requests_at_work`` at work, the rest wait
   up to ``--admission-wait`` seconds), when the first 503 came, the latency of the answered ones,
   and that nothing else failed.

    uv run python -m bench.rush [--seconds 60] [--clients 4] [--overload 2] [--admission-wait 10]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import emit, percentile, table
from clearance.cli.demo import bootstrap, enrol, expect, sign_in
from clearance.cli.launch import server_env, start_server
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.settings import Settings
from clearance.db import migrations as schema
from clearance.http.errors import API_PREFIX
from clearance.vision import images
from kiosk.frames import compose_frame, load_photo_file


@dataclass(frozen=True)
class Answer:
    sent: float
    """Seconds since the phase began."""
    seconds: float
    status: int
    """The HTTP status, or 0 where no answer came (a connection error or a timeout)."""
    retry_after: str | None


def ask(client: httpx.Client, kiosk: dict[str, str], frame: bytes, began: float) -> Answer:
    sent = time.perf_counter()
    try:
        response = client.post(
            f"{API_PREFIX}/kiosk/verify", headers=kiosk, files={"frame": ("frame.jpg", frame, "image/jpeg")}
        )
        status, retry = response.status_code, response.headers.get("retry-after")
    except httpx.HTTPError:
        status, retry = 0, None
    return Answer(sent - began, time.perf_counter() - sent, status, retry)


def capacity(
    client: httpx.Client, kiosks: list[dict[str, str]], frame: bytes, *, clients: int, seconds: float
) -> list[Answer]:
    """Closed loop: each client sends again as soon as it is answered."""
    answers: list[Answer] = []
    lock = threading.Lock()
    began = time.perf_counter()

    def loop(n: int) -> None:
        while time.perf_counter() - began < seconds:
            answer = ask(client, kiosks[n % len(kiosks)], frame, began)
            with lock:
                answers.append(answer)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, range(clients)))
    return answers


def rush(
    client: httpx.Client,
    kiosks: list[dict[str, str]],
    frame: bytes,
    *,
    rate: float,
    seconds: float,
    seed: int,
) -> list[Answer]:
    """Open loop: frames arrive at random at ``rate`` a second for ``seconds``, answered or not."""
    chance = random.Random(seed)
    began = time.perf_counter()
    futures = []
    with ThreadPoolExecutor(512) as pool:
        at, n = 0.0, 0
        while True:
            at += chance.expovariate(rate)
            if at >= seconds:
                break
            time.sleep(max(0.0, at - (time.perf_counter() - began)))
            futures.append(pool.submit(ask, client, kiosks[n % len(kiosks)], frame, began))
            n += 1
        return [future.result() for future in futures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--overload", type=float, default=2.0)
    parser.add_argument("--admission-wait", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    sample = SAMPLE_COMMUTERS[0]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None)
        schema.upgrade(url=settings.sqlalchemy_url)
        setup = bootstrap(settings)
        env = server_env(
            settings.data_dir, settings.sqlalchemy_url, admission_wait_seconds=str(args.admission_wait)
        )
        server, url = start_server(settings.data_dir, settings.sqlalchemy_url, env=env)
        try:
            limits = httpx.Limits(max_connections=1024, max_keepalive_connections=64)
            with httpx.Client(base_url=url, timeout=args.admission_wait + 60, limits=limits) as client:
                enroller, officer = sign_in(client, setup.enroller), sign_in(client, setup.officer)
                commuter = enrol(client, enroller, sample, setup.organisation_id)
                expect(client.post(f"{API_PREFIX}/commuters/{commuter['id']}/approve", headers=officer), 200)
                credential = expect(
                    client.post(
                        f"{API_PREFIX}/commuters/{commuter['id']}/credentials", headers=enroller, json={}
                    ),
                    201,
                )
                frame = images.encode_jpeg(
                    compose_frame(face=load_photo_file(sample.live_photo), qr_text=credential["payload"]),
                    quality=90,
                )
                kiosks = [
                    {"Authorization": f"Bearer {key}"} for key in (setup.kiosk_key, setup.return_kiosk_key)
                ]
                expect(
                    client.post(f"{API_PREFIX}/kiosk/verify", headers=kiosks[0], files={"frame": frame}), 200
                )
                closed = capacity(client, kiosks, frame, clients=args.clients, seconds=args.seconds)
                served = [a for a in closed if a.status == 200]
                per_second = len(served) / args.seconds
                rate = max(per_second * args.overload, 0.5)
                opened = rush(client, kiosks, frame, rate=rate, seconds=args.seconds, seed=args.seed)
        finally:
            server.terminate()
            server.wait(10)

    answered = [a for a in opened if a.status == 200]
    shed = [a for a in opened if a.status == 503]
    other = [a for a in opened if a.status not in (200, 503)]
    figures = {
        "benchmark": "rush",
        "seconds": args.seconds,
        "admission_wait_seconds": args.admission_wait,
        "capacity": {
            "clients": args.clients,
            "requests": len(closed),
            "answered_per_second": round(per_second, 2),
            "answered_per_second_per_core": round(per_second / (os.cpu_count() or 1), 2),
            "latency_ms_median": round(statistics.median(a.seconds for a in served) * 1000, 1)
            if served
            else None,
            "latency_ms_p95": round(percentile([a.seconds for a in served], 0.95) * 1000, 1)
            if served
            else None,
            "not_200": len(closed) - len(served),
        },
        "rush": {
            "arrivals_per_second": round(rate, 2),
            "requests": len(opened),
            "answered": len(answered),
            "answered_per_second": round(len(answered) / args.seconds, 2),
            "shed_503": len(shed),
            "shed_with_retry_after": sum(1 for a in shed if a.retry_after),
            "first_503_after_s": round(min(a.sent for a in shed), 1) if shed else None,
            "other_failures": len(other),
            "other_statuses": sorted({a.status for a in other}),
            "answered_latency_ms_median": round(statistics.median(a.seconds for a in answered) * 1000)
            if answered
            else None,
            "answered_latency_ms_p95": round(percentile([a.seconds for a in answered], 0.95) * 1000)
            if answered
            else None,
            "answered_latency_ms_p99": round(percentile([a.seconds for a in answered], 0.99) * 1000)
            if answered
            else None,
        },
    }
    emit(figures)
    cap, peak = figures["capacity"], figures["rush"]
    assert isinstance(cap, dict) and isinstance(peak, dict)
    table(
        f"POST /kiosk/verify, {args.seconds:.0f} s each, SQLite, {os.cpu_count()} cores",
        [
            (
                "capacity (closed loop)",
                str(cap["requests"]),
                str(cap["answered_per_second"]),
                "-",
                "-",
                str(cap["latency_ms_median"]),
                str(cap["latency_ms_p95"]),
            ),
            (
                f"rush ({args.overload:g}x, open loop)",
                str(peak["requests"]),
                str(peak["answered_per_second"]),
                str(peak["shed_503"]),
                str(peak["other_failures"]),
                str(peak["answered_latency_ms_median"]),
                str(peak["answered_latency_ms_p95"]),
            ),
        ],
        ("phase", "requests", "answered/s", "503", "other", "ms p50", "ms p95"),
    )
    if shed:
        print(
            f"  the first 503 after {peak['first_503_after_s']} s of the rush "
            f"(admission wait {args.admission_wait:g} s)"
        )


if __name__ == "__main__":
    main()
