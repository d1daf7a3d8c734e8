"""What the benchmarks share: percentiles, the JSON line and the table."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
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


def serve(data_dir: Path, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """``hetao serve`` in its own process on a free loopback port; returns it and its URL."""
    from clearance.demo import free_port

    port = free_port("127.0.0.1")
    env = {**os.environ, "HETAO_DATA_DIR": str(data_dir), "HETAO_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "hetao"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


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
