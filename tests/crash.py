"""A kiosk's store killed with SIGKILL at random moments, again and again (the crash test and the
soak in ``bench/kiosk_crash.py``).

A writer process records decisions as fast as it can (each its own durable transaction, as at the
gate) and prints each id once committed. The random timer before the kill starts only once the
writer has printed its first id: however long the interpreter takes to start on a loaded
machine, every kill lands while it is writing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Records decisions as fast as it can, printing each id once its transaction has committed.
WRITER = """
import sys, uuid
from pathlib import Path
from clearance.core import vault
from clearance.core.enums import Decision
from clearance.core.wire import CrossingRecord
from clearance.core.zone import utcnow
from kiosk.store import LocalStore
store = LocalStore(Path(sys.argv[1]), data_key=vault.DataKey(bytes.fromhex(sys.argv[2])))
n = 0
while True:
    record = CrossingRecord(id=uuid.uuid4(), decided_at=utcnow(), decision=Decision.REJECTED,
                            reasons=["no_qr"], duration_ms=float(n))
    store.record_decision(record)
    print(record.id, flush=True)
    n += 1
"""


def kill_repeatedly(path: Path, key: bytes, *, iterations: int, seed: int) -> set[str]:
    """Start the writer and SIGKILL it a random 20-300 ms after its first committed decision,
    ``iterations`` times; the ids it reported as committed."""
    rng = random.Random(seed)
    reported: set[str] = set()
    for _iteration in range(iterations):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), key.hex()],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert writer.stdout is not None
        first = writer.stdout.readline()  # the signal: it is writing now
        timer = threading.Timer(rng.uniform(0.02, 0.3), writer.send_signal, args=(signal.SIGKILL,))
        timer.start()
        rest, _err = writer.communicate(timeout=120)
        timer.join()
        # A line cut off by the kill was never reported whole: only full ids count.
        reported.update(line for line in (first + rest).splitlines() if len(line) == 36)
    return reported
