"""The server's keys: the credential signing key and the data encryption key.

Both live in files outside the database. In development they are made on first use in the
data directory; in production they must already be there (provisioned by the operator), and a
missing one stops the server rather than silently minting a new identity (`hetao keys init`
makes them). Both rotate while servers run: each server looks at the key files on every use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.audit.service import Actor
from clearance.core import credentials, keyfiles, vault
from clearance.core.settings import Environment, Settings
from clearance.db.engine import dialect_insert
from clearance.db.models import Credential, DataKeyState, SigningKey

ALGORITHM = "Ed25519"


RETIRED_DATA_KEYS = "data-retired-*.key"
K = TypeVar("K")


class WatchedKeyFile(Generic[K]):
    """A key read from ``path`` by ``load``, looked at again on every use (one stat: a rotation
    replaces the file, so its inode changes) and read again when it changed, so a running server
    takes up a rotated key without a restart."""

    def __init__(self, path: Path, load: Callable[[], K]) -> None:
        self._path = path
        self._load = load
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._key = self._read()

    def _file_stamp(self) -> tuple[int, int, int]:
        found = self._path.stat()
        return found.st_ino, found.st_mtime_ns, found.st_size

    def _read(self) -> K:
        key = self._load()
        self._stamp = self._file_stamp()
        return key

    @property
    def current(self) -> K:
        if self._file_stamp() != self._stamp:
            with self._lock:
                self._key = self._read()
        return self._key


class DataKeyFiles(WatchedKeyFile[vault.DataKey]):
    """The data keys in the keys folder: ``data.key`` is the newest, ``data-retired-*.key`` (left
    by ``hetao keys rotate``) still open what they sealed; all read again when ``data.key``
    changes."""

    def __init__(self, settings: Settings, *, create: bool) -> None:
        def load() -> vault.DataKey:
            current = keyfiles.load_or_create_data_key(settings.data_key_file, create=create)
            folder = settings.keys_dir
            retired = tuple(keyfiles.read_key_file(path) for path in sorted(folder.glob(RETIRED_DATA_KEYS)))
            return vault.DataKey(current.key, retired)

        super().__init__(settings.data_key_file, load)


class SigningKeyFile(WatchedKeyFile[Ed25519PrivateKey]):
    """The credential signing key in ``signing-ed25519.pem``: a running server signs with the new
    key as soon as ``hetao keys rotate-signing`` has replaced the file."""

    def __init__(self, settings: Settings, *, create: bool) -> None:
        path = settings.signing_key_file
        super().__init__(path, lambda: keyfiles.load_or_create_signing_key(path, create=create))


@dataclass(frozen=True)
class Keyring:
    signing: SigningKeyFile | Ed25519PrivateKey
    data_keys: DataKeyFiles | vault.DataKey
    index_key: bytes
    """Keys the blind index of document numbers (HMAC-SHA256), so they can be found by equality
    without being stored in clear. Not rotated with the data key."""

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The key new credentials are signed with."""
        signing = self.signing
        return signing if isinstance(signing, Ed25519PrivateKey) else signing.current

    @property
    def kid(self) -> str:
        return credentials.key_id(self.signing_key.public_key())

    @property
    def data_key(self) -> vault.DataKey:
        """Every data key this installation holds, the newest first: for opening."""
        keys = self.data_keys
        return keys if isinstance(keys, vault.DataKey) else keys.current

    def sealing_key(self, session: Session) -> vault.DataKey:
        """The data key to seal with in ``session``'s unit of work: the one the database names.

        A rotation first writes the new key file, then names the new key in the database, then
        re-seals everything not sealed with it. Reading the name here (FOR SHARE on PostgreSQL)
        holds the renaming off until this unit of work has committed, and no unit of work can
        read the old name once the renaming has committed: so whatever is sealed with the old
        key is committed before the re-sealing starts, and the re-sealing finds it. Safe under
        any timing. On SQLite every unit of work holds the write lock from its start (BEGIN
        IMMEDIATE), so the renaming waits for it in the same way."""
        query = select(DataKeyState.key_id).where(DataKeyState.name == DATA_KEY)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(read=True)
        named = session.scalar(query)
        keys = self.data_key
        if named is None:
            # A fresh installation: the key in the folder is the one (named once, however many
            # first units of work do this at the same moment).
            session.execute(
                dialect_insert(session)(DataKeyState)
                .values(name=DATA_KEY, key_id=keys.key_id)
                .on_conflict_do_nothing(index_elements=[DataKeyState.name])
            )
            named = session.scalar(query)
            assert named is not None
        key = keys.key_for(named)
        if key is None:
            raise RuntimeError(
                f"the database names data key {named.hex()} for sealing, but the keys folder does not hold it"
            )
        return vault.DataKey(key, keys.retired if key == keys.key else (keys.key, *keys.retired))


DATA_KEY = "data"


def name_sealing_key(session: Session, *, key_id: bytes) -> None:
    """Name the data key every server seals with from this unit of work's commit on."""
    state = session.get(DataKeyState, DATA_KEY, with_for_update=True)
    if state is None:
        session.add(DataKeyState(name=DATA_KEY, key_id=key_id))
    else:
        state.key_id = key_id
    session.flush()


def key_files(settings: Settings) -> list[Path]:
    """The server's key files: the credential signing key, the data key, the document index key."""
    return [settings.signing_key_file, settings.data_key_file, settings.index_key_file]


def init_keys(settings: Settings) -> list[Path]:
    """Make every key the server needs, readable by their owner only; refuses (FileExistsError)
    when any of them exists, so a key that sealed or signed something is never replaced."""
    existing = [path for path in key_files(settings) if path.exists()]
    if existing:
        raise FileExistsError(
            f"keys already exist ({', '.join(str(p) for p in existing)}): nothing was written. "
            "Replacing one would orphan what it signed or sealed; `hetao keys rotate` changes the data key"
        )
    keyfiles.load_or_create_signing_key(settings.signing_key_file, create=True)
    keyfiles.load_or_create_data_key(settings.data_key_file, create=True)
    keyfiles.load_or_create_data_key(settings.index_key_file, create=True)
    return key_files(settings)


def load_keyring(settings: Settings) -> Keyring:
    create = settings.environment is Environment.DEVELOPMENT
    return Keyring(
        signing=SigningKeyFile(settings, create=create),
        data_keys=DataKeyFiles(settings, create=create),
        index_key=keyfiles.load_or_create_data_key(settings.index_key_file, create=create).key,
    )


def rotate_data_key(settings: Settings) -> tuple[bytes, bytes]:
    """Make a new data key the one that seals; the old one stays as a retired key so what it
    sealed still opens. Returns the old and new key ids."""
    old = keyfiles.read_key_file(settings.data_key_file)
    old_id = vault.key_id_of(old)
    retired = settings.keys_dir / f"data-retired-{old_id.hex()}.key"
    keyfiles.write_private_file(retired, old.hex().encode())
    keyfiles.write_private_file(settings.data_key_file, keyfiles.new_key_text())
    return old_id, vault.key_id_of(keyfiles.read_key_file(settings.data_key_file))


RETIRED_SIGNING_KEYS = "signing-retired-*.pem"


def rotate_signing_key(
    session: Session, settings: Settings, *, actor: Actor, now: datetime
) -> tuple[str, str]:
    """Make a new credential signing key the one that signs, for every server at once (they look
    at the file on each use). The old key signs nothing more but keeps verifying what it signed
    (its public half stays published, so kiosks keep it); its private half is kept beside as
    ``signing-retired-<kid>.pem``. The new public key is published in the same unit of work, so
    kiosks learn it at their next sync. Returns the old and new key ids."""
    old = keyfiles.load_or_create_signing_key(settings.signing_key_file, create=False)
    old_kid = credentials.key_id(old.public_key())
    if session.get(SigningKey, old_kid) is None:  # it never signed anything: published now for the record
        public = old.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        session.add(SigningKey(kid=old_kid, algorithm=ALGORITHM, public_key=public))
    new = Ed25519PrivateKey.generate()
    new_kid = credentials.key_id(new.public_key())
    session.add(
        SigningKey(
            kid=new_kid,
            algorithm=ALGORITHM,
            public_key=new.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )
    )
    retiring = session.get(SigningKey, old_kid)
    assert retiring is not None
    retiring.retired_at = now
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action="rotate_signing_key",
        object_type="signing_key",
        object_id=new_kid,
        detail=f"{old_kid} -> {new_kid}",
    )
    keyfiles.write_private_file(
        settings.keys_dir / f"signing-retired-{old_kid}.pem", settings.signing_key_file.read_bytes()
    )
    keyfiles.write_private_file(
        settings.signing_key_file, new.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    return old_kid, new_kid


@dataclass(frozen=True)
class SigningKeyUse:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    current: bool
    live_credentials: int
    """Credentials it signed that are neither revoked nor expired."""


def signing_key_use(session: Session, keyring: Keyring, *, now: datetime) -> list[SigningKeyUse]:
    """Every published signing key, oldest first, with how many live credentials it still covers."""
    live = dict(
        session.execute(
            select(Credential.kid, func.count())
            .where(Credential.revoked_at.is_(None), Credential.expires_at > now)
            .group_by(Credential.kid)
        ).all()
    )
    rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid))
    return [
        SigningKeyUse(
            row.kid, row.created_at, row.retired_at, row.kid == keyring.kid, int(live.get(row.kid, 0))
        )
        for row in rows
    ]


def register_signing_key(session: Session, keyring: Keyring) -> SigningKey:
    """Make sure the public half of the signing key is published for kiosks to verify with."""
    row = session.get(SigningKey, keyring.kid)
    if row is None:
        public = keyring.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        row = SigningKey(kid=keyring.kid, algorithm=ALGORITHM, public_key=public)
        session.add(row)
        session.flush()
    return row


def load_public_key_bytes(session: Session) -> dict[str, bytes]:
    """Every published raw public key by id. Retired keys stop signing but still verify what
    they signed."""
    rows = session.execute(
        select(SigningKey.kid, SigningKey.public_key).where(SigningKey.algorithm == ALGORITHM)
    )
    return {row.kid: row.public_key for row in rows}


def load_public_keys(session: Session) -> dict[str, Ed25519PublicKey]:
    return {kid: credentials.public_key_from_raw(raw) for kid, raw in load_public_key_bytes(session).items()}
