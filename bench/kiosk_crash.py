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
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import emit, table
from clearance import vault
from kiosk.store import LocalStore

# Records decisions as fast as it can, printing each id once its transaction has committed.
WRITER = """
import sys, uuid
from datetime import datetime, timezone
from pathlib import Path
from clearance import vault
from kiosk.store import LocalStore
store = LocalStore(Path(sys.argv[1]), data_key=vault.DataKey(bytes.fromhex(sys.argv[2])))
n = 0
while True:
    crossing = {"id": str(uuid.uuid4()), "decided_at": datetime.now(timezone.utc).isoformat(),
                "decision": "rejected", "reasons": ["no_qr"], "commuter_id": None,
                "credential_id": None, "distance": None, "duration_ms": float(n)}
    store.record_decision(crossing)
    print(crossing["id"], flush=True)
    n += 1
"""


def kill_repeatedly(path: Path, key: bytes, *, iterations: int, seed: int) -> set[str]:
    """Start the writer and SIGKILL it after a random 20-300 ms, ``iterations`` times; the ids it
    reported as committed."""
    rng = random.Random(seed)
    reported: set[str] = set()
    for _iteration in range(iterations):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), key.hex()],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        time.sleep(rng.uniform(0.02, 0.3) + 0.3)  # the interpreter takes ~0.3 s to start
        writer.send_signal(signal.SIGKILL)
        out, _err = writer.communicate(timeout=10)
        # A line cut off by the kill was never reported whole: only full ids count.
        reported.update(line for line in out.splitlines() if len(line) == 36)
    return reported


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
