"""Sealing personal data at rest with AES-256-GCM.

A sealed blob is ``version (1) | key id (4) | nonce (12) | ciphertext+tag``. The key id lets a
later key rotation find what was sealed with which key; the associated data binds a blob to the
row and field it belongs to, so a template copied onto another commuter does not open.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clearance.settings import write_private_file

VERSION = 1
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed blob is damaged, was sealed with another key or belongs to another record."""


@dataclass(frozen=True)
class DataKey:
    key: bytes

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(b"hetao-data-key" + self.key).digest()[:4]


def load_or_create_data_key(path: Path, *, create: bool) -> DataKey:
    """Read the 32-byte data key from ``path``; make one there first if ``create``."""
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"data encryption key not found at {path}")
        write_private_file(path, secrets.token_bytes(32).hex().encode())
    key = bytes.fromhex(path.read_text().strip())
    if len(key) != 32:
        raise ValueError(f"data encryption key at {path} is not 32 bytes of hex")
    return DataKey(key)


def seal(data_key: DataKey, plaintext: bytes, *, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key.key).encrypt(nonce, plaintext, context)
    return bytes([VERSION]) + data_key.key_id + nonce + ciphertext


def unseal(data_key: DataKey, blob: bytes, *, context: bytes) -> bytes:
    if len(blob) < 1 + 4 + NONCE_BYTES + 16 or blob[0] != VERSION:
        raise SealError("not a sealed blob of a known version")
    if blob[1:5] != data_key.key_id:
        raise SealError("sealed with a different data key")
    nonce = blob[5 : 5 + NONCE_BYTES]
    try:
        return AESGCM(data_key.key).decrypt(nonce, blob[5 + NONCE_BYTES :], context)
    except InvalidTag as exc:
        raise SealError("sealed blob failed authentication") from exc
