"""Issuing, revoking and reading commuters' credentials (each an audited action)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import credentials, vault
from clearance.core.enums import AuditAction, CommuterStatus, CredentialKind
from clearance.core.errors import InvalidInput, InvalidTransition, NotFound
from clearance.core.messages import Message, words
from clearance.core.zone import end_of_day
from clearance.custody import keys
from clearance.db.actors import Actor, UserActor
from clearance.db.keyring import Keyring
from clearance.db.models import Commuter, Credential, User
from clearance.whitelist import service as whitelist
from enrolment import passes
from enrolment.commuters import check_staff_access


@dataclass(frozen=True)
class Issued:
    credential: Credential
    secret: bytes | None
    """A dynamic credential's code key, for the holder's phone; returned once, never again."""
    activation_token: str | None = None
    """A phone pass's one-time activation token (``enrolment.passes``), returned once."""


def issue_credential(
    session: Session,
    *,
    commuter: Commuter,
    kind: CredentialKind,
    actor: UserActor,
    keyring: Keyring,
    lifetime: timedelta,
    now: datetime,
    activation: bool = False,
) -> Issued:
    """A signed credential for an active commuter, valid until the earlier of ``now + lifetime``
    and the end of the commuter's registration.

    A dynamic credential comes with its code key (for an API client to hand to the phone it
    serves), or with ``activation`` for a phone pass: a one-time activation token instead, and
    no code key until the commuter's phone makes one (``passes.activate_pass``)."""
    if activation and kind is not CredentialKind.DYNAMIC:
        raise InvalidInput("only a dynamic credential is activated on a phone", field="kind")
    if commuter.status is not CommuterStatus.ACTIVE:
        raise InvalidTransition(
            Message(
                "credentials are issued to active commuters; this one is {status}", status=commuter.status
            ),
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
    dynamic = kind is CredentialKind.DYNAMIC and not activation
    secret = secrets.token_bytes(credentials.SECRET_BYTES) if dynamic else None
    token, token_hash, activation_expires_at = (
        passes.new_activation(now) if activation else (None, None, None)
    )
    credential = Credential(
        id=credential_id,
        commuter_id=commuter.id,
        kind=kind,
        kid=keyring.kid,
        payload=payload,
        issued_at=now,
        expires_at=expires_at,
        issued_by_id=actor.user.id,
        sealed_secret=(
            vault.seal(keyring.sealing_key(session), secret, context=vault.secret_context(credential_id))
            if secret
            else None
        ),
        activation_hash=token_hash,
        activation_expires_at=activation_expires_at,
    )
    session.add(credential)
    whitelist.touch(session, commuter)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.ISSUE_CREDENTIAL,
        object_type="commuter",
        object_id=commuter.id,
        detail=words(
            "{kind} credential {id} for a phone pass" if activation else "{kind} credential {id}",
            kind=kind,
            id=credential.id,
        ),
    )
    return Issued(credential=credential, secret=secret, activation_token=token)


def get_credential_or_raise(session: Session, credential_id: uuid.UUID, *, user: User) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(Message("no credential with id {credential_id}", credential_id=credential_id))
    try:
        check_staff_access(user, credential.commuter)
    except NotFound:
        raise NotFound(
            Message("no credential with id {credential_id}", credential_id=credential_id)
        ) from None
    return credential


def list_credentials(session: Session, *, commuter: Commuter, actor: Actor) -> list[Credential]:
    """A commuter's credentials, newest first (their payloads print as cards: the read is audited)."""
    query = (
        select(Credential).where(Credential.commuter_id == commuter.id).order_by(Credential.issued_at.desc())
    )
    found = list(session.scalars(query))
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.READ_CREDENTIALS,
        object_type="commuter",
        object_id=commuter.id,
    )
    return found


def read_credential(session: Session, *, credential: Credential, actor: Actor) -> Credential:
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.READ_CREDENTIAL,
        object_type="credential",
        object_id=credential.id,
    )
    return credential


def credential_qr_text(
    session: Session, *, credential: Credential, data_key: vault.DataKey, actor: Actor, now: datetime
) -> str:
    """What a static credential's QR code says (its signed payload); audited: whoever holds it can
    show it at a kiosk. A dynamic credential's code is made by its holder's phone only, never by
    the server for staff (InvalidTransition): a code staff could make is a code staff could use."""
    if credential.kind is CredentialKind.DYNAMIC:
        raise InvalidTransition(
            "a dynamic credential's code is shown by its holder's phone only, never made here: "
            "issue a static card to print"
        )
    text = credential.payload
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.READ_CREDENTIAL_QR,
        object_type="credential",
        object_id=credential.id,
    )
    return text


def revoke_credential(
    session: Session, *, credential: Credential, actor: Actor, now: datetime, reason: str = ""
) -> Credential:
    """Revoke one credential (lost card, lost phone), audited with ``reason``; the commuter stays
    whitelisted and kiosks refuse that credential from their next sync. One conditional update
    decides: of two revocations (or replacements) at the same moment, one happens and the other is
    told it was already done. A phone pass keeps its proof key (its phone learns it was revoked)."""
    revoked = session.execute(
        update(Credential)
        .where(Credential.id == credential.id, Credential.revoked_at.is_(None))
        .values(revoked_at=now, sealed_secret=None),
        execution_options={"synchronize_session": False},
    )
    session.refresh(credential)
    if not revoked.rowcount:  # type: ignore[attr-defined]
        raise InvalidTransition("this credential is already revoked")
    whitelist.touch(session, credential.commuter)
    session.flush()
    why = reason.strip()[:200]
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.REVOKE_CREDENTIAL,
        object_type="commuter",
        object_id=credential.commuter_id,
        detail=words("credential {id}: {why}" if why else "credential {id}", id=credential.id, why=why),
    )
    return credential


def replace_credential(
    session: Session,
    *,
    credential: Credential,
    reason: str,
    actor: UserActor,
    keyring: Keyring,
    lifetime: timedelta,
    now: datetime,
    activation: bool | None = None,
) -> Issued:
    """A lost card or phone replaced in one step: the credential revoked (with ``reason``) and a
    new one of the same kind issued, or neither; a phone pass by a phone pass unless
    ``activation`` says otherwise."""
    if not reason.strip():
        raise InvalidInput("say why the credential is replaced (lost card, lost phone...)", field="reason")
    revoke_credential(session, credential=credential, actor=actor, now=now, reason=f"replaced: {reason}")
    return issue_credential(
        session,
        activation=credential.activation_hash is not None if activation is None else activation,
        commuter=credential.commuter,
        kind=credential.kind,
        actor=actor,
        keyring=keyring,
        lifetime=lifetime,
        now=now,
    )
