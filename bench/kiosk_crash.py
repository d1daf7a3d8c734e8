"""Soak: a kiosk's store killed with SIGKILL at random moments, many times over.

A writer process records decisions as fast as it can (each its own durable transaction, as at the
gate) and prints each id once committed; it is killed after a random 20-300 ms, again and again.
Afterwards every reported decision must be in the outbox, SQLite's integrity check must pass and
the tamper-evident chain must run unbroken. The test suite runs 25 iterations; this runs more.

    uv run python -m bench.kiosk_crash [--iterations 300]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.common import emit, table
from clearance.core import vault
from kiosk.store import LocalStore
from tests.crash import kill_repeatedly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, key = Path(tmp) / "kiosk.sqlite3", os.urandom(32)
        started = time.perf_counter()
        reported = kill_repeatedly(path, key, iterations=args.iterations, seed=1)
        elapsed = time.perf_counter() - started
        store = LocalStore(path, data_key=vault.DataKey(key))
        stored = {row[0] for row in store.read().execute("SELECT crossing_id FROM outbox")}
        problems = store.check_integrity()
        store.close()
    lost = len(reported - stored)
    emit(
        {
            "benchmark": "kiosk_crash",
            "kills": args.iterations,
            "reported": len(reported),
            "stored": len(stored),
            "lost": lost,
            "integrity_problems": len(problems),
            "seconds": round(elapsed, 1),
        }
    )
    table(
        f"Kiosk store killed {args.iterations} times",
        [
            ("decisions reported committed", f"{len(reported):,}"),
            ("in the outbox afterwards", f"{len(stored):,}"),
            ("reported but lost", str(lost)),
            ("integrity or chain problems", str(len(problems))),
        ],
        ("", "count"),
    )
    if lost or problems:
        raise SystemExit(f"lost {lost}, problems: {problems[:5]}")


if __name__ == "__main__":
    main()
