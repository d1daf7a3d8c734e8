"""Personal data at rest: document numbers are never stored in clear, and revoking a commuter
erases their biometrics: not only unreachable through the product, but gone from the raw SQLite
file (and its write-ahead log), from every PostgreSQL table, and from each kiosk's local store
once it syncs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, select, text

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import vault
from clearance.core.settings import Settings
from clearance.core.wire import WhitelistPage
from clearance.db import migrations as schema
from clearance.db.engine import make_engine, make_sessionmaker
from clearance.db.models import FaceTemplate
from clearance.web.app import create_app
from kiosk.store import LocalStore
from tests.live import fresh_database
from tests.support import API, enrol_active, make_world

A = SAMPLE_COMMUTERS[0]


def samples(blob: bytes) -> list[bytes]:
    """32-byte pieces of ``blob`` every 1 KiB: a large value spans several pages of a file, so
    it is looked for piece by piece, never as one run of bytes."""
    return [blob[i : i + 32] for i in range(0, len(blob) - 32, 1024)]


def in_sqlite_files(database: Path, blobs: Iterable[bytes]) -> list[bool]:
    files = [database, database.with_name(database.name + "-wal")]
    content = b"".join(path.read_bytes() for path in files if path.exists())
    return [any(piece in content for piece in samples(blob)) for blob in blobs]


def in_postgresql_tables(engine: Engine, blobs: Iterable[bytes]) -> list[bool]:
    with engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = 'bytea'"
            )
        ).all()
        found = []
        for blob in blobs:
            hits = 0
            for table, column in columns:
                query = f'SELECT count(*) FROM "{table}" WHERE position(:needle in "{column}") > 0'  # noqa: S608
                hits += connection.execute(text(query), {"needle": blob}).scalar_one()
            found.append(hits > 0)
        return found


def text_in_postgresql(engine: Engine, needle: str) -> bool:
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
        return any(
            connection.execute(
                text(f'SELECT count(*) FROM "{table}" AS t WHERE t::text LIKE :pattern'),  # noqa: S608
                {"pattern": f"%{needle}%"},
            ).scalar_one()
            for table in list(tables)
        )


def test_revoking_leaves_no_copy_of_the_biometrics_in_the_database_or_on_kiosks(tmp_path: Path) -> None:
    url = fresh_database(tmp_path, "erasure")
    schema.upgrade(url=url)
    engine = make_engine(url)
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    world = make_world(make_sessionmaker(engine), settings)
    kiosk = LocalStore(tmp_path / "kiosk.sqlite3", data_key=vault.DataKey(os.urandom(32)))

    def scan(blobs: list[bytes], kiosk_blobs: list[bytes]) -> list[bool]:
        if engine.dialect.name == "postgresql":
            server = in_postgresql_tables(engine, blobs)
        else:
            server = in_sqlite_files(Path(make_url(url).database or ""), blobs)
        return server + in_sqlite_files(kiosk.path, kiosk_blobs)

    def sync(client: TestClient) -> None:
        page = client.get(f"{API}/kiosk/whitelist", params={"since": kiosk.cursor}, headers=world.kiosk)
        kiosk.apply_whitelist_page(WhitelistPage.model_validate_json(page.content))

    with TestClient(create_app(settings, engine=engine)) as client:
        commuter, _credential = enrol_active(client, world, A)
        # The document number is shown to staff, but stored only sealed (and as a blind index).
        number = commuter["document_number"]
        if engine.dialect.name == "postgresql":
            assert not text_in_postgresql(engine, number)
            assert text_in_postgresql(engine, commuter["full_name"])  # the scan does find text
        else:
            content = Path(make_url(url).database or "").read_bytes()
            wal = Path((make_url(url).database or "") + "-wal")
            content += wal.read_bytes() if wal.exists() else b""
            assert number.encode() not in content
            assert commuter["full_name"].encode() in content
        found = client.get(
            f"{API}/commuters", params={"q": number.lower()}, headers=world.officer.headers
        ).json()
        assert [c["id"] for c in found] == [commuter["id"]]
        sync(client)
        with make_sessionmaker(engine)() as session:
            template = session.scalar(
                select(FaceTemplate).where(FaceTemplate.commuter_id == uuid.UUID(commuter["id"]))
            )
            assert template is not None
            blobs = [template.sealed_encoding, template.sealed_reference_photo]
        (kiosk_blob,) = kiosk.read().execute("SELECT sealed_template FROM whitelist").fetchone()
        # The scans find the biometrics while they are there...
        assert scan(blobs, [kiosk_blob]) == [True, True, True]

        revoked = client.post(f"{API}/commuters/{commuter['id']}/revoke", headers=world.officer.headers)
        assert revoked.json()["has_biometrics"] is False
        sync(client)
        # ...and nowhere once the commuter is revoked and the kiosk has synced.
        assert scan(blobs, [kiosk_blob]) == [False, False, False]
    kiosk.close()
    engine.dispose()
