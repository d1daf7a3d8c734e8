"""What the benchmarks share: percentiles, the JSON line and the table."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "p95": round(percentile(values, 0.95), 2),
        "n": len(values),
    }


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}


def emit(figures: dict[str, Any]) -> None:
    """One JSON line of figures, for scripts and for BENCHMARKS.md."""
    print(json.dumps({**figures, "machine": machine()}))


def table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        print(
            "  "
            + "  ".join(
                str(cell).rjust(w) if i else str(cell).ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def serve(
    data_dir: Path, database_url: str | None = None, *, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``hetao serve`` in its own process (on ``port``, or a free loopback one), once it answers
    ``/healthz``; returns the process and its URL. Used by the benchmarks and by the tests that
    need a real server to kill and restart."""
    from clearance.demo import free_port

    port = port or free_port("127.0.0.1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
    env["HETAO_DATA_DIR"] = str(data_dir)
    if database_url:
        env["HETAO_DATABASE_URL"] = database_url
    command = [
        str(Path(sys.executable).parent / "hetao"),
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    raise RuntimeError(f"the server did not start (exit code {process.returncode})")


def fresh_schema(database_url: str) -> None:
    """Empty a PostgreSQL database's public schema (never SQLite's file: it is new), then migrate."""
    from sqlalchemy import text

    from clearance import schema
    from clearance.db import make_engine

    if database_url.startswith("postgresql"):
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    schema.upgrade(url=database_url)


def fresh_postgres_database(url: str) -> str:
    """Create (or re-create) the database named in ``url`` on its server; returns ``url``."""
    from sqlalchemy import make_url, text

    from clearance.db import make_engine

    parsed = make_url(url)
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def rejected_crossing(*, duration_ms: float) -> dict[str, object]:
    """A kiosk's decision as its outbox holds it: someone turned away for showing no QR."""
    from clearance.db import utcnow

    return {
        "id": str(uuid.uuid4()),
        "decided_at": utcnow().isoformat(),
        "decision": "rejected",
        "reasons": ["no_qr"],
        "commuter_id": None,
        "credential_id": None,
        "distance": None,
        "duration_ms": duration_ms,
    }
