"""Passwords, access tokens and kiosk keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clearance.core.enums import Role

_hasher = PasswordHasher()
TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name)
KIOSK_KEY_PREFIX = "hk_"
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_access_token(
    *, user_id: uuid.UUID, role: Role, secret: str, now: datetime, lifetime: timedelta
) -> str:
    claims = {"sub": str(user_id), "role": role.value, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def read_access_token(token: str, *, secret: str) -> uuid.UUID | None:
    """The user id in a valid, unexpired token, else None."""
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub"]})
        return uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def generate_kiosk_key() -> str:
    return KIOSK_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_kiosk_key(key: str) -> str:
    # A kiosk key is 256 random bits, so a fast hash is enough to make a stolen database useless.
    return hashlib.sha256(key.encode()).hexdigest()


def is_kiosk_key(token: str) -> bool:
    return token.startswith(KIOSK_KEY_PREFIX)
