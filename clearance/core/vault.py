"""Sealing personal data at rest with AES-256-GCM.

A sealed blob is ``version (1) | key id (4) | nonce (12) | ciphertext+tag``. The key id lets a
later key rotation find what was sealed with which key; the associated data binds a blob to the
row and field it belongs to, so a template copied onto another commuter does not open.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed blob is damaged, was sealed with another key or belongs to another record."""


@functools.lru_cache(maxsize=64)
def key_id_of(key: bytes) -> bytes:
    return hashlib.sha256(b"hetao-data-key" + key).digest()[:4]


@functools.lru_cache(maxsize=64)
def _cipher(key: bytes) -> AESGCM:
    """One cipher object per key: a 100,000-commuter whitelist seals and opens a blob per row, and
    setting up the key each time cost as much as the encryption."""
    return AESGCM(key)


@dataclass(frozen=True)
class DataKey:
    key: bytes
    """The key new blobs are sealed with."""
    retired: tuple[bytes, ...] = ()
    """Earlier keys, kept after a rotation to open what they sealed until it is all re-sealed."""

    @property
    def key_id(self) -> bytes:
        return key_id_of(self.key)

    def key_for(self, key_id: bytes) -> bytes | None:
        """Whichever of our keys has ``key_id``, if any."""
        return next((key for key in (self.key, *self.retired) if key_id_of(key) == key_id), None)


def sealed_with(blob: bytes) -> bytes:
    """The id of the key a blob was sealed with."""
    return blob[1:5]


def seal(data_key: DataKey, plaintext: bytes, *, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _cipher(data_key.key).encrypt(nonce, plaintext, context)
    return bytes([VERSION]) + data_key.key_id + nonce + ciphertext


def unseal(data_key: DataKey, blob: bytes, *, context: bytes) -> bytes:
    if len(blob) < 1 + 4 + NONCE_BYTES + 16 or blob[0] != VERSION:
        raise SealError("not a sealed blob of a known version")
    key = data_key.key_for(sealed_with(blob))
    if key is None:
        raise SealError("sealed with a data key this installation does not have")
    nonce = blob[5 : 5 + NONCE_BYTES]
    try:
        return _cipher(key).decrypt(nonce, blob[5 + NONCE_BYTES :], context)
    except InvalidTag as exc:
        raise SealError("sealed blob failed authentication") from exc


def seal_many(data_key: DataKey, plaintexts: Sequence[bytes], *, contexts: Sequence[bytes]) -> list[bytes]:
    """``seal`` for each plaintext with its context: a kiosk seals a whitelist page of thousands
    of templates at once, and a call per blob cost more than the encryption."""
    encrypt = _cipher(data_key.key).encrypt
    nonces = os.urandom(NONCE_BYTES * len(plaintexts))
    head = bytes([VERSION]) + data_key.key_id
    return [
        head + nonce + encrypt(nonce, plaintext, context)
        for nonce, plaintext, context in zip(
            (nonces[i : i + NONCE_BYTES] for i in range(0, len(nonces), NONCE_BYTES)),
            plaintexts,
            contexts,
            strict=True,
        )
    ]


def unseal_many(data_key: DataKey, blobs: Sequence[bytes], *, contexts: Sequence[bytes]) -> list[bytes]:
    """``unseal`` for each blob with its context (a server reads a whitelist page at once)."""
    opened = []
    decrypt = _cipher(data_key.key).decrypt
    current = data_key.key_id
    start = 1 + 4 + NONCE_BYTES
    for blob, context in zip(blobs, contexts, strict=True):
        if blob[1:5] != current or blob[0] != VERSION or len(blob) < start + 16:
            opened.append(unseal(data_key, blob, context=context))  # a retired key's, or damaged
            continue
        try:
            opened.append(decrypt(blob[5:start], blob[start:], context))
        except InvalidTag as exc:
            raise SealError("sealed blob failed authentication") from exc
    return opened


# What each sealed field is bound to (the AEAD's associated data): a sealed value copied to another
# row, or another column, does not open.


def template_context(commuter_id: uuid.UUID | str, field: str) -> bytes:
    """A face template's ``field`` ("encoding" or "photo") of ``commuter_id`` (the id or its text)."""
    return f"face_templates.{field}:{commuter_id}".encode()


def document_context(commuter_id: uuid.UUID) -> bytes:
    """A commuter's document number."""
    return f"commuters.document_number:{commuter_id}".encode()


def secret_context(credential_id: uuid.UUID | str) -> bytes:
    """A dynamic credential's code key."""
    return f"credentials.secret:{credential_id}".encode()


def proof_key_context(credential_id: uuid.UUID) -> bytes:
    """A phone pass's proof key."""
    return f"credentials.proof_key:{credential_id}".encode()
