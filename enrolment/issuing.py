"""Issuing and revoking commuters' credentials."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance import credentials, keys, vault, whitelist
from clearance.errors import InvalidTransition, NotFound
from clearance.models import Commuter, CommuterStatus, Credential, CredentialKind, User
from clearance.zone import end_of_day
from enrolment.commuters import check_staff_access


@dataclass(frozen=True)
class Issued:
    credential: Credential
    secret: bytes | None
    """A dynamic credential's code key, for the holder's phone; returned once, never again."""


def issue_credential(
    session: Session,
    *,
    commuter: Commuter,
    kind: CredentialKind,
    issued_by: User,
    keyring: keys.Keyring,
    lifetime: timedelta,
    now: datetime,
) -> Issued:
    """A signed credential for an active commuter, valid until the earlier of ``now + lifetime``
    and the end of the commuter's registration."""
    if commuter.status is not CommuterStatus.ACTIVE:
        raise InvalidTransition(
            f"credentials are issued to active commuters; this one is {commuter.status.value}",
            status=commuter.status.value,
        )
    expires_at = min(now + lifetime, end_of_day(commuter.valid_until))
    if expires_at <= now:
        raise InvalidTransition("this commuter's registration has ended")
    keys.register_signing_key(session, keyring)
    credential_id = uuid.uuid4()
    payload = credentials.sign_credential(
        keyring.signing_key,
        kind=kind,
        credential_id=credential_id,
        commuter_id=commuter.id,
        expires_at=expires_at,
    )
    # The payload carries whole seconds; store the same instant it states.
    expires_at = expires_at.replace(microsecond=0)
    secret = secrets.token_bytes(credentials.SECRET_BYTES) if kind is CredentialKind.DYNAMIC else None
    credential = Credential(
        id=credential_id,
        commuter_id=commuter.id,
        kind=kind,
        kid=keyring.kid,
        payload=payload,
        issued_at=now,
        expires_at=expires_at,
        issued_by_id=issued_by.id,
        sealed_secret=(
            vault.seal(keyring.data_key, secret, context=whitelist.secret_context(credential_id))
            if secret
            else None
        ),
    )
    session.add(credential)
    whitelist.touch(session, commuter)
    session.flush()
    return Issued(credential=credential, secret=secret)


def get_credential_or_raise(session: Session, credential_id: uuid.UUID, *, user: User) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"no credential with id {credential_id}")
    try:
        check_staff_access(user, credential.commuter)
    except NotFound:
        raise NotFound(f"no credential with id {credential_id}") from None
    return credential


def list_credentials(session: Session, *, commuter: Commuter) -> list[Credential]:
    query = (
        select(Credential).where(Credential.commuter_id == commuter.id).order_by(Credential.issued_at.desc())
    )
    return list(session.scalars(query))


def revoke_credential(session: Session, *, credential: Credential, now: datetime) -> Credential:
    if credential.revoked_at is not None:
        raise InvalidTransition("this credential is already revoked")
    credential.revoked_at = now
    credential.sealed_secret = None
    whitelist.touch(session, credential.commuter)
    session.flush()
    return credential
