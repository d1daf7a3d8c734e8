"""The ``hetao`` command line, run as a user runs it: a subprocess on a fresh data directory."""

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.live import serve
from tests.support import free_port

HETAO = str(Path(sys.executable).parent / "hetao")


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HETAO, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}
    return {**clean, "HETAO_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    assert run(["db", "upgrade"], env).returncode == 0
    process, url = serve(Path(env["HETAO_DATA_DIR"]))
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_administrator_sets_up_accounts_from_the_command_line(env: dict[str, str], server: str) -> None:
    created = run(["admin", "create-organisation", "--name", "Hetao Lab", "--park", "sz"], env)
    assert created.returncode == 0, created.stderr
    organisation_id = re.search(r"id ([0-9a-f-]{36})", created.stdout)
    assert organisation_id
    user = run(
        [
            "admin",
            "create-user",
            "--username",
            "enrol-1",
            "--role",
            "enroller",
            "--organisation",
            organisation_id[1],
        ],
        env,
    )
    assert user.returncode == 0, user.stderr
    password = re.search(r"generated password: (\S+)", user.stdout)
    assert password, user.stdout
    token = httpx.post(f"{server}/api/v1/auth/token", data={"username": "enrol-1", "password": password[1]})
    assert token.status_code == 200
    duplicate = run(
        [
            "admin",
            "create-user",
            "--username",
            "enrol-1",
            "--role",
            "officer",
            "--password",
            "quiet harbour lantern 42",
        ],
        env,
    )
    assert duplicate.returncode == 1
    assert "taken" in duplicate.stderr
    assert httpx.get(f"{server}/docs").status_code == 200
    # Organisations are named by name as well as id; the bridges' checkpoints and kiosks too.
    by_name = run(
        [
            "admin",
            "create-user",
            "--username",
            "enrol-2",
            "--role",
            "enroller",
            "--organisation",
            "Hetao Lab",
        ],
        env,
    )
    assert by_name.returncode == 0, by_name.stderr
    unknown = run(
        ["admin", "create-user", "--username", "enrol-3", "--role", "enroller", "--organisation", "Nowhere"],
        env,
    )
    assert unknown.returncode == 1 and "no organisation named 'Nowhere'" in unknown.stderr
    organisations = run(["admin", "list-organisations"], env)
    assert re.search(r"Hetao Lab\s+sz\s+2 staff", organisations.stdout), organisations.stdout
    for name, bridge in (("East", "east"), ("West", "west")):
        made = run(["admin", "create-checkpoint", "--name", name, "--bridge", bridge], env)
        assert made.returncode == 0, made.stderr
    assert re.search(r"East\s+east bridge", run(["admin", "list-checkpoints"], env).stdout)
    kiosk = run(
        ["admin", "create-kiosk", "--checkpoint", "East", "--name", "east-1", "--direction", "to_hk"], env
    )
    assert kiosk.returncode == 0, kiosk.stderr
    key = re.search(r"API key .*: (\S+)", kiosk.stdout)
    assert key, kiosk.stdout
    feed = httpx.get(f"{server}/api/v1/kiosk/whitelist", headers={"Authorization": f"Bearer {key[1]}"})
    assert feed.status_code == 200
    assert re.search(r"East/east-1\s+to_hk\s+enabled", run(["admin", "list-kiosks"], env).stdout)


def test_server_refuses_an_unmigrated_database(env: dict[str, str]) -> None:
    result = run(["serve", "--port", str(free_port("127.0.0.1"))], env, timeout=60)
    assert result.returncode != 0
    assert "hetao db upgrade" in result.stdout + result.stderr
    user = run(
        [
            "admin",
            "create-user",
            "--username",
            "x",
            "--role",
            "admin",
            "--password",
            "quiet harbour lantern 42",
        ],
        env,
    )
    assert user.returncode != 0
    assert "hetao db upgrade" in user.stderr


@pytest.mark.slow
def test_demo_runs_the_scripted_morning(env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [HETAO, "demo", "--no-serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def decision_of(attempt: str) -> list[str]:
        (line,) = [line for line in lines if attempt in line]
        return line.split()

    assert "cleared" in decision_of("Sample Commuter A shows their QR")
    assert "face_mismatch" in decision_of("someone else shows")
    assert "expired" in decision_of("expired credential")
    assert "revoked" in decision_of("revoked card")
    assert "bad_signature" in decision_of("one character altered")
    assert "malformed_qr" in decision_of("not a credential")
    assert "no_qr" in decision_of("forgets to show a QR")
    assert "anti_passback" in decision_of("tries to enter Hong Kong again")
    assert "cleared" in decision_of("shows the code on their phone")
    assert "replayed" in decision_of("a screenshot of")
    assert "presentation_attack" in decision_of("holds up a phone showing")
    assert "cleared" not in decision_of("holds up a printed photo")
    assert "14 crossings recorded" in result.stdout
    assert (Path(env["HETAO_DATA_DIR"]) / "demo" / "hetao.sqlite3").exists()


def test_purge_runs_from_cron_and_says_what_it_did(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    for _run in range(2):
        purged = run(["purge", "--quiet"], env)
        assert purged.returncode == 0, purged.stderr
        assert re.match(
            r"anonymised 0 crossings decided before \d{4}-\d\d-\d\d .*\(retention 365 days\)", purged.stdout
        )
    refused = run(["purge", "--days", "0"], env)
    assert refused.returncode != 0
    assert "--days must be at least 1" in refused.stderr


def test_production_says_what_is_missing_in_one_line_and_keys_are_made_once(env: dict[str, str]) -> None:
    production = {**env, "HETAO_ENVIRONMENT": "production"}
    port = str(free_port("127.0.0.1"))
    no_secret = run(["serve", "--port", port], production, timeout=60)
    assert no_secret.returncode != 0
    assert no_secret.stderr.strip() == "hetao: HETAO_SECRET_KEY must be set to a real secret in production"
    bad_number = run(["serve"], {**production, "HETAO_SECRET_KEY": "s" * 40, "HETAO_MATCH_THRESHOLD": "x"})
    assert bad_number.stderr.splitlines()[0].startswith("hetao: HETAO_MATCH_THRESHOLD: ")
    production["HETAO_SECRET_KEY"] = "a long random secret for the token signatures, 1234567890"
    assert run(["db", "upgrade"], production).returncode == 0
    no_keys = run(["serve", "--port", port], production, timeout=60)
    assert no_keys.returncode == 1
    assert "Traceback" not in no_keys.stderr
    assert "hetao keys init" in no_keys.stderr and len(no_keys.stderr.strip().splitlines()) == 1
    made = run(["keys", "init"], production)
    assert made.returncode == 0, made.stderr
    keys = Path(env["HETAO_DATA_DIR"]) / "keys"
    files = {p.name: p for p in keys.iterdir()}
    assert set(files) == {"signing-ed25519.pem", "data.key", "index.key"}
    assert all(p.stat().st_mode & 0o077 == 0 for p in files.values())
    before = {name: p.read_bytes() for name, p in files.items()}
    again = run(["keys", "init"], production)
    assert again.returncode == 1
    assert "already exist" in again.stderr
    assert {name: p.read_bytes() for name, p in files.items()} == before  # nothing replaced
    # With its keys the server starts, saying where it runs.
    with subprocess.Popen(
        [HETAO, "serve", "--port", port],
        env=production,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        process.terminate()
        process.wait(10)
    assert "(production)" in first and "database sqlite:///" in first


def test_an_administrator_disables_enables_and_rekeys_a_kiosk_from_the_command_line(tmp_path: Path) -> None:
    from tests.live import running_servers

    with running_servers(tmp_path, "kiosk_admin") as (server,):
        env = server.env
        key = server.kiosks["east_to_hk"]

        def whitelist(api_key: str) -> int:
            answer = httpx.get(
                f"{server.url}/api/v1/kiosk/whitelist",
                params={"since": 0},
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=30,
            )
            return answer.status_code

        assert whitelist(key) == 200
        # Without HETAO_METRICS_TOKEN, /metrics answers this machine (the test is on it).
        assert httpx.get(f"{server.url}/metrics", timeout=30).status_code == 200
        listed = run(["admin", "list-kiosks"], env)
        assert listed.returncode == 0, listed.stderr
        assert re.search(r"East/east_to_hk\s+to_hk\s+enabled", listed.stdout)
        # "west_to_hk" alone names one kiosk; a name that two checkpoints share would need checkpoint/.
        disabled = run(["admin", "disable-kiosk", "east_to_hk", "--reason", "stolen from the bridge"], env)
        assert disabled.returncode == 0, disabled.stderr
        assert whitelist(key) == 401  # at once, without a restart
        assert re.search(r"East/east_to_hk\s+to_hk\s+DISABLED", run(["admin", "list-kiosks"], env).stdout)
        again = run(["admin", "disable-kiosk", "East/east_to_hk"], env)
        assert again.returncode == 1 and "already disabled" in again.stderr
        unknown = run(["admin", "disable-kiosk", "no_such_kiosk"], env)
        assert unknown.returncode == 1 and "no kiosk named" in unknown.stderr
        assert run(["admin", "enable-kiosk", "east_to_hk"], env).returncode == 0
        assert whitelist(key) == 200
        rekeyed = run(["admin", "rekey-kiosk", "east_to_hk"], env)
        assert rekeyed.returncode == 0, rekeyed.stderr
        new_key = rekeyed.stdout.strip().splitlines()[-1]
        assert whitelist(key) == 401 and whitelist(new_key) == 200
        audit = httpx.get(
            f"{server.url}/api/v1/audit",
            params={"action": "disable_kiosk"},
            headers=server.headers("officer"),
            timeout=30,
        )
        assert audit.status_code == 200, audit.text
        (event,) = audit.json()
        assert event["detail"] == "stolen from the bridge"

        # Staff accounts: listed, disabled and enabled by username, a password reset.
        users = run(["admin", "list-users"], env)
        assert re.search(r"\benroller\s+enroller\s+enabled", users.stdout), users.stdout
        officer = server.headers("officer")
        assert run(["admin", "disable-user", "officer", "--reason", "on leave"], env).returncode == 0
        assert httpx.get(f"{server.url}/api/v1/crossings", headers=officer, timeout=30).status_code == 401
        assert run(["admin", "enable-user", "officer"], env).returncode == 0
        reset = run(["admin", "reset-password", "enroller"], env)  # no terminal: one is generated
        assert reset.returncode == 0, reset.stderr
        generated = reset.stdout.split("generated password: ")[1].strip()
        token = httpx.post(
            f"{server.url}/api/v1/auth/token",
            data={"username": "enroller", "password": generated},
            timeout=30,
        )
        assert token.status_code == 200
        missing = run(["admin", "disable-user", "nobody"], env)
        assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr


def test_an_administrator_edits_organisations_users_checkpoints_and_kiosks(tmp_path: Path) -> None:
    from tests.live import running_servers

    with running_servers(tmp_path, "edits") as (server,):
        env = server.env
        enroller = server.headers("enroller")
        crossings = f"{server.url}/api/v1/crossings"
        assert httpx.get(crossings, headers=enroller, timeout=30).status_code == 403
        moved = run(["admin", "edit-user", "enroller", "--role", "officer"], env)
        assert moved.returncode == 0, moved.stderr
        assert "officer, signed out everywhere" in moved.stdout
        # A new role ends the sessions held under the old one: the old token is refused, and a
        # new sign-in reads what officers read.
        assert httpx.get(crossings, headers=enroller, timeout=30).status_code == 401
        assert httpx.get(crossings, headers=server.headers("enroller"), timeout=30).status_code == 200
        wrong = run(["admin", "edit-user", "officer", "--organisation", "Live Org"], env)
        assert wrong.returncode == 1 and "does not belong to an organisation" in wrong.stderr
        back = run(
            ["admin", "edit-user", "enroller", "--role", "enroller", "--organisation", "Live Org"], env
        )
        assert back.returncode == 0 and "enroller of 'Live Org'" in back.stdout, back.stderr

        renamed = run(
            ["admin", "edit-organisation", "Live Org", "--name", "Hetao Quantum Lab", "--park", "sz"], env
        )
        assert renamed.returncode == 0, renamed.stderr
        assert re.search(
            r"Hetao Quantum Lab\s+sz\s+1 staff", run(["admin", "list-organisations"], env).stdout
        )
        unchanged = run(["admin", "edit-organisation", "Hetao Quantum Lab", "--park", "sz"], env)
        assert "(nothing to change)" in unchanged.stdout

        assert (
            run(["admin", "edit-checkpoint", "East", "--name", "East Bridge", "--face-only"], env).returncode
            == 0
        )
        assert re.search(
            r"East Bridge\s+east bridge\s+face-only", run(["admin", "list-checkpoints"], env).stdout
        )
        taken = run(["admin", "edit-checkpoint", "East Bridge", "--name", "West"], env)
        assert taken.returncode == 1 and "already exists" in taken.stderr
        assert run(["admin", "rename-kiosk", "East Bridge/east_to_hk", "east-1"], env).returncode == 0
        assert re.search(r"East Bridge/east-1\s+to_hk\s+enabled", run(["admin", "list-kiosks"], env).stdout)
        # The renamed kiosk's key is the same key.
        whitelist = httpx.get(
            f"{server.url}/api/v1/kiosk/whitelist",
            params={"since": 0},
            headers={"Authorization": f"Bearer {server.kiosks['east_to_hk']}"},
            timeout=30,
        )
        assert whitelist.status_code == 200

        audit = httpx.get(f"{server.url}/api/v1/audit", headers=server.headers("officer"), timeout=30).json()
        details = {
            (event["action"], event["detail"]) for event in audit if event["action"].startswith("edit_")
        }
        assert ("edit_kiosk", "name 'east_to_hk' -> 'east-1'") in details
        assert ("edit_checkpoint", "name 'East' -> 'East Bridge', face_only False -> True") in details
        assert ("edit_organisation", "name 'Live Org' -> 'Hetao Quantum Lab', park 'hk' -> 'sz'") in details
        assert any(
            action == "edit_user" and detail.startswith("role 'enroller' -> 'officer'")
            for action, detail in details
        )


@pytest.mark.slow
def test_the_signing_key_is_rotated_while_old_credentials_keep_clearing(tmp_path: Path) -> None:
    from clearance.cli.samples import SAMPLE_COMMUTERS
    from tests.live import running_servers
    from tests.support import frame_jpeg

    a = SAMPLE_COMMUTERS[0]
    with running_servers(tmp_path, "signing_rotation") as (server,):
        env = server.env
        commuter, old_credential = server.enrol_active(a)
        old_kid = old_credential["kid"]
        rotated = run(["keys", "rotate-signing"], env)
        assert rotated.returncode == 0, rotated.stderr
        retired = Path(env["HETAO_DATA_DIR"]) / "keys" / f"signing-retired-{old_kid}.pem"
        assert retired.exists() and retired.stat().st_mode & 0o077 == 0
        # The running server signs with the new key at once, without a restart.
        enroller = server.headers("enroller")
        new_credential = httpx.post(
            f"{server.url}/api/v1/commuters/{commuter['id']}/credentials",
            headers=enroller,
            json={"kind": "static"},
            timeout=30,
        ).json()
        new_kid = new_credential["kid"]
        assert new_kid != old_kid
        assert new_kid in rotated.stdout and old_kid in rotated.stdout
        # Kiosks are sent both public keys; a credential signed before the rotation still clears.
        kiosk = {"Authorization": f"Bearer {server.kiosks['east_to_hk']}"}
        feed = httpx.get(
            f"{server.url}/api/v1/kiosk/whitelist", params={"since": 0}, headers=kiosk, timeout=30
        )
        assert {old_kid, new_kid} <= {k["kid"] for k in feed.json()["keys"]}
        verified = httpx.post(
            f"{server.url}/api/v1/kiosk/verify",
            headers=kiosk,
            files={"frame": ("f.jpg", frame_jpeg(a.live_photo, old_credential["payload"]), "image/jpeg")},
            timeout=60,
        ).json()
        assert verified["decision"] == "cleared", verified
        listed = run(["keys", "list"], env)
        assert listed.returncode == 0, listed.stderr
        assert re.search(rf"{old_kid}\s+retired \S+\s+created \S+\s+1 live credential", listed.stdout), (
            listed.stdout
        )
        assert re.search(rf"{new_kid}\s+current\s+created \S+\s+1 live credential", listed.stdout), (
            listed.stdout
        )


def test_several_worker_processes_share_the_port_on_postgresql(tmp_path: Path) -> None:
    from tests.live import SERVER_START_SECONDS, running_servers
    from tests.support import wait_until

    if not os.environ.get("HETAO_TEST_DATABASE_URL", "").startswith("postgresql"):
        # On SQLite the command refuses, saying why.
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HETAO_")}}
        env["HETAO_DATA_DIR"] = str(tmp_path / "data")
        refused = run(["serve", "--workers", "2"], env, timeout=60)
        assert refused.returncode != 0 and "need PostgreSQL" in refused.stderr
        return
    with running_servers(tmp_path, "workers") as (server,):
        process, url = serve(
            server.data_dir, server.database_url, extra_args=("--workers", "2", "--log-level", "info")
        )
        try:
            log = server.data_dir / f"server-{url.rsplit(':', 1)[1]}.log"
            started = '"message":"Started server process'
            assert wait_until(lambda: log.read_text().count(started) == 2)
            # Each worker loads the face networks as it starts, not at its first request: both say
            # so with no request sent (waited for as a line in the log: a loaded machine is slow).
            loaded = '"message":"face networks loaded"'
            assert wait_until(lambda: log.read_text().count(loaded) == 2, within=SERVER_START_SECONDS)
            kiosk = {"Authorization": f"Bearer {server.kiosks['east_to_hk']}"}
            answers = [
                httpx.get(f"{url}/api/v1/kiosk/whitelist", headers=kiosk, timeout=30) for _ in range(6)
            ]
            assert all(a.status_code == 200 for a in answers)
            lines = [orjson.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
            messages = [line["message"] for line in lines]
            # A worker that dies is an error in the log, saying what it cost, and is replaced.
            pids = [int(m.split("[")[1].split("]")[0]) for m in messages if m.startswith("Started server")]
            os.kill(pids[0], signal.SIGKILL)

            def died() -> list[dict[str, Any]]:
                return [
                    line
                    for line in (orjson.loads(t) for t in log.read_text().splitlines() if t.startswith("{"))
                    if f"Child process [{pids[0]}] died" in line["message"]
                ]

            # The supervisor pings each worker in turn (up to 5 s each): on a loaded machine it
            # may take a while to come to the dead one.
            assert wait_until(lambda: bool(died()), within=SERVER_START_SECONDS)
            (death,) = died()
            assert death["level"] == "error" and "requests it held were dropped" in death["message"]
            assert wait_until(lambda: log.read_text().count(started) == 3, within=SERVER_START_SECONDS)
            again = httpx.get(f"{url}/api/v1/kiosk/whitelist", headers=kiosk, timeout=30)
            assert again.status_code == 200
        finally:
            process.terminate()
            process.wait(20)
