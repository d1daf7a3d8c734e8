"""Every benchmark in ``bench/`` still runs: each is started here at a tiny size, as a developer
starts it, and must finish and print its figures as a JSON line. Nothing is timed (timings belong in
the benchmarks themselves); this only keeps them from rotting. A benchmark added without a line here
fails the first test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

from clearance.cli.samples import FACES_DIR
from tests.live import fresh_postgres_database
from tests.support import worker_id

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
FACES = str(FACES_DIR)
"""A tiny labelled folder (<identity>/<image>) shipped with the project, for the benchmarks over
photos: the real ones read ../shared/faces, which a fresh clone has not got."""
POSTGRES = "postgres"
"""Stands for a PostgreSQL database of the test's own in the arguments below."""

ARGUMENTS: dict[str, list[str]] = {
    "accuracy": ["--faces", FACES, "--dev", FACES, "--plots", "{tmp}"],
    "detectors": ["--faces", FACES, "--dev", FACES, "--special", FACES],
    "enrolment": ["--photos", "2"],
    "faceset": ["--faces", FACES],
    "ingest": ["--batched", "400", "--single", "20", "--database-url", POSTGRES],
    "kiosk_crash": ["--iterations", "2"],
    "kiosk_latency": ["--attempts", "2"],
    "live_view": ["--attempts", "2", "--database-url", POSTGRES],
    "outbox_backlog": ["--crossings", "300"],
    "runtime": ["--runs", "3"],
    "rush": ["--seconds", "2", "--clients", "2", "--admission-wait", "1"],
    "pad": ["--faces", FACES, "--dev", FACES, "--every", "1", "--plots", "{tmp}", "--workers", "1"],
    "search": ["--sizes", "100,1000", "--probes", "3"],
    "verify": ["--runs", "2"],
    "whitelist_sync": ["--commuters", "50", "--runs", "2"],
    "working_size": ["--faces", FACES],
}
pytestmark = pytest.mark.slow


def test_every_benchmark_has_a_smoke_run() -> None:
    modules = {path.stem for path in BENCH.glob("*.py")} - {"__init__", "common"}
    assert modules == set(ARGUMENTS)


def postgres_database(name: str) -> str:
    """A PostgreSQL database of this test's own, on the server the suite's PostgreSQL run uses, or
    the machine's local one; skipped where there is none (except where CI requires it)."""
    base = os.environ.get("HETAO_TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    url = make_url(base).set(database=f"bench_{worker_id()}_{name}")
    try:
        return fresh_postgres_database(url.render_as_string(hide_password=False))
    except Exception as exc:  # any failure to reach a server means there is none
        if os.environ.get("HETAO_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"no PostgreSQL server to run this benchmark on: {exc}")


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_the_benchmark_runs_and_prints_its_figures(name: str, tmp_path: Path) -> None:
    arguments = [a.replace("{tmp}", str(tmp_path)) for a in ARGUMENTS[name]]
    arguments = [postgres_database(name) if a == POSTGRES else a for a in arguments]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
    env.update(HETAO_BENCH_OUTPUT=str(tmp_path / "output"), HETAO_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # The figures are the JSON lines bench.common.emit prints (with the machine they were measured
    # on); a server the benchmark started may print JSON log lines of its own beside them.
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert any("machine" in line for line in lines), done.stdout[-2000:]
