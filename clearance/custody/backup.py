"""Backups: the database and the keys together, encrypted, in one file; and restoring one.

The keys and the database are useless apart (the data key opens the templates, the signing key's
public half verifies the credentials), so they are backed up together. The file is a tar stream
(``manifest.json``, ``keys/*``, one ``tables/<name>.jsonl`` per table, in foreign-key order)
encrypted in 1 MiB chunks with AES-256-GCM under a key derived from a passphrase (scrypt):

    HETAOBK1 | salt (16) | nonce prefix (8) | chunks: length (4) | ciphertext+tag

Each chunk's nonce is the prefix and its number, and the last one is marked in its associated
data, so a chunk moved, dropped or cut off fails to open. Rows are portable: a backup taken on
SQLite restores into PostgreSQL and back. Browser sessions and sign-in failures are not kept.

A restore goes into an empty database migrated to the backup's schema revision, and a data
directory with no keys yet: it never overwrites.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, func, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import keyfiles
from clearance.core.enums import AuditAction
from clearance.core.messages import words
from clearance.core.settings import Settings
from clearance.db import migrations
from clearance.db.actors import Actor
from clearance.db.base import Base

MAGIC = b"HETAOBK1"
CHUNK = 1 << 20
SKIPPED = frozenset({"web_sessions", "sign_in_failures"})
"""Not backed up: whoever was signed in signs in again after a restore."""
BATCH = 500
SEEDED = frozenset({"sync_counters", "data_key_state"})
"""Tables the migrations fill in a new database; a restore replaces their rows."""


class BackupError(ValueError):
    """A backup that cannot be made or restored; the message says why."""


def _key(passphrase: str, salt: bytes) -> bytes:
    import hashlib

    if len(passphrase) < 12:
        raise BackupError("the backup passphrase must be at least 12 characters")
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=1 << 15, r=8, p=1, maxmem=64 << 20, dklen=32)


class _Sealer(io.RawIOBase):
    """A write-only stream that encrypts what is written to ``out`` in chunks."""

    def __init__(self, out: IO[bytes], passphrase: str) -> None:
        salt, self.prefix = os.urandom(16), os.urandom(8)
        self.aead = AESGCM(_key(passphrase, salt))
        self.out, self.buffer, self.count = out, bytearray(), 0
        out.write(MAGIC + salt + self.prefix)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += bytes(data)
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), final=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.count)
        sealed = self.aead.encrypt(nonce, plain, b"final" if final else b"more")
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.count += 1

    def finish(self) -> None:
        self._seal(bytes(self.buffer), final=True)
        self.buffer.clear()


class _Opener(io.RawIOBase):
    """A read-only stream of what a ``_Sealer`` wrote, checked chunk by chunk."""

    def __init__(self, source: IO[bytes], passphrase: str) -> None:
        head = source.read(len(MAGIC) + 24)
        if len(head) != len(MAGIC) + 24 or not head.startswith(MAGIC):
            raise BackupError("not a Hetao backup file")
        salt, self.prefix = head[len(MAGIC) : len(MAGIC) + 16], head[len(MAGIC) + 16 :]
        self.aead = AESGCM(_key(passphrase, salt))
        self.source, self.pending, self.count, self.done = source, b"", 0, False

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.pending and not self.done:
            self._next()
        n = min(len(target), len(self.pending))
        target[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def _next(self) -> None:
        size = self.source.read(4)
        if len(size) != 4:
            raise BackupError("the backup file is cut short")
        length = struct.unpack(">I", size)[0]
        sealed = self.source.read(length)
        if len(sealed) != length:
            raise BackupError("the backup file is cut short")
        nonce = self.prefix + struct.pack(">I", self.count)
        self.count += 1
        for final in (False, True):
            try:
                self.pending = self.aead.decrypt(nonce, sealed, b"final" if final else b"more")
            except InvalidTag:
                continue
            self.done = final
            return
        raise BackupError("wrong passphrase, or the backup file is damaged")


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, Enum):
        return {"$e": value.name}
    return value


def _decode(value: Any, column_type: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$b":
            return base64.b64decode(raw)
        if tag == "$t":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$u":
            return uuid.UUID(raw)
        if tag == "$e" and isinstance(column_type, SqlEnum) and column_type.enum_class is not None:
            return column_type.enum_class[raw]
    return value


def _tables() -> list[Any]:
    return [table for table in Base.metadata.sorted_tables if table.name not in SKIPPED]


@dataclass(frozen=True)
class Summary:
    revision: str
    rows: dict[str, int]
    keys: list[str]


def _add(archive: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o600
    archive.addfile(info, data)


def make_backup(
    session: Session, settings: Settings, *, out: IO[bytes], passphrase: str, actor: Actor
) -> Summary:
    """Write the encrypted backup of the database ``session`` reads and of the keys folder to
    ``out``. Audited: it reads every commuter's data."""
    revision = migrations.current_revision(session.connection())
    if revision is None:
        raise BackupError("the database is not migrated: nothing to back up")
    key_files = sorted(p for p in settings.keys_dir.glob("*") if p.is_file() and not p.name.endswith(".tmp"))
    if not key_files:
        raise BackupError(f"no keys in {settings.keys_dir}: a backup without them could not be opened")
    sealer = _Sealer(out, passphrase)
    rows: dict[str, int] = {}
    with tarfile.open(fileobj=sealer, mode="w|") as archive:
        header = json.dumps({"format": 1, "revision": revision}).encode()
        _add(archive, "revision.json", io.BytesIO(header), len(header))
        for path in key_files:
            content = path.read_bytes()
            _add(archive, f"keys/{path.name}", io.BytesIO(content), len(content))
        for table in _tables():
            with tempfile.TemporaryFile() as spool:
                count = 0
                for row in session.execute(select(table)).mappings():
                    line = json.dumps(
                        {key: _encode(value) for key, value in row.items()}, separators=(",", ":")
                    )
                    spool.write(line.encode() + b"\n")
                    count += 1
                rows[table.name] = count
                size = spool.tell()
                spool.seek(0)
                _add(archive, f"tables/{table.name}.jsonl", spool, size)
        manifest = json.dumps(
            {"format": 1, "revision": revision, "rows": rows, "keys": [p.name for p in key_files]}, indent=1
        ).encode()
        _add(archive, "manifest.json", io.BytesIO(manifest), len(manifest))
    sealer.finish()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.BACKUP,
        detail=words(
            "{rows} rows of {tables} tables, {keys} key files",
            rows=sum(rows.values()),
            tables=len(rows),
            keys=len(key_files),
        ),
    )
    return Summary(revision, rows, [p.name for p in key_files])


def _members(source: IO[bytes], passphrase: str) -> Iterator[tuple[str, bytes]]:
    opener = io.BufferedReader(_Opener(source, passphrase), buffer_size=CHUNK)
    try:
        with tarfile.open(fileobj=opener, mode="r|") as archive:
            for member in archive:
                data = archive.extractfile(member)
                yield member.name, data.read() if data is not None else b""
    except tarfile.TarError as exc:
        raise BackupError(f"the backup file is damaged ({exc})") from None


def restore_backup(
    engine: Engine, settings: Settings, *, source: IO[bytes], passphrase: str, actor: Actor
) -> Summary:
    """Restore a backup into the empty, migrated database of ``engine`` and the keys folder of
    ``settings`` (which must hold no keys yet); all of it or nothing of the database."""
    with engine.connect() as connection:
        revision = migrations.current_revision(connection)
    if revision is None:
        raise BackupError("the database is not migrated: run `hetao db upgrade` first")
    existing = (
        [p.name for p in settings.keys_dir.glob("*") if p.is_file()] if settings.keys_dir.exists() else []
    )
    if existing:
        raise BackupError(
            f"{settings.keys_dir} already holds keys ({', '.join(existing)}): restore into a new one"
        )
    tables = {table.name: table for table in _tables()}
    keys: dict[str, bytes] = {}
    rows: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        holding = [
            name for name, table in tables.items() if session.scalar(select(func.count()).select_from(table))
        ]
        filled = sorted(set(holding) - SEEDED)
        if filled:
            raise BackupError(f"the database is not empty ({', '.join(filled)}): restore into a new one")
        for name in holding:  # what the migrations seeded is replaced by what the backup holds
            session.execute(tables[name].delete())
        for name, data in _members(source, passphrase):
            if name.startswith("keys/"):
                keys[name.removeprefix("keys/")] = data
            elif name.startswith("tables/"):
                table = tables.get(name.removeprefix("tables/").removesuffix(".jsonl"))
                if table is None:
                    raise BackupError(f"the backup holds a table this version does not know: {name}")
                batch: list[dict[str, Any]] = []
                count = 0
                for line in data.splitlines():
                    raw = json.loads(line)
                    batch.append({key: _decode(value, table.c[key].type) for key, value in raw.items()})
                    if len(batch) == BATCH:
                        session.execute(table.insert(), batch)
                        count, batch = count + len(batch), []
                if batch:
                    session.execute(table.insert(), batch)
                    count += len(batch)
                rows[table.name] = count
            elif name == "revision.json":
                made_at = json.loads(data).get("revision")
                if made_at != revision:
                    raise BackupError(
                        f"the backup is of schema revision {made_at}, the database is at {revision}: "
                        "restore it with the version of Hetao that made it, then upgrade"
                    )
            elif name == "manifest.json":
                manifest = json.loads(data)
                if manifest.get("rows") != rows:
                    raise BackupError("the backup's tables do not match its manifest: the file is damaged")
        if not keys or not rows:
            raise BackupError("the backup holds no keys or no tables: the file is damaged")
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.RESTORE,
            detail=words("{rows} rows, {keys} key files", rows=sum(rows.values()), keys=len(keys)),
        )
        for name, content in keys.items():
            keyfiles.write_private_file(settings.keys_dir / Path(name).name, content)
    return Summary(revision, rows, sorted(keys))
