"""The layers hold where it matters most: a kiosk runs the station without the server's database
layer or web framework (``lint-imports`` in .ci/run checks every contract; this checks the result
in a fresh interpreter, as a kiosk starts)."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_SIDE = ("sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "jinja2", "uvicorn", "enrolment")


def test_starting_the_kiosk_station_imports_no_database_layer_or_web_framework() -> None:
    program = (
        "import json, sys, kiosk.runner, kiosk.station, kiosk.screen; print(json.dumps(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(loaded.stdout)
    assert [m for m in modules if m.split(".")[0] in SERVER_SIDE] == []
    ours = {m for m in modules if m.startswith("clearance.")}
    assert ours and all(m.split(".")[1] in ("core", "vision") for m in ours), sorted(ours)
