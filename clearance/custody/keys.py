"""The server's keys: the credential signing key and the data encryption key.

Both live in files outside the database. In development they are made on first use in the
data directory; in production they must already be there (provisioned by the operator), and a
missing one stops the server rather than silently minting a new identity (`hetao keys init`
makes them). Both rotate while servers run: each server looks at the key files on every use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
from clearance.core import credentials, keyfiles, vault
from clearance.core.enums import AuditAction
from clearance.core.settings import Settings
from clearance.db.actors import Actor
from clearance.db.keyring import Keyring
from clearance.db.models import Credential, SigningKey

ALGORITHM = "Ed25519"


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
        action=AuditAction.ROTATE_SIGNING_KEY,
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
