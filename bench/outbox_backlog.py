"""A kiosk's outbox after a long outage: how long one durable decision write takes, whether the
store holds 150,000 undelivered crossings, and how fast the backlog drains once the server
is back (batches of 100 to ``POST /api/v1/kiosk/crossings``, server in its own process).

    uv run python -m bench.outbox_backlog [--crossings 150000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import emit, fresh_schema, summary, table
from clearance.cli.launch import start_server
from clearance.core import vault
from clearance.core.enums import Bridge, Direction
from clearance.core.settings import Settings
from clearance.core.wire import CrossingRecord
from clearance.db.actors import SystemActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.stations import service as stations
from kiosk.link import ServerLink
from kiosk.runner import Deliverer
from kiosk.station import LinkStatus
from kiosk.store import LocalStore
from tests.support import rejected_crossing

BENCH = SystemActor("benchmark setup")


def crossing(n: int) -> CrossingRecord:
    return rejected_crossing(duration_ms=float(n % 200))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crossings", type=int, default=150_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "server", database_url=args.database_url)
        settings.data_dir.mkdir(parents=True)
        fresh_schema(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        with session_scope(make_sessionmaker(engine)) as session:
            checkpoint = stations.create_checkpoint(session, name="Bench", bridge=Bridge.WEST, actor=BENCH)
            _kiosk, key = stations.create_kiosk(
                session, checkpoint=checkpoint, name="k", direction=Direction.TO_SZ, actor=BENCH
            )
        engine.dispose()
        store = LocalStore(Path(tmp) / "kiosk.sqlite3", data_key=vault.DataKey(os.urandom(32)))

        # One decision = one durable transaction (WAL, synchronous=FULL), as at the gate.
        single = []
        for n in range(300):
            started = time.perf_counter()
            store.record_decision(crossing(n))
            single.append((time.perf_counter() - started) * 1000)
        # The rest of the outage's backlog, written in bulk to save the benchmark's time.
        store.record_backlog([crossing(n) for n in range(args.crossings - len(single))])
        size_mb = (Path(tmp) / "kiosk.sqlite3").stat().st_size / 1e6
        assert store.outbox_counts()["pending"] == args.crossings

        server, url = start_server(settings.data_dir, settings.sqlalchemy_url)
        try:
            link = ServerLink(url, key=key, timeout=60)
            deliverer = Deliverer(store, link, status=LinkStatus(), signing_key=Ed25519PrivateKey.generate())
            started = time.perf_counter()
            while deliverer.step():
                pass
            drain_s = time.perf_counter() - started
            link.close()
        finally:
            server.terminate()
            server.wait(10)
        assert store.outbox_counts() == {"pending": 0, "total": args.crossings}
    figures = {
        "benchmark": "outbox_backlog",
        "database": "postgresql" if args.database_url else "sqlite",
        "crossings": args.crossings,
        "durable_write_ms": summary(single),
        "outbox_mb": round(size_mb, 1),
        "drain_s": round(drain_s, 1),
        "drain_per_s": round(args.crossings / drain_s),
    }
    emit(figures)
    table(
        f"Outbox backlog of {args.crossings:,} crossings",
        [
            ("one durable decision write, median", f"{figures['durable_write_ms']['median']} ms"),
            ("one durable decision write, p95", f"{figures['durable_write_ms']['p95']} ms"),
            ("outbox file with the backlog", f"{size_mb:.1f} MB"),
            ("drain to the server, batches of 100", f"{drain_s:.1f} s ({figures['drain_per_s']:,}/s)"),
        ],
        ("", ""),
    )


if __name__ == "__main__":
    main()
