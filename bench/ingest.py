"""Crossing ingest: kiosks delivering to ``POST /api/v1/kiosk/crossings`` on PostgreSQL, with two
server processes sharing the database, in batches of 100 and of 1.

20 kiosks, each sending its own chain of records in order in signed batches (signed before the
clock starts: signing is the kiosk's work), eight at a time from client threads in this process,
spread over both servers; every item is a new crossing, so each is inserted. Prints sustained
crossings per second.

    uv run python -m bench.ingest [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/hetao_bench]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.common import emit, fresh_schema, table
from clearance.cli.launch import start_server
from clearance.core.enums import Bridge, Direction
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import SystemActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.models import Crossing
from clearance.stations import service as stations
from tests.live import fresh_postgres_database
from tests.support import KioskSigner

BENCH = SystemActor("benchmark setup")

THREADS = 8


def WARM_UP_AND_RUNS(args: argparse.Namespace) -> tuple[tuple[int, int], ...]:  # noqa: N802
    """(crossings, batch size) of the warm-up and of each run."""
    return ((2_000, 100), (args.batched, 100), (args.single, 1))


def crossing() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "decided_at": utcnow().isoformat(),
        "decision": "rejected",
        "reasons": ["no_qr"],
        "duration_ms": 120.0,
    }


def run(urls: list[str], signers: list[KioskSigner], *, batch: int, total: int) -> float:
    """Deliver ``total`` new crossings in batches of ``batch``, each kiosk's in its chain's order;
    crossings per second."""
    per_kiosk = total // batch // len(signers)
    bodies = [
        [signer.batch([crossing() for _ in range(batch)]) for _ in range(per_kiosk)] for signer in signers
    ]
    clients = [httpx.Client(base_url=url, timeout=60) for url in urls]

    def send(k: int) -> None:
        client = clients[k % len(clients)]
        for body in bodies[k]:
            response = client.post("/api/v1/kiosk/crossings", headers=signers[k].headers, json=body)
            response.raise_for_status()
            assert all(r["status"] == "created" for r in response.json()["results"]), response.text

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(send, range(len(signers))))
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    return per_kiosk * len(signers) * batch / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hetao_bench")
    parser.add_argument("--batched", type=int, default=50_000, help="crossings sent in batches of 100")
    parser.add_argument("--single", type=int, default=3_000, help="crossings sent one per request")
    args = parser.parse_args()
    url = fresh_postgres_database(args.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url)
        fresh_schema(url)
        engine = make_engine(url)
        with session_scope(make_sessionmaker(engine)) as session:
            checkpoint = stations.create_checkpoint(session, name="Bench", bridge=Bridge.EAST, actor=BENCH)
            keys = [
                stations.create_kiosk(
                    session, checkpoint=checkpoint, name=f"k{n}", direction=Direction.TO_HK, actor=BENCH
                )[1]
                for n in range(20)
            ]
        servers = [start_server(settings.data_dir, url) for _ in range(2)]
        try:
            urls = [server_url for _process, server_url in servers]
            signers = [KioskSigner({"Authorization": f"Bearer {key}"}) for key in keys]
            for signer in signers:
                signer.send(httpx, urls[0], signer.batch([]))  # registers the kiosk's signing key
            run(urls, signers, batch=100, total=2_000)  # warm-up
            batched = run(urls, signers, batch=100, total=args.batched)
            single = run(urls, signers, batch=1, total=args.single)
        finally:
            for process, _url in servers:
                process.terminate()
                process.wait(10)
        with session_scope(make_sessionmaker(engine)) as session:
            stored = session.scalar(select(func.count()).select_from(Crossing))
        engine.dispose()
    # Each kiosk sends whole batches: what was sent is what divides evenly between the kiosks.
    sent = sum(total // batch // len(keys) * len(keys) * batch for total, batch in WARM_UP_AND_RUNS(args))
    assert stored == sent, (stored, sent)
    figures = {
        "benchmark": "ingest",
        "database": "postgresql",
        "server_processes": 2,
        "client_threads": THREADS,
        "batched_100_per_s": round(batched),
        "single_per_s": round(single),
        "stored": stored,
    }
    emit(figures)
    table(
        "Crossing ingest, two server processes on PostgreSQL",
        [("batches of 100", f"{batched:,.0f}"), ("one per request", f"{single:,.0f}")],
        ("delivery", "crossings/s"),
    )


if __name__ == "__main__":
    main()
