"""Credential payloads: compact, signed with Ed25519, verifiable offline with the public keys.

The QR text is ``HC1:`` followed by base45 (RFC 9285, the QR alphanumeric alphabet, as in the
EU digital COVID certificate) of::

    version (1) | kind (1) | key id (8) | credential id (16) | commuter id (16)
    | expires, unix seconds (4) | Ed25519 signature (64) over everything before it

110 bytes give 169 characters: QR version 7 (45x45 modules) at error correction M, readable at
arm's length from a phone screen or a printed card.
The key id is the first 8 bytes of SHA-256 of the raw public key, so keys can rotate: a kiosk
holds every public key that still signs live credentials.

Everything here is pure: no database, no clock (``now`` is passed in).
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clearance.models import CredentialKind

PREFIX = "HC1:"
VERSION = 1
_BODY = struct.Struct(">BB8s16s16sI")
SIGNATURE_BYTES = 64
PAYLOAD_BYTES = _BODY.size + SIGNATURE_BYTES
MAX_TEXT_CHARS = 512
_KINDS = {CredentialKind.STATIC: 0, CredentialKind.DYNAMIC: 1}
_KINDS_BY_CODE = {code: kind for kind, code in _KINDS.items()}
_DOMAIN = b"hetao-credential-v1"

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_INDEX = {c: i for i, c in enumerate(BASE45_ALPHABET)}


class CredentialCheck(StrEnum):
    """The outcome of checking a QR text; the values are the clearance reasons."""

    VALID = "valid"
    MALFORMED = "malformed_qr"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Claims:
    kind: CredentialKind
    kid: str
    credential_id: uuid.UUID
    commuter_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class Verification:
    check: CredentialCheck
    claims: Claims | None
    """Present once the payload parsed, even if its signature or expiry failed."""


class MalformedPayload(ValueError):
    pass


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def base45_encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out.append(BASE45_ALPHABET[c] + BASE45_ALPHABET[d] + BASE45_ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(BASE45_ALPHABET[c] + BASE45_ALPHABET[d])
    return "".join(out)


def base45_decode(text: str) -> bytes:
    try:
        values = [_BASE45_INDEX[c] for c in text]
    except KeyError as exc:
        raise MalformedPayload(f"character {exc.args[0]!r} is not base45") from None
    if len(values) % 3 == 1:
        raise MalformedPayload("base45 text has a dangling character")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise MalformedPayload("base45 group out of range")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise MalformedPayload("base45 group out of range")
            out.append(n)
    return bytes(out)


def sign_credential(
    private_key: Ed25519PrivateKey,
    *,
    kind: CredentialKind,
    credential_id: uuid.UUID,
    commuter_id: uuid.UUID,
    expires_at: datetime,
) -> str:
    """The QR text of a credential signed with ``private_key``."""
    kid = bytes.fromhex(key_id(private_key.public_key()))
    body = _BODY.pack(
        VERSION,
        _KINDS[kind],
        kid,
        credential_id.bytes,
        commuter_id.bytes,
        int(expires_at.timestamp()),
    )
    signature = private_key.sign(_DOMAIN + body)
    return PREFIX + base45_encode(body + signature)


def parse_payload(text: str) -> tuple[Claims, bytes, bytes]:
    """Split a QR text into claims, signed bytes and signature; raises MalformedPayload."""
    if len(text) > MAX_TEXT_CHARS or not text.startswith(PREFIX):
        raise MalformedPayload("not a Hetao credential (wrong prefix or too long)")
    raw = base45_decode(text[len(PREFIX) :])
    if len(raw) != PAYLOAD_BYTES:
        raise MalformedPayload(f"credential is {len(raw)} bytes, expected {PAYLOAD_BYTES}")
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    version, kind_code, kid, credential_id, commuter_id, expires = _BODY.unpack(body)
    if version != VERSION or kind_code not in _KINDS_BY_CODE:
        raise MalformedPayload(f"unknown credential version {version} or kind {kind_code}")
    claims = Claims(
        kind=_KINDS_BY_CODE[kind_code],
        kid=kid.hex(),
        credential_id=uuid.UUID(bytes=credential_id),
        commuter_id=uuid.UUID(bytes=commuter_id),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
    return claims, body, signature


def verify_credential(
    text: str, *, public_keys: Mapping[str, Ed25519PublicKey], now: datetime
) -> Verification:
    """Check a QR text's form, signature and expiry against ``public_keys`` (by key id)."""
    try:
        claims, body, signature = parse_payload(text)
    except MalformedPayload:
        return Verification(CredentialCheck.MALFORMED, None)
    public_key = public_keys.get(claims.kid)
    if public_key is None:
        return Verification(CredentialCheck.UNKNOWN_KEY, claims)
    try:
        public_key.verify(signature, _DOMAIN + body)
    except InvalidSignature:
        return Verification(CredentialCheck.BAD_SIGNATURE, claims)
    if now >= claims.expires_at:
        return Verification(CredentialCheck.EXPIRED, claims)
    return Verification(CredentialCheck.VALID, claims)
