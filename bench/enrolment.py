"""Enrolment throughput: photos per second through ``POST /api/v1/commuters`` (detection, quality
checks, encoding, sealing, insert), one client at a time and two at once, server in its own process.

    uv run python -m bench.enrolment [--photos 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.common import emit, fresh_schema, summary, table
from clearance.accounts import service as accounts
from clearance.cli.launch import start_server
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import Park, Role
from clearance.core.settings import Settings
from clearance.db.actors import SystemActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope

BENCH = SystemActor("benchmark setup")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    photos = [(s.enrolment_photo.name, s.enrolment_photo.read_bytes()) for s in SAMPLE_COMMUTERS]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url)
        fresh_schema(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        with session_scope(make_sessionmaker(engine)) as session:
            organisation = accounts.create_organisation(session, name="Bench", park=Park.HK, actor=BENCH)
            accounts.create_user(
                session,
                username="bench",
                password="bench-password",  # noqa: S106
                role=Role.ENROLLER,
                organisation_id=organisation.id,
                actor=BENCH,
            )
            organisation_id = str(organisation.id)
        engine.dispose()
        process, url = start_server(settings.data_dir, settings.sqlalchemy_url)
        try:
            client = httpx.Client(base_url=url, timeout=60)
            token = client.post(
                "/api/v1/auth/token", data={"username": "bench", "password": "bench-password"}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            counter = iter(range(10**9))

            def enrol(n: int) -> float:
                name, content = photos[n % len(photos)]
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/commuters",
                    headers=headers,
                    data={
                        "full_name": f"Bench {n}",
                        "document_type": "passport",
                        "document_number": f"B{next(counter):08d}",
                        "organisation_id": organisation_id,
                        "home_park": "sz",
                        "valid_until": str(date.today() + timedelta(days=30)),
                    },
                    files={"photo": (name, content, "image/jpeg")},
                )
                assert response.status_code == 201, response.text
                return (time.perf_counter() - started) * 1000

            enrol(0)  # warm-up: the server loads its models
            rates = {}
            latencies: list[float] = []
            for workers in (1, 2):
                started = time.perf_counter()
                with ThreadPoolExecutor(workers) as pool:
                    done = list(pool.map(enrol, range(args.photos)))
                rates[workers] = args.photos / (time.perf_counter() - started)
                if workers == 1:
                    latencies = done
            client.close()
        finally:
            process.terminate()
            process.wait(10)
    figures = {
        "benchmark": "enrolment",
        "database": "postgresql" if args.database_url else "sqlite",
        "photos": args.photos,
        "photo_sizes": "849x1061, 660x960, 800x747 JPEG (the sample commuters)",
        "request_ms": summary(latencies),
        "photos_per_s_1_client": round(rates[1], 2),
        "photos_per_s_2_clients": round(rates[2], 2),
    }
    emit(figures)
    table(
        "Enrolment through POST /api/v1/commuters",
        [
            ("one client", f"{rates[1]:.2f}", f"{figures['request_ms']['median']:.0f}"),
            ("two clients", f"{rates[2]:.2f}", "-"),
        ],
        ("load", "photos/s", "median ms"),
    )


if __name__ == "__main__":
    main()
