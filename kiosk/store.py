"""The kiosk's own SQLite file: its copy of the whitelist and the outbox of crossings.

Every decision is committed here (WAL, ``synchronous=FULL``) before the gate is told, so a
``kill -9`` or a power cut at any instant loses nothing that was announced. Templates and
dynamic-code secrets are sealed with the kiosk's own data key, bound to their row.

Each thread gets its own connection; writes take the lock at BEGIN (IMMEDIATE) so a sync and a
decision never trip over each other's snapshots.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from clearance.core import chain, vault
from clearance.core.face_model import DLIB, DLIB_SIZE
from clearance.core.wire import (
    CrossingRecord,
    KioskSelf,
    UploadResult,
    WhitelistColumns,
    WhitelistColumnsPage,
    WhitelistEntry,
    WhitelistPage,
)
from clearance.vision import faces

SCHEMA_VERSION = 4
SCHEMA = f"""
CREATE TABLE whitelist (
    commuter_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    valid_until TEXT NOT NULL,
    face_only INTEGER NOT NULL,
    sealed_template BLOB NOT NULL,
    last_side TEXT,
    last_crossed_at TEXT,
    model TEXT NOT NULL DEFAULT '{DLIB}',
    credentials TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE public_keys (kid TEXT PRIMARY KEY, public_key BLOB NOT NULL);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    crossing_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    status TEXT
);
CREATE INDEX outbox_pending ON outbox(delivered_at, seq);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE removed_credentials (id TEXT PRIMARY KEY);
"""
UPGRADES = {
    # 1 -> 2: templates record the face model that made them (every one before was dlib's).
    1: f"ALTER TABLE whitelist ADD COLUMN model TEXT NOT NULL DEFAULT '{DLIB}';",
    # 2 -> 3: no names: a kiosk decides on ids, templates and credentials, and keeps nothing else
    # about a person (the column's pages are overwritten: the store runs with secure_delete).
    2: "ALTER TABLE whitelist DROP COLUMN full_name;",
    # 3 -> 4: a commuter's credentials live in their row (see CREDENTIALS); a table of their own,
    # with two indexes and a foreign key, was a third of a snapshot's time.
    3: "ALTER TABLE whitelist ADD COLUMN credentials TEXT NOT NULL DEFAULT '[]';"
    "UPDATE whitelist SET credentials = coalesce(("
    "SELECT json_group_array(json_array(c.id, c.kind, c.revoked, CASE WHEN c.sealed_secret IS NULL "
    "THEN NULL ELSE lower(hex(c.sealed_secret)) END)) FROM credentials c "
    "WHERE c.commuter_id = whitelist.commuter_id), '[]');"
    "DROP TABLE credentials;",
}
CREDENTIALS = """A commuter's credentials, in the ``credentials`` column of their row: a JSON list of
``[id, kind, revoked (0 or 1), sealed secret (hex) or null]``. A QR names its holder, so the kiosk
finds a credential through the commuter it was issued to."""


@dataclass(frozen=True)
class CommuterEntry:
    commuter_id: uuid.UUID
    valid_until: date
    face_only: bool
    template: NDArray[np.float32] | None
    """One row per enrolment photo; None when another face model than the kiosk's made it."""
    last_side: str | None
    photos: int = 1


@dataclass(frozen=True)
class CredentialEntry:
    id: uuid.UUID
    commuter_id: uuid.UUID
    kind: str
    revoked: bool
    secret: bytes | None
    last_step: int | None


@dataclass(frozen=True)
class Gallery:
    """The face-only commuters' templates, for 1:N search."""

    commuter_ids: list[uuid.UUID]
    index: faces.GalleryIndex


class LocalStore:
    def __init__(
        self, path: Path, *, data_key: vault.DataKey, model: str = DLIB, model_size: int = DLIB_SIZE
    ) -> None:
        """``model``, ``model_size``: the face model the kiosk encodes with; templates made by
        another are kept, but not opened for matching."""
        self.path = path
        self.data_key = data_key
        self.model = model
        self.model_size = model_size
        self._local = threading.local()
        self._gallery: tuple[int, Gallery] | None = None
        # Owner-only: the store holds names and (sealed) templates. SQLite gives its -wal and
        # -shm files the database file's permissions.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        path.chmod(0o600)
        db = self._connection()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version == 0:
            # executescript runs its own transaction; the version is set in the same script.
            db.executescript(f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")
            version = SCHEMA_VERSION
        elif version > SCHEMA_VERSION:
            raise RuntimeError(f"{path} has kiosk schema {version}; this kiosk knows {SCHEMA_VERSION}")
        while version < SCHEMA_VERSION:
            db.executescript(
                f"BEGIN IMMEDIATE;{UPGRADES[version]}PRAGMA user_version = {version + 1};COMMIT;"
            )
            version += 1

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            # A removed commuter's template is overwritten, not left in a free page.
            connection.execute("PRAGMA secure_delete=ON")
            self._local.connection = connection
        return connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self._connection()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- state ---------------------------------------------------------------------------

    def get_state(self, key: str, default: str | None = None) -> str | None:
        row = self.read().execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @staticmethod
    def _get_state(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _set_state(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def cursor(self) -> int:
        return int(self.get_state("cursor", "0") or 0)

    # --- whitelist -----------------------------------------------------------------------

    def apply_whitelist_page(self, page: WhitelistPage | WhitelistColumnsPage) -> int:
        """Apply one page of ``GET /kiosk/whitelist`` atomically; returns entries applied. A
        snapshot of 100,000 goes through here: each value is converted once, column by column."""
        columns = page.columns if isinstance(page, WhitelistColumnsPage) else as_columns(page.entries)
        ids = columns.commuter_id
        kept = [i for i, gone in enumerate(columns.removed) if not gone]
        removed = [(commuter_id,) for commuter_id, gone in zip(ids, columns.removed, strict=True) if gone]
        ends = list(itertools.accumulate(columns.template_bytes))
        templates = columns.templates
        sealed_templates = vault.seal_many(
            self.data_key,
            [templates[ends[i] - columns.template_bytes[i] : ends[i]] for i in kept],
            contexts=[_context("template", ids[i]) for i in kept],
        )
        held: list[list[Any]] = [[] for _ in ids]
        credential_ids = columns.credential_id
        with_secret = [i for i, secret in enumerate(columns.credential_secret) if secret]
        sealed_secrets: list[str | None] = [None] * len(credential_ids)
        for i, sealed in zip(
            with_secret,
            vault.seal_many(
                self.data_key,
                [base64.b64decode(columns.credential_secret[i] or "") for i in with_secret],
                contexts=[_context("secret", credential_ids[i]) for i in with_secret],
            ),
            strict=True,
        ):
            sealed_secrets[i] = sealed.hex()
        for owner, credential_id, kind, revoked, sealed_secret in zip(
            columns.credential_owner,
            credential_ids,
            columns.credential_kind,
            columns.credential_revoked,
            sealed_secrets,
            strict=True,
        ):
            held[owner].append([credential_id, kind, int(revoked), sealed_secret])

        def whitelisted(values: list[Any]) -> list[Any]:
            return values if len(kept) == len(ids) else [values[i] for i in kept]

        # In key order: SQLite's B-trees take sorted keys a page at a time (random UUIDs cost 5 % more
        # at 100,000).
        whitelist_rows = sorted(
            zip(
                whitelisted(ids),
                whitelisted(columns.version),
                [d.isoformat() if d else None for d in whitelisted(columns.valid_until)],
                [int(bool(flag)) for flag in whitelisted(columns.face_only)],
                sealed_templates,
                [side.value if side else None for side in whitelisted(columns.last_side)],
                [t.isoformat() if t else None for t in whitelisted(columns.last_crossed_at)],
                [model or DLIB for model in whitelisted(columns.model)],
                [orjson.dumps(credentials).decode() for credentials in whitelisted(held)],
                strict=True,
            )
        )
        with self.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO public_keys (kid, public_key) VALUES (?, ?)",
                [(key.kid, base64.b64decode(key.public_key)) for key in page.keys],
            )
            # Remembered so their QR is refused as "not whitelisted", not as unknown.
            for commuter_id in removed:
                for (held_json,) in db.execute(
                    "DELETE FROM whitelist WHERE commuter_id = ? RETURNING credentials", commuter_id
                ).fetchall():
                    db.executemany(
                        "INSERT OR IGNORE INTO removed_credentials (id) VALUES (?)",
                        [(credential[0],) for credential in orjson.loads(held_json)],
                    )
            db.executemany(
                "INSERT OR REPLACE INTO whitelist (commuter_id, version, valid_until, face_only, "
                "sealed_template, last_side, last_crossed_at, model, credentials) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                whitelist_rows,
            )
            self._set_state(db, "cursor", str(page.cursor))
            self._set_state(db, "kiosk", page.kiosk.model_dump_json())
            self._set_state(db, "synced_at", datetime.now().astimezone().isoformat())
        if removed:
            # The log still holds the pages as they were before the deletion: fold it into the
            # (zeroed) database file and empty it, so the removed templates are nowhere on disk.
            self.read().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._gallery = None
        return len(ids)

    def kiosk_info(self) -> KioskSelf | None:
        raw = self.get_state("kiosk")
        return KioskSelf.model_validate_json(raw) if raw else None

    def public_keys(self) -> dict[str, bytes]:
        rows = self.read().execute("SELECT kid, public_key FROM public_keys").fetchall()
        return {str(kid): bytes(raw) for kid, raw in rows}

    def credential(self, credential_id: uuid.UUID, *, holder_id: uuid.UUID) -> CredentialEntry | None:
        """The credential ``credential_id`` of the whitelisted commuter ``holder_id`` (whom its QR
        names), if they hold it."""
        db = self.read()
        row = db.execute(
            "SELECT credentials FROM whitelist WHERE commuter_id = ?", (str(holder_id),)
        ).fetchone()
        wanted = str(credential_id)
        found = next((c for c in orjson.loads(row[0]) if c[0] == wanted), None) if row else None
        if found is None:
            return None
        _id, kind, revoked, sealed_secret = found
        secret = (
            vault.unseal(self.data_key, bytes.fromhex(sealed_secret), context=_context("secret", wanted))
            if sealed_secret
            else None
        )
        # The last step cleared is kept in `state`, apart from the row a sync rewrites.
        step = self._get_state(db, f"step:{wanted}")
        return CredentialEntry(
            credential_id, holder_id, kind, bool(revoked), secret, int(step) if step is not None else None
        )

    def was_removed(self, credential_id: uuid.UUID) -> bool:
        row = (
            self.read()
            .execute("SELECT 1 FROM removed_credentials WHERE id = ?", (str(credential_id),))
            .fetchone()
        )
        return row is not None

    def commuter(self, commuter_id: uuid.UUID) -> CommuterEntry | None:
        row = (
            self.read()
            .execute(
                "SELECT commuter_id, valid_until, face_only, sealed_template, last_side, model "
                "FROM whitelist WHERE commuter_id = ?",
                (str(commuter_id),),
            )
            .fetchone()
        )
        return self._commuter_entry(row) if row else None

    def _commuter_entry(self, row: tuple[Any, ...]) -> CommuterEntry:
        template = None
        photos = 1
        if row[5] == self.model:
            raw = vault.unseal(self.data_key, row[3], context=_context("template", row[0]))
            template = faces.encoding_from_bytes(raw, size=self.model_size)
            photos = len(template)
        return CommuterEntry(
            commuter_id=uuid.UUID(row[0]),
            valid_until=date.fromisoformat(row[1]),
            face_only=bool(row[2]),
            template=template,
            last_side=row[4],
            photos=photos,
        )

    def face_only_gallery(self) -> Gallery:
        """Opted-in commuters' encodings (those the kiosk's model made), unsealed once per
        whitelist change and kept in memory."""
        cursor = self.cursor
        if self._gallery is None or self._gallery[0] != cursor:
            rows = (
                self.read()
                .execute(
                    "SELECT commuter_id, valid_until, face_only, sealed_template, last_side, "
                    "model FROM whitelist WHERE face_only = 1 AND model = ?",
                    (self.model,),
                )
                .fetchall()
            )
            entries = [self._commuter_entry(row) for row in rows]
            index = faces.GalleryIndex(
                [e.template for e in entries if e.template is not None], size=self.model_size
            )
            self._gallery = (cursor, Gallery([e.commuter_id for e in entries], index))
        return self._gallery[1]

    def count_whitelist(self) -> int:
        (count,) = self.read().execute("SELECT count(*) FROM whitelist").fetchone()
        return int(count)

    # --- decisions and the outbox ----------------------------------------------------------

    def record_decision(
        self,
        record: CrossingRecord,
        *,
        new_side: str | None = None,
        dynamic_step: int | None = None,
    ) -> None:
        """Commit a decision to the outbox, with what it changes locally (the commuter's side,
        the dynamic code's step), in one durable transaction."""
        crossing = record.model_dump(mode="json")
        with self.write() as db:
            self._append(db, crossing)
            commuter_id = crossing.get("commuter_id")
            if new_side is not None and commuter_id:
                db.execute(
                    "UPDATE whitelist SET last_side = ?, last_crossed_at = ? WHERE commuter_id = ?",
                    (new_side, crossing["decided_at"], commuter_id),
                )
            credential_id = crossing.get("credential_id")
            if dynamic_step is not None and credential_id:
                self._set_state(db, f"step:{credential_id}", str(dynamic_step))

    def record_backlog(self, records: list[CrossingRecord]) -> None:
        """Append many decisions in one transaction (benchmarks and tests that need a backlog)."""
        with self.write() as db:
            for record in records:
                self._append(db, record.model_dump(mode="json"))

    def _append(self, db: sqlite3.Connection, crossing: dict[str, Any]) -> None:
        """Add ``crossing`` to the outbox as the next link of this kiosk's tamper-evident chain
        (clearance/core/chain.py); the caller's transaction covers the record and the chain head."""
        head_seq = int(self._get_state(db, "chain_seq") or 0)
        linked = chain.link(
            crossing, head_seq=head_seq, head_hash=self._get_state(db, "chain_hash") or chain.GENESIS
        )
        db.execute(
            "INSERT INTO outbox (crossing_id, body, created_at) VALUES (?, ?, ?)",
            (linked["id"], json.dumps(linked), linked["decided_at"]),
        )
        self._set_state(db, "chain_seq", str(head_seq + 1))
        self._set_state(db, "chain_hash", chain.record_hash(linked))

    def pending(self, limit: int) -> list[dict[str, Any]]:
        rows = (
            self.read()
            .execute("SELECT body FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?", (limit,))
            .fetchall()
        )
        return [json.loads(body) for (body,) in rows]

    def mark_delivered(self, results: list[UploadResult]) -> None:
        now = datetime.now().astimezone().isoformat()
        with self.write() as db:
            db.executemany(
                "UPDATE outbox SET delivered_at = ?, status = ? WHERE crossing_id = ?",
                [(now, r.status.value, r.id) for r in results],
            )

    def check_integrity(self) -> list[str]:
        """What is wrong with this store, if anything: SQLite's own integrity check, then the
        outbox's chain (every record in order, each pointing at the hash of the one before,
        the chain head matching the last record)."""
        db = self.read()
        problems = [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
        expected_seq, prev_hash = 1, chain.GENESIS
        for (body,) in db.execute("SELECT body FROM outbox ORDER BY seq"):
            record = json.loads(body)
            if record.get("seq") != expected_seq or record.get("prev_hash") != prev_hash:
                problems.append(f"outbox record {record.get('id')} breaks the chain at {expected_seq}")
            expected_seq, prev_hash = expected_seq + 1, chain.record_hash(record)
        head = (int(self.get_state("chain_seq", "0") or 0), self.get_state("chain_hash") or chain.GENESIS)
        if head != (expected_seq - 1, prev_hash):
            problems.append(
                f"the chain head {head[0]} does not match the outbox's last record {expected_seq - 1}"
            )
        return problems

    def outbox_counts(self) -> dict[str, int]:
        (pending,) = self.read().execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        (total,) = self.read().execute("SELECT count(*) FROM outbox").fetchone()
        return {"pending": int(pending), "total": int(total)}


def as_columns(entries: list[WhitelistEntry]) -> WhitelistColumns:
    """A page's entries (as servers before 2026-12 send them) as the columns the store applies."""
    credentials = [(owner, c) for owner, e in enumerate(entries) for c in e.credentials or []]
    templates = [b"" if e.removed else base64.b64decode(e.template or "") for e in entries]
    return WhitelistColumns.model_construct(
        commuter_id=[str(e.commuter_id) for e in entries],
        version=[e.version for e in entries],
        removed=[e.removed for e in entries],
        valid_until=[e.valid_until for e in entries],
        face_only=[e.face_only for e in entries],
        model=[e.model for e in entries],
        last_side=[e.last_side for e in entries],
        last_crossed_at=[e.last_crossed_at for e in entries],
        template_bytes=[len(t) for t in templates],
        templates=b"".join(templates),
        credential_owner=[owner for owner, _ in credentials],
        credential_id=[str(c.id) for _, c in credentials],
        credential_kind=[c.kind for _, c in credentials],
        credential_revoked=[c.revoked for _, c in credentials],
        credential_expires_at=[c.expires_at for _, c in credentials],
        credential_secret=[c.secret for _, c in credentials],
    )


def _context(field: str, row_id: str) -> bytes:
    return f"kiosk.{field}:{row_id}".encode()
