"""Passwords, access tokens and kiosk keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from clearance.core.enums import Role
from clearance.core.messages import Message

_hasher = PasswordHasher()
TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name)
KIOSK_KEY_PREFIX = "hk_"
# Verifying against this keeps the time of a login for an unknown user close to a real one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_session_token(token: str) -> str:
    """What the database keeps of a browser's session token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3
"""zxcvbn's score, 0-4: 3 is "safely unguessable" for an online attack with throttling."""


def password_problem(password: str, *, username: str) -> Message | None:
    """Why ``password`` may not guard an account, or None: at least 10 characters, and not
    guessable (zxcvbn, which knows common passwords, words, dates, keyboard patterns, and the
    username)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message("a password must be at least {least} characters long", least=MIN_PASSWORD_LENGTH)
    estimate = zxcvbn(password[:100], user_inputs=[username])
    if estimate["score"] < MIN_PASSWORD_SCORE:
        # zxcvbn's hint is English: the translations leave it out.
        warning = estimate["feedback"]["warning"]
        why = f" ({warning.rstrip('.').lower()})" if warning else ""
        return Message("this password is too easy to guess{why}: use a longer, less common one", why=why)
    return None


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def new_device_token(*, username: str, secret: str) -> str:
    """A token proving a client signed in as ``username`` (kept by the browser as a cookie)."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_device_mac(nonce, username=username, secret=secret)}"


def device_of(token: str, *, username: str, secret: str) -> str | None:
    """The device id a valid token for ``username`` names (a hash of its nonce), else None."""
    nonce, _, mac = token.partition(".")
    if not nonce or not hmac.compare_digest(mac, _device_mac(nonce, username=username, secret=secret)):
        return None
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


def _device_mac(nonce: str, *, username: str, secret: str) -> str:
    message = f"hetao-device:{username}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def create_access_token(
    *, user_id: uuid.UUID, role: Role, version: int, secret: str, now: datetime, lifetime: timedelta
) -> str:
    """A signed bearer token for ``user_id``, valid for ``lifetime`` and while the user's
    ``sessions_version`` is still ``version``."""
    claims = {"sub": str(user_id), "role": role.value, "ver": version, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


@dataclass(frozen=True)
class AccessToken:
    user_id: uuid.UUID
    version: int
    """The user's ``sessions_version`` when it was issued."""


def read_access_token(token: str, *, secret: str) -> AccessToken | None:
    """What a valid, unexpired token says, else None."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["exp", "sub", "ver"]}
        )
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        return AccessToken(uuid.UUID(claims["sub"]), version)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def generate_kiosk_key() -> str:
    return KIOSK_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_kiosk_key(key: str) -> str:
    # A kiosk key is 256 random bits, so a fast hash is enough to make a stolen database useless.
    return hashlib.sha256(key.encode()).hexdigest()


def is_kiosk_key(token: str) -> bool:
    return token.startswith(KIOSK_KEY_PREFIX)
