"""Starting ``hetao serve`` as a child process and knowing when it is ready: for the operator's
process tests, the benchmarks and anything else that needs a real server to talk to, kill and
start again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HETAO = str(Path(sys.executable).parent / "hetao")


def reachable_address(host: str) -> str:
    """The address others on the network reach a server bound to ``host`` at: for every interface
    (0.0.0.0, ::), this machine's address on its outward network (found by asking the system
    which interface it would send from: no packet is sent); otherwise ``host`` itself."""
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 (recognising it, not binding to it)
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(data_dir: Path, database_url: str | None = None, **settings: str) -> dict[str, str]:
    """This process's environment without its HETAO_ settings, then ``data_dir``,
    ``database_url`` and any other ``settings`` (names without the prefix)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
    env["HETAO_DATA_DIR"] = str(data_dir)
    if database_url:
        env["HETAO_DATABASE_URL"] = database_url
    env.update({f"HETAO_{name.upper()}": value for name, value in settings.items()})
    return env


def start_server(
    data_dir: Path,
    database_url: str | None = None,
    *,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """``hetao serve`` in its own process (on ``port``, or a free loopback one), returned with its
    URL once it answers ``/healthz``: the signal that it is ready, however slow the machine."""
    port = port or free_port()
    command = [HETAO, "serve", "--port", str(port), *extra_args]
    if "--log-level" not in extra_args:
        command += ["--log-level", "warning"]
    data_dir.mkdir(parents=True, exist_ok=True)
    # What the server says goes to a file beside its data, so a failed start can say why.
    log_path = data_dir / f"server-{port}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            command,
            env=env or server_env(data_dir, database_url),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    said = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the server did not start (exit code {process.returncode}); it said:\n{said}")
