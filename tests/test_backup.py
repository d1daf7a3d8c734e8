"""Backups as an operator takes them: the database and the keys together, encrypted, restored on a
new host into a new database, where commuters still clear."""

from pathlib import Path

import httpx
import pytest

from clearance.cli.launch import server_env
from clearance.cli.samples import SAMPLE_COMMUTERS
from tests.live import running_servers, serve
from tests.support import frame_jpeg
from tests.test_cli import run

A = SAMPLE_COMMUTERS[0]
PASSPHRASE = "harbour lantern quiet 42"
pytestmark = pytest.mark.slow


def test_a_backup_restores_on_a_new_host_where_the_commuter_still_clears(tmp_path: Path) -> None:
    backup = tmp_path / "hetao.backup"
    with running_servers(tmp_path, "backup") as (server,):
        commuter, credential = server.enrol_active(A)
        env = {**server.env, "HETAO_BACKUP_PASSPHRASE": PASSPHRASE}
        made = run(["backup", "--output", str(backup)], env)
        assert made.returncode == 0, made.stderr
        assert "encrypted" in made.stdout
        again = run(["backup", "--output", str(backup)], env)
        assert again.returncode != 0 and "never overwrites" in again.stderr
        kiosk = {"Authorization": f"Bearer {server.kiosks['east_to_hk']}"}
        key_file = (server.data_dir / "keys" / "data.key").read_bytes()
    content = backup.read_bytes()
    # Nothing readable: no name, no key, no document number.
    assert (
        A.label.encode() not in content
        and key_file not in content
        and A.document_number.encode() not in content
    )
    assert not (tmp_path / "hetao.backup.partial").exists()

    # A new host: an empty data directory and a new SQLite database, migrated.
    new_dir = tmp_path / "new-host"
    new_env = server_env(new_dir, f"sqlite:///{new_dir}/hetao.sqlite3", backup_passphrase=PASSPHRASE)
    assert run(["db", "upgrade"], new_env).returncode == 0
    wrong = run(["restore", str(backup)], {**new_env, "HETAO_BACKUP_PASSPHRASE": "not the passphrase at all"})
    assert wrong.returncode != 0 and "wrong passphrase" in wrong.stderr
    cut = tmp_path / "cut.backup"
    cut.write_bytes(content[: len(content) // 2])
    damaged = run(["restore", str(cut)], new_env)
    assert damaged.returncode != 0 and "cut short" in damaged.stderr
    assert not (new_dir / "keys").exists() or not list((new_dir / "keys").iterdir())  # nothing half-written
    restored = run(["restore", str(backup)], new_env)
    assert restored.returncode == 0, restored.stderr
    assert (new_dir / "keys" / "data.key").read_bytes() == key_file
    twice = run(["restore", str(backup)], new_env)
    assert twice.returncode != 0 and "already holds keys" in twice.stderr

    process, url = serve(new_dir, f"sqlite:///{new_dir}/hetao.sqlite3")
    try:
        # The template opens with the restored data key; the credential verifies with the restored
        # public key; the kiosk's key is the one it had.
        answer = httpx.post(
            f"{url}/api/v1/kiosk/verify",
            headers=kiosk,
            files={"frame": ("f.jpg", frame_jpeg(A.live_photo, credential["payload"]), "image/jpeg")},
            timeout=60,
        ).json()
        assert (answer["decision"], answer["commuter_id"]) == ("cleared", commuter["id"])
    finally:
        process.terminate()
        process.wait(10)
