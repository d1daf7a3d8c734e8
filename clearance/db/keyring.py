"""The server's keys, held in memory: the credential signing key, the data keys (the newest seals,
every one opens) and the document index key, each read again when its file changes, and which
data key the database names for sealing (``Keyring.sealing_key``). Making, rotating and listing
keys is ``clearance.custody.keys``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.core import credentials, keyfiles, vault
from clearance.core.settings import Environment, Settings
from clearance.db.engine import dialect_insert
from clearance.db.models import DataKeyState

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


def load_keyring(settings: Settings) -> Keyring:
    create = settings.environment is Environment.DEVELOPMENT
    return Keyring(
        signing=SigningKeyFile(settings, create=create),
        data_keys=DataKeyFiles(settings, create=create),
        index_key=keyfiles.load_or_create_data_key(settings.index_key_file, create=create).key,
    )
