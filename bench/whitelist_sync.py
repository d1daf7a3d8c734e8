"""Whitelist sync for a kiosk: a full snapshot of N commuters, then an incremental of 100 changes.

Fills a fresh database with N active commuters (random 128-d templates, sealed as in
production, one credential each), starts ``hetao serve`` in its own process, and times a real
kiosk store pulling ``GET /api/v1/kiosk/whitelist`` page by page over loopback HTTP, sealing and
writing every entry. The snapshot is taken ``--runs`` times, each into a new kiosk store (the
machine's own spread is large: the figure is the median, with the fastest and slowest). Then 100
commuters change (50 suspended, 50 new credentials) and the incremental sync is timed.

    uv run python -m bench.whitelist_sync [--commuters 100000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select, text

from bench.common import emit, fresh_schema, table
from clearance.cli.launch import start_server
from clearance.core import security, vault
from clearance.core.enums import Bridge, CommuterStatus, CredentialKind, Direction, Park, Role
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.custody import keys
from clearance.db.actors import SystemActor
from clearance.db.engine import make_engine, make_sessionmaker, session_scope
from clearance.db.keyring import load_keyring
from clearance.db.models import Commuter, Credential, FaceTemplate, Organisation, User
from clearance.stations import service as stations
from clearance.vision import models
from clearance.whitelist import biometrics as templates
from clearance.whitelist import documents
from clearance.whitelist import service as whitelist
from kiosk.link import ServerLink
from kiosk.runner import Syncer
from kiosk.station import LinkStatus
from kiosk.store import LocalStore

BENCH = SystemActor("benchmark setup")

CHUNK = 5000


def fill(settings: Settings, count: int) -> str:
    """N active commuters with sealed templates and a credential each; returns a kiosk key."""
    keyring = load_keyring(settings)
    model = models.load(settings.face_model)
    engine = make_engine(settings.sqlalchemy_url)
    rng = np.random.default_rng(7)
    with session_scope(make_sessionmaker(engine)) as session:
        keys.register_signing_key(session, keyring)
        organisation = Organisation(name="Bench Org", park=Park.SZ)
        user = User(
            username="bench", password_hash=security.hash_password("bench-password"), role=Role.OFFICER
        )
        session.add_all([organisation, user])
        session.flush()
        checkpoint = stations.create_checkpoint(session, name="Bench", bridge=Bridge.EAST, actor=BENCH)
        _kiosk, kiosk_key = stations.create_kiosk(
            session, checkpoint=checkpoint, name="k", direction=Direction.TO_HK, actor=BENCH
        )
        now = utcnow()
        valid = date.today() + timedelta(days=300)
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            encodings = rng.normal(0, 0.1, size=(n, model.size)).astype(np.float32)
            commuters, face_rows, credential_rows = [], [], []
            for i in range(n):
                commuter_id = uuid.uuid4()
                commuters.append(
                    {
                        "id": commuter_id,
                        "organisation_id": organisation.id,
                        "full_name": f"Commuter {start + i}",
                        "document_type": "passport",
                        "sealed_document_number": documents.seal_number(
                            keyring.data_key, commuter_id=commuter_id, number=f"B{start + i:09d}"
                        ),
                        "document_index": documents.document_index(
                            keyring.index_key, document_type="passport", number=f"B{start + i:09d}"
                        ),
                        "home_park": Park.SZ,
                        "valid_until": valid,
                        "status": CommuterStatus.ACTIVE,
                        "enrolled_by_id": user.id,
                        "created_at": now,
                        "updated_at": now,
                        "face_only": False,
                        "sync_version": start + i + 1,
                    }
                )
                template = templates.seal_template(
                    keyring.data_key,
                    commuter_id=commuter_id,
                    encodings=encodings[i : i + 1],
                    reference_jpegs=[b"-"],
                    quality={},
                    model=model.name,
                )
                face_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "commuter_id": commuter_id,
                        "model": template.model,
                        "sealed_encoding": template.sealed_encoding,
                        "sealed_reference_photo": template.sealed_reference_photo,
                        "quality": {},
                        "created_at": now,
                    }
                )
                credential_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "commuter_id": commuter_id,
                        "kind": CredentialKind.STATIC,
                        "kid": keyring.kid,
                        "payload": "bench",
                        "issued_at": now,
                        "expires_at": now + timedelta(days=30),
                        "issued_by_id": user.id,
                    }
                )
            session.execute(insert(Commuter), commuters)
            session.execute(insert(FaceTemplate), face_rows)
            session.execute(insert(Credential), credential_rows)
            print(f"  filled {start + n:,}/{count:,}", file=sys.stderr, flush=True)
        session.execute(
            text("UPDATE sync_counters SET value = :v WHERE name = 'whitelist'"), {"v": count + 1}
        )
    engine.dispose()
    return kiosk_key


def change_hundred(settings: Settings) -> int:
    """100 commuters change (fewer if there are fewer): every other one suspended, the rest given a
    new credential; how many were suspended."""
    keyring = load_keyring(settings)
    engine = make_engine(settings.sqlalchemy_url)
    with session_scope(make_sessionmaker(engine)) as session:
        picked = list(session.scalars(select(Commuter).order_by(Commuter.sync_version).limit(100)))
        suspended = len(picked) // 2
        for n, commuter in enumerate(picked):
            if n % 2:
                commuter.status = CommuterStatus.SUSPENDED
            else:
                session.add(
                    Credential(
                        commuter_id=commuter.id,
                        kind=CredentialKind.STATIC,
                        kid=keyring.kid,
                        payload="bench",
                        expires_at=utcnow() + timedelta(days=30),
                        issued_by_id=commuter.enrolled_by_id,
                    )
                )
            whitelist.touch(session, commuter)
    engine.dispose()
    return suspended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commuters", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="snapshots taken, each into a new store")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "server", database_url=args.database_url)
        settings.data_dir.mkdir(parents=True)
        fresh_schema(settings.sqlalchemy_url)
        started = time.perf_counter()
        kiosk_key = fill(settings, args.commuters)
        fill_s = time.perf_counter() - started
        server, url = start_server(settings.data_dir, settings.sqlalchemy_url)
        try:
            model = models.load(settings.face_model)
            link = ServerLink(url, key=kiosk_key, timeout=120)
            snapshots = []
            for run in range(max(1, args.runs)):
                store = LocalStore(
                    Path(tmp) / f"kiosk{run}" / "kiosk.sqlite3",
                    data_key=vault.DataKey(os.urandom(32)),
                    model=model.name,
                    model_size=model.size,
                )
                syncer = Syncer(store, link, interval=60, status=LinkStatus())
                started = time.perf_counter()
                syncer.sync_all()
                snapshots.append(time.perf_counter() - started)
                assert store.count_whitelist() == args.commuters, store.count_whitelist()
                print(f"  snapshot {run + 1}: {snapshots[-1]:.2f} s", file=sys.stderr, flush=True)
            full_s = statistics.median(snapshots)
            suspended = change_hundred(settings)
            started = time.perf_counter()
            syncer.sync_all()
            incremental_s = time.perf_counter() - started
            assert store.count_whitelist() == args.commuters - suspended
            link.close()
        finally:
            server.terminate()
            server.wait(10)
    database = "postgresql" if args.database_url else "sqlite"
    figures = {
        "benchmark": "whitelist_sync",
        "database": database,
        "commuters": args.commuters,
        "full_sync_s": round(full_s, 3),
        "full_sync_runs_s": [round(t, 3) for t in snapshots],
        "incremental_100_s": round(incremental_s, 4),
        "fill_s": round(fill_s, 1),
    }
    emit(figures)
    table(
        f"Whitelist sync, {args.commuters:,} commuters, server on {database}",
        [
            (
                f"full snapshot, median of {len(snapshots)}",
                f"{full_s:.2f} s ({min(snapshots):.2f}–{max(snapshots):.2f})",
            ),
            ("incremental, 100 changes", f"{incremental_s * 1000:.0f} ms"),
        ],
        ("sync", "time"),
    )


if __name__ == "__main__":
    main()
