"""Live view latency: from a kiosk delivering a crossing to an officer's event stream carrying it.

On SQLite one server process does both; on PostgreSQL the crossing goes to one process and the
officer listens on another, so the event crosses LISTEN/NOTIFY. The time runs from just before
the kiosk's ``POST /api/v1/kiosk/crossings`` to the event's arrival at the officer's client.
The goal: within one second.

    uv run python -m bench.live_view [--attempts 100] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.common import emit, fresh_schema, summary, table
from clearance.cli.launch import start_server
from clearance.core import security
from clearance.core.enums import Bridge, Direction, Role
from clearance.core.zone import utcnow
from clearance.db import migrations as schema
from clearance.db.actors import SystemActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.models import User
from clearance.stations import service as stations
from tests.live import fresh_postgres_database
from tests.support import KioskSigner

BENCH = SystemActor("benchmark setup")

PASSWORD = "bench password"  # noqa: S105 (a throwaway benchmark account)


def prepare(url: str) -> str:
    """A migrated database with an officer and one kiosk; the kiosk's key."""
    if url.startswith("postgresql"):
        fresh_schema(url)
    else:
        schema.upgrade(url=url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        session.add(
            User(username="officer", password_hash=security.hash_password(PASSWORD), role=Role.OFFICER)
        )
        checkpoint = stations.create_checkpoint(session, name="Bench", bridge=Bridge.EAST, actor=BENCH)
        _kiosk, key = stations.create_kiosk(
            session, checkpoint=checkpoint, name="k", direction=Direction.TO_HK, actor=BENCH
        )
    engine.dispose()
    return key


def listen(
    url: str, token: str, arrived: dict[str, float], ready: threading.Event, stop: threading.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.stream(
            "GET", f"{url}/api/v1/events", headers=headers, timeout=httpx.Timeout(10, read=None)
        ) as stream:
            ready.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    item = json.loads(line[6:])
                    arrived[item["id"]] = time.perf_counter()
                if stop.is_set():
                    return
    except httpx.HTTPError:
        if not stop.is_set():
            raise


def measure(deliver_url: str, listen_url: str, key: str, attempts: int) -> list[float]:
    token = httpx.post(
        f"{listen_url}/api/v1/auth/token", data={"username": "officer", "password": PASSWORD}
    ).json()["access_token"]
    arrived: dict[str, float] = {}
    ready, stop = threading.Event(), threading.Event()
    listener = threading.Thread(target=listen, args=(listen_url, token, arrived, ready, stop), daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.5)
    latencies = []
    signer = KioskSigner({"Authorization": f"Bearer {key}"})
    with httpx.Client(base_url=deliver_url) as kiosk:
        signer.send(kiosk, "", signer.batch([]))  # registers the kiosk's signing key
        for _attempt in range(attempts):
            crossing_id = str(uuid.uuid4())
            record = {
                "id": crossing_id,
                "decided_at": utcnow().isoformat(),
                "decision": "rejected",
                "reasons": ["no_qr"],
            }
            body = signer.batch([record])  # the kiosk's own work, before the clock starts
            started = time.perf_counter()
            signer.send(kiosk, "", body).raise_for_status()
            deadline = started + 5
            while crossing_id not in arrived and time.perf_counter() < deadline:
                time.sleep(0.001)
            if crossing_id not in arrived:
                raise RuntimeError(f"crossing {crossing_id} never reached the officer's stream")
            latencies.append((arrived[crossing_id] - started) * 1000)
            time.sleep(0.05)
    stop.set()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=100)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hetao_bench_live"
    )
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'live.sqlite3'}"
        key = prepare(sqlite_url)
        process, url = start_server(Path(tmp) / "sqlite-data", sqlite_url)
        try:
            results["sqlite, one process"] = measure(url, url, key, args.attempts)
        finally:
            process.terminate()
            process.wait(10)
        pg_url = fresh_postgres_database(args.database_url)
        key = prepare(pg_url)
        servers = [start_server(Path(tmp) / "pg-data", pg_url) for _ in range(2)]
        try:
            results["postgresql, two processes"] = measure(servers[0][1], servers[1][1], key, args.attempts)
        finally:
            for server_process, _url in servers:
                server_process.terminate()
                server_process.wait(10)
    figures = {name: summary(values) for name, values in results.items()}
    emit({"benchmark": "live_view", "latency_ms": figures})
    table(
        "Kiosk delivery to officer's event stream (ms)",
        [(name, f"{f['median']:.1f}", f"{f['p95']:.1f}", str(f["n"])) for name, f in figures.items()],
        ("deployment", "median", "p95", "n"),
    )


if __name__ == "__main__":
    main()
