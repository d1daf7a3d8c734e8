"""What the benchmarks share: percentiles, the JSON line and the table. Servers are started with
``clearance.cli.launch.start_server``; fresh databases come from ``tests.live``."""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

OUTPUT = Path(os.environ.get("HETAO_BENCH_OUTPUT") or Path(__file__).resolve().parent / "output")
"""Where benchmarks keep what they computed once (encodings, scores) to read again: bench/output, or
HETAO_BENCH_OUTPUT (the test suite's smoke runs use a folder of their own)."""


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
    # A row with fewer cells than the header (a rate nobody could count on tiny inputs) shows "-".
    rows = [tuple(row) + ("-",) * (len(header) - len(row)) for row in rows]
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


def fresh_schema(database_url: str) -> None:
    """Empty a PostgreSQL database's public schema (never SQLite's file: it is new), then migrate."""
    from sqlalchemy import text

    from clearance.db import migrations as schema
    from clearance.db.engine import make_engine

    if database_url.startswith("postgresql"):
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    schema.upgrade(url=database_url)
