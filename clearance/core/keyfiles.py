"""Key files on disk: written readable by their owner only, read back, made on first use where
that is allowed (development, a kiosk's own keys), never silently in production."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from clearance.core.vault import DataKey


class MissingKeyFile(FileNotFoundError):
    """A key file that must exist does not: in production keys are made by `hetao keys init`."""

    def __init__(self, what: str, path: Path) -> None:
        super().__init__(
            f"{what} not found at {path}: make the server's keys once with `hetao keys init` "
            "(or restore them from the backup taken with the database)"
        )
        self.path = path


def write_private_file(path: Path, content: bytes) -> None:
    """Write a key file readable only by its owner, creating its folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.touch(mode=0o600)
    tmp.chmod(0o600)
    tmp.write_bytes(content)
    tmp.replace(path)


def load_or_create_data_key(path: Path, *, create: bool) -> DataKey:
    """Read the 32-byte data key from ``path``; make one there first if ``create``."""
    if not path.exists():
        if not create:
            raise MissingKeyFile("data encryption key", path)
        write_private_file(path, new_key_text())
    return DataKey(read_key_file(path))


def new_key_text() -> bytes:
    return secrets.token_bytes(32).hex().encode()


def read_key_file(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != 32:
        raise ValueError(f"data encryption key at {path} is not 32 bytes of hex")
    return key


def load_or_create_signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at ``path``; made there first if ``create``."""
    if not path.exists():
        if not create:
            raise MissingKeyFile("credential signing key", path)
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        write_private_file(path, pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key
