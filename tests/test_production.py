"""The README's "Run it in production", followed as written by an operator on an empty host: every
``sh`` block of the section runs in bash, in order, with this test's paths, ports, host name and
database put in place of the README's; the lines that set up the host itself (packages, accounts,
files copied into /etc, systemctl) are done here the test's way, each one named below. After each
step the test checks, through the TLS proxy, that the step did what the README says."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.credentials import parse_payload
from kiosk.frames import write_walk_up
from tests.live import fresh_database, need_nginx, nginx_in_front, trusting
from tests.support import frame_jpeg, free_port, load_photo_file, registration, wait_until

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
UNIT = ROOT / "deploy" / "systemd" / "hetao.service"
SECTION = "## Run it in production"
VENV_BIN = str(Path(sys.executable).parent)
A = SAMPLE_COMMUTERS[0]
API = "/api/v1"
pytestmark = pytest.mark.slow

UNIT_LINE = "cp /opt/hetao/deploy/systemd/hetao.service /etc/systemd/system/ && systemctl enable --now hetao"
NGINX_LINE = "cp /opt/hetao/deploy/nginx/hetao.conf /etc/nginx/conf.d/hetao.conf && nginx -s reload"
# The lines that set up the host, and what the test does instead (checked to be in the README).
HOST_LINES = {
    "apt-get install -y postgresql nginx-light python3 git curl openssl": "the CI machine has them",
    "pip install uv": "the test runs in this project's environment",
    "useradd --system --home-dir /var/lib/hetao --create-home --shell /usr/sbin/nologin hetao": "a folder",
    "sudo -u postgres createuser hetao && sudo -u postgres createdb --owner hetao hetao": "a fresh database",
    'git clone "$HETAO_REPOSITORY" /opt/hetao && cd /opt/hetao && uv sync --frozen --no-dev': "this checkout",
    "chgrp -R hetao /etc/hetao": "one account runs everything here",
    "chgrp -R www-data /etc/hetao/tls": "one account runs everything here",
    UNIT_LINE: "the unit's own commands, as systemd runs them",
    NGINX_LINE: "nginx with this file, ports and paths put in",
}


def readme_blocks() -> list[str]:
    text = README.read_text()
    assert SECTION in text, "the README has no production section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


@dataclass
class Host:
    """One machine of the README, as folders and a database of this test."""

    name: str
    root: Path
    database_url: str
    https: str = "https://hetao.example.org"
    state: Path = field(init=False)
    transcript: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.state = self.root / "shell-state"
        self.state.write_text("")

    @property
    def etc(self) -> Path:
        return self.root / "etc-hetao"

    def put_in(self, text: str, **more: str) -> str:
        replacements = {
            **more,
            "/opt/hetao/.venv/bin": VENV_BIN,
            "/etc/hetao": str(self.etc),
            "/var/lib/hetao": str(self.root / "var-lib-hetao"),
            "/var/backups/hetao": str(self.root.parent / "backups"),
            "postgresql+psycopg://hetao@/hetao": self.database_url,
            "https://hetao.example.org": self.https,
            "hetao.example.org": "localhost",
        }
        for old, new in replacements.items():
            text = text.replace(old, new)
        return text

    def run(self, block: str, actions: dict[str, Callable[[], None]] | None = None, **more: str) -> str:
        """Run a README block in bash as written (but for the host lines, and calling the action
        given for a host line where it stands), keeping its exports for the next block; what it
        printed, commands included (``set -v``)."""
        said, lines = [], []
        for line in block.splitlines():
            if line.strip() in HOST_LINES:
                lines.append(f"# (the test: {HOST_LINES[line.strip()]}) {line}")
                if actions and line.strip() in actions:
                    said.append(self._bash("\n".join(lines), more))
                    actions[line.strip()]()
                    lines = []
            else:
                lines.append(line)
        said.append(self._bash("\n".join(lines), more))
        return "".join(said)

    def _bash(self, text: str, more: dict[str, str]) -> str:
        script = self.put_in(text, **more)
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("HETAO_", "SSL_CERT"))}
        wrapped = f"set -euo pipefail\n. {self.state}\nset -v\n{script}\nset +v\nexport -p > {self.state}\n"
        done = subprocess.run(
            ["bash", "-c", wrapped],
            env=clean,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            check=False,
        )
        self.transcript.append(f"## {self.name}\n{done.stdout}")
        assert done.returncode == 0, done.stdout
        return done.stdout

    def environment(self) -> dict[str, str]:
        """The settings file the README wrote, as systemd's EnvironmentFile= reads it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
        for line in (self.etc / "hetao.env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        return env


@contextmanager
def service(host: Host, port: int) -> Iterator[str]:
    """``deploy/systemd/hetao.service`` as systemd would run it: its EnvironmentFile, then its
    ExecStartPre, then its ExecStart (its port put in); the server's URL once it answers."""
    unit = dict(
        line.split("=", 1)
        for line in UNIT.read_text().splitlines()
        if re.match(r"^(Exec|Environment)\w*=", line)
    )
    assert host.put_in(unit["EnvironmentFile"]) == str(host.etc / "hetao.env")
    env = host.environment()
    pre = subprocess.run(
        shlex.split(host.put_in(unit["ExecStartPre"])), env=env, capture_output=True, text=True
    )
    assert pre.returncode == 0, pre.stderr
    start = host.put_in(unit["ExecStart"])
    assert "--port 8000" in start
    log = (host.root / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        shlex.split(start.replace("--port 8000", f"--port {port}")),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        assert wait_until(answers, within=120), (host.root / f"server-{port}.log").read_text()
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        log.close()


def printed_passwords(output: str) -> dict[str, str]:
    """Usernames and the passwords ``create-user`` generated for them."""
    found = re.findall(r"user '([\w.-]+)' \(\w+\) id \S+\n(?:.*\n)*?generated password: (\S+)", output)
    return dict(found)


def printed_kiosk_keys(output: str) -> dict[str, str]:
    found = re.findall(r"kiosk (\S+) \(\w+\) id \S+\nAPI key \(shown once[^:]*: (hk_\S+)", output)
    return dict(found)


def token(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    answer = client.post(f"{API}/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def verify(client: httpx.Client, kiosk_key: str, payload: str) -> dict[str, object]:
    answer = client.post(
        f"{API}/kiosk/verify",
        headers={"Authorization": f"Bearer {kiosk_key}"},
        files={"frame": ("f.jpg", frame_jpeg(A.live_photo, payload), "image/jpeg")},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_an_operator_follows_the_readme_from_an_empty_host_to_two_bridges_and_back_from_a_backup(
    tmp_path: Path,
) -> None:
    base = os.environ.get("HETAO_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("the production path runs on PostgreSQL (its two worker processes need it)")
    need_nginx()
    blocks = readme_blocks()
    assert len(blocks) == 10
    readme = "\n".join(blocks)
    assert all(line in readme for line in HOST_LINES), "a host line the test replaces left the README"
    a = Host("host A", tmp_path / "a", fresh_database(tmp_path, "production_a"))
    (a.root / "var-lib-hetao").mkdir()

    # 1-2: the host and its settings (a production environment, secrets made by openssl).
    a.run(blocks[0])
    a.run(blocks[1])
    settings = a.environment()
    assert settings["HETAO_ENVIRONMENT"] == "production" and len(settings["HETAO_SECRET_KEY"]) == 64

    # 3: schema, keys, organisations and staff.
    said = a.run(blocks[2])
    assert "made " in said and "signing" in said
    passwords = printed_passwords(said)
    assert set(passwords) == {"root", "lab-staff", "smi-staff", "officer-east"}, said
    assert re.search(r"lab-staff\s+enroller\s+enabled", said)

    # 4: both bridges, four kiosks, each key printed once.
    said = a.run(blocks[3])
    keys = printed_kiosk_keys(said)
    assert set(keys) == {"East/east-1", "East/east-2", "West/west-1", "West/west-2"}, said
    assert len(re.findall(r"\s(East|West)/\S+\s+to_(hk|sz)\s+enabled", said)) == 4

    # 5: TLS, nginx with the README's file, the unit's command; curl sees the server through TLS.
    port = free_port()
    cert, key = a.etc / "tls" / "cert.pem", a.etc / "tls" / "key.pem"
    with ExitStack() as running:

        def start_unit() -> None:
            running.enter_context(service(a, port))

        def start_nginx() -> None:
            a.https, _http = running.enter_context(
                nginx_in_front(a.root, upstream_port=port, cert=cert, key=key)
            )

        said = a.run(blocks[4], actions={UNIT_LINE: start_unit, NGINX_LINE: start_nginx})
        https = a.https
        assert '"status":"ok"' in said, said
        client = httpx.Client(base_url=https, verify=trusting(cert), timeout=120)
        first_line = (a.root / f"server-{port}.log").read_text().splitlines()[0]
        assert "production" in first_line and "postgresql" in first_line, first_line
        metrics_token = {"Authorization": f"Bearer {settings['HETAO_METRICS_TOKEN']}"}
        assert client.get("/metrics").status_code in (401, 403)
        assert client.get("/metrics", headers=metrics_token).status_code == 200

        # Staff register a commuter through TLS; an officer approves; a card is issued.
        lab = token(client, "lab-staff", passwords["lab-staff"])
        officer = token(client, "officer-east", passwords["officer-east"])
        organisations = client.get(f"{API}/organisations", headers=token(client, "root", passwords["root"]))
        lab_id = {o["name"]: o["id"] for o in organisations.json()}["Hetao Quantum Lab"]
        created = client.post(
            f"{API}/commuters",
            headers=lab,
            data=registration(lab_id, full_name=A.label),
            files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")},
        )
        assert created.status_code == 201, created.text
        commuter = created.json()["id"]
        assert client.post(f"{API}/commuters/{commuter}/approve", headers=officer).status_code == 200
        issued = client.post(f"{API}/commuters/{commuter}/credentials", headers=lab, json={"kind": "static"})
        assert issued.status_code == 201, issued.text
        old_card = issued.json()["payload"]

        # 6: the kiosk station on its own computer (no server settings), through TLS.
        frames = tmp_path / "kiosk-frames"
        write_walk_up(frames, start=0, face=load_photo_file(A.live_photo), qr_text=old_card)
        kiosk_host = Host("kiosk east-1", tmp_path / "kiosk", "")
        kiosk_host.https = https
        kiosk_host.state.write_text(f"export PATH={VENV_BIN}:$PATH\n")
        said = kiosk_host.run(
            blocks[5],
            **{
                "/etc/hetao/tls/cert.pem": str(cert),
                "--key hk_…": f"--key {keys['East/east-1']}",
                "--source 0": f"--source {frames} --once --headless",
            },
        )
        decisions = [json.loads(line) for line in said.splitlines() if line.startswith('{"')]
        decided = [d for d in decisions if "decision" in d]
        assert [(d["decision"], d["server_reachable"]) for d in decided] == [("cleared", True)], said
        crossings = client.get(f"{API}/crossings", headers=officer).json()
        assert [c["decision"] for c in crossings if c["commuter_id"] == commuter] == ["cleared"]

        # 7: off-boarding: staff signed out, a stolen kiosk refused, a reinstalled one re-keyed.
        said = a.run(blocks[6])
        assert client.get(f"{API}/commuters", headers=lab).status_code == 401
        refused = verify_status(client, keys["East/east-2"])
        assert refused == 401
        new_west_key = re.search(r"new API key[^\n]*\n(hk_\S+)", said)
        assert new_west_key, said
        assert verify_status(client, keys["West/west-1"]) == 401
        assert verify_status(client, new_west_key.group(1)) == 200
        assert re.search(r"East/east-2\s+to_sz\s+DISABLED", said)

        # 8: both keys rotated while the servers run: the old card still clears, a new one too.
        said = a.run(blocks[7])
        # The commuter is in Hong Kong now: back to Shenzhen with the old card, in with a new one.
        assert verify(client, keys["West/west-2"], old_card)["decision"] == "cleared"
        reissued = client.post(
            f"{API}/commuters/{commuter}/credentials", headers=officer, json={"kind": "static"}
        )
        assert reissued.status_code == 201, reissued.text
        new_card = reissued.json()["payload"]
        assert parse_payload(new_card).claims.kid != parse_payload(old_card).claims.kid
        assert parse_payload(new_card).claims.kid in said and parse_payload(old_card).claims.kid in said
        assert verify(client, keys["East/east-1"], new_card)["decision"] == "cleared"

        # 9: a backup of the running system.
        said = a.run(blocks[8])
        (backup,) = (tmp_path / "backups").glob("hetao-*.backup")
        client.close()

    # 10: a new host after steps 1 and 2 restores it, starts the service and clears the commuter.
    b = Host("host B", tmp_path / "b", fresh_database(tmp_path, "production_b"))
    (b.root / "var-lib-hetao").mkdir()
    b.run(blocks[0])
    b.run(blocks[1])
    said = b.run(blocks[9], **{"hetao-2026-11-23.backup": backup.name})
    assert "restored" in said, said
    port_b = free_port()
    with service(b, port_b) as url_b, httpx.Client(base_url=url_b, timeout=120) as client_b:
        assert token(client_b, "root", passwords["root"])  # the same accounts
        assert verify(client_b, keys["West/west-2"], new_card)["decision"] == "cleared"
        assert verify_status(client_b, keys["East/east-2"]) == 401  # still disabled

    transcript = "\n".join(a.transcript + kiosk_host.transcript + b.transcript)
    output = Path(os.environ.get("HETAO_TEST_OUTPUT", tmp_path))
    output.mkdir(parents=True, exist_ok=True)
    (output / "production-path.txt").write_text(transcript)


def verify_status(client: httpx.Client, kiosk_key: str) -> int:
    answer = client.get(
        f"{API}/kiosk/whitelist", params={"since": 0}, headers={"Authorization": f"Bearer {kiosk_key}"}
    )
    return answer.status_code
