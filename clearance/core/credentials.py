"""Credential payloads: compact, signed with Ed25519, verifiable offline with the public keys.

The QR text is ``HC1:`` followed by base45 (RFC 9285, the QR alphanumeric alphabet, as in the
EU digital COVID certificate) of::

    version (1) | kind (1) | key id (8) | credential id (16) | commuter id (16)
    | expires, unix seconds (4) | Ed25519 signature (64) over everything before it

110 bytes give 169 characters: QR version 7 (45x45 modules) at error correction M, readable at
arm's length from a phone screen or a printed card.
The key id is the first 8 bytes of SHA-256 of the raw public key, so keys can rotate: a kiosk
holds every public key that still signs live credentials.

A *dynamic* credential (shown on a phone) is the same signed payload with kind = dynamic, shown
as ``HD1:`` + base45 of ``payload (110) | time step (4) | code (8)``. The time step is
``floor(unix time / 30)``; the code is the first 8 bytes of HMAC-SHA256 under a 32-byte secret that
belongs to this credential alone (given to the holder's phone once, at issue, and to kiosks through
the whitelist). Why this shape:

- The signature still proves the server issued the credential, offline, with public keys only.
- The code proves the holder has the secret *now*: a screenshot stops working after its window
  (the current step, one before and one after for clock skew: at most 90 s).
- Binding the code to the credential id means a secret cannot serve another credential, and
  the signed kind byte means a dynamic credential's payload cannot be shown without its code.
- A code accepted once is not accepted again: a kiosk (and the server, online) keeps the newest
  step it cleared per credential, and refuses a code at or before it (``replayed``). That state is
  per kiosk when offline: a code replayed at a *different* kiosk within its window is caught only
  when the server is reachable, which is why the window is short.

Everything here is pure: no database, no clock (``now`` is passed in).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clearance.core.enums import CredentialKind
from clearance.core.reasons import Reason

PREFIX = "HC1:"
DYNAMIC_PREFIX = "HD1:"
VERSION = 1
STEP_SECONDS = 30
CODE_BYTES = 8
_STEP = struct.Struct(">I")
SECRET_BYTES = 32
_BODY = struct.Struct(">BB8s16s16sI")
SIGNATURE_BYTES = 64
PAYLOAD_BYTES = _BODY.size + SIGNATURE_BYTES
MAX_TEXT_CHARS = 512
_KINDS = {CredentialKind.STATIC: 0, CredentialKind.DYNAMIC: 1}
_KINDS_BY_CODE = {code: kind for kind, code in _KINDS.items()}
_DOMAIN = b"hetao-credential-v1"

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_INDEX = {c: i for i, c in enumerate(BASE45_ALPHABET)}


@dataclass(frozen=True)
class Claims:
    kind: CredentialKind
    kid: str
    credential_id: uuid.UUID
    commuter_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class DynamicCode:
    step: int
    code: bytes


@dataclass(frozen=True)
class Presented:
    """A QR text split into its parts; nothing verified yet."""

    claims: Claims
    body: bytes
    signature: bytes
    dynamic: DynamicCode | None


@dataclass(frozen=True)
class Verification:
    problem: Reason | None
    """None: the QR text is a well-formed credential, signed by a key we hold and not expired."""
    claims: Claims | None
    """Present once the payload parsed, even if its signature or expiry failed."""
    dynamic: DynamicCode | None = None


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


def parse_payload(text: str) -> Presented:
    """Split a QR text (static or dynamic) into its parts; raises MalformedPayload."""
    if len(text) > MAX_TEXT_CHARS or not text.startswith((PREFIX, DYNAMIC_PREFIX)):
        raise MalformedPayload("not a Hetao credential (wrong prefix or too long)")
    raw = base45_decode(text[len(PREFIX) :])
    dynamic = None
    if text.startswith(DYNAMIC_PREFIX):
        if len(raw) != PAYLOAD_BYTES + _STEP.size + CODE_BYTES:
            raise MalformedPayload(f"dynamic credential is {len(raw)} bytes")
        (step,) = _STEP.unpack(raw[PAYLOAD_BYTES : PAYLOAD_BYTES + _STEP.size])
        dynamic = DynamicCode(step, raw[PAYLOAD_BYTES + _STEP.size :])
        raw = raw[:PAYLOAD_BYTES]
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
    if dynamic is not None and claims.kind is not CredentialKind.DYNAMIC:
        raise MalformedPayload("a time-based code on a static credential")
    return Presented(claims, body, signature, dynamic)


def verify_credential(
    text: str, *, public_keys: Mapping[str, Ed25519PublicKey], now: datetime
) -> Verification:
    """Check a QR text's form, signature and expiry against ``public_keys`` (by key id).

    A dynamic credential's code is not checked here (that needs its secret): see
    ``check_dynamic_code``. One shown without a code is ``code_missing``.
    """
    try:
        presented = parse_payload(text)
    except MalformedPayload:
        return Verification(Reason.MALFORMED_QR, None)
    claims = presented.claims
    public_key = public_keys.get(claims.kid)
    if public_key is None:
        return Verification(Reason.UNKNOWN_KEY, claims)
    try:
        public_key.verify(presented.signature, _DOMAIN + presented.body)
    except InvalidSignature:
        return Verification(Reason.BAD_SIGNATURE, claims)
    if now >= claims.expires_at:
        return Verification(Reason.EXPIRED, claims)
    if claims.kind is CredentialKind.DYNAMIC and presented.dynamic is None:
        return Verification(Reason.CODE_MISSING, claims)
    return Verification(None, claims, presented.dynamic)


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def dynamic_code(secret: bytes, *, credential_id: uuid.UUID, step: int) -> bytes:
    message = _DOMAIN + b"/dynamic" + credential_id.bytes + _STEP.pack(step)
    return hmac.new(secret, message, hashlib.sha256).digest()[:CODE_BYTES]


def dynamic_qr_text(payload: str, *, secret: bytes, now: datetime) -> str:
    """What the holder's phone shows at ``now``: the signed payload and the current code."""
    presented = parse_payload(payload)
    step = time_step(now)
    code = dynamic_code(secret, credential_id=presented.claims.credential_id, step=step)
    raw = presented.body + presented.signature + _STEP.pack(step) + code
    return DYNAMIC_PREFIX + base45_encode(raw)


def check_dynamic_code(verification: Verification, *, secret: bytes, now: datetime) -> Reason | None:
    """Check the time-based code of a verified dynamic credential: it must be made with the
    credential's ``secret`` for a step within one of now's. None if it is."""
    assert verification.claims is not None and verification.dynamic is not None
    shown = verification.dynamic
    if abs(shown.step - time_step(now)) > 1:
        return Reason.CODE_EXPIRED
    expected = dynamic_code(secret, credential_id=verification.claims.credential_id, step=shown.step)
    if not hmac.compare_digest(expected, shown.code):
        return Reason.BAD_CODE
    return None
