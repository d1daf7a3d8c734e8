"""The commuter's phone pass: activating a dynamic credential on the commuter's own phone, and
what the phone may then ask the server about its holder.

How a pass comes to a phone:

1. Staff issue a dynamic credential from the commuter's page (``issuing.issue_credential`` with
   ``activation=True``). The server keeps only SHA-256 of a one-time activation token and its
   expiry; the token travels to the phone in the fragment of a link (``/pass/#<credential>.<token>``),
   which browsers never send to a server, shown once as a QR code for the commuter to scan.
2. The phone makes two keys itself (32 random bytes each, imported into WebCrypto as
   non-extractable HMAC keys and kept in the browser) and sends them with the token to
   ``activate_pass``: the token works once (one phone wins however many try at once) and until it
   expires. The *code key* makes the rotating codes: kiosks need it to check codes offline, so it
   goes into their whitelist feed. The *proof key* proves to the server that a request comes from
   the phone; it never leaves the server (no kiosk, no staff route). Both are sealed with the data
   key. Until activation the credential has no code key, so no code made from a leaked link
   clears, and after it the link is worth nothing.
3. The phone shows ``credentials.dynamic_qr_text`` (computed in the browser) at the kiosk; no
   server route makes a phone pass's code (``issuing.credential_qr_text`` refuses). It proves it
   holds the proof key to read its holder's status and crossings or to download the personal data
   held about them (a data access request under the PDPO): ``pass_proof`` over the purpose and the
   time, checked by ``check_proof``. A request carrying a member of staff's session, token or
   device is refused: a pass answers its holder only. A revoked pass keeps only its proof key, so
   its phone (and nobody else) learns that it was revoked, and erases what it holds.

Each of these is audited; the audit trail names the phone by its credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import credentials, vault
from clearance.core.enums import AuditAction
from clearance.core.errors import InvalidInput, InvalidTransition, NotFound
from clearance.core.messages import Message, words
from clearance.db.actors import Actor, PublicActor
from clearance.db.keyring import Keyring
from clearance.db.models import AuditEvent, Checkpoint, Commuter, Credential, Crossing
from clearance.whitelist import biometrics
from clearance.whitelist import service as whitelist
from enrolment.commuters import document_number

ACTIVATION_LIFETIME = timedelta(hours=24)
TOKEN_BYTES = 32
PROOF_WINDOW = timedelta(minutes=5)
"""How far a phone's clock may be from the server's when it proves possession."""
RECENT_CROSSINGS = 10
Purpose = Literal["status", "data"]
_PROOF_DOMAIN = b"hetao-credential-v1/pass"
_TIME = struct.Struct(">Q")


def new_activation(now: datetime) -> tuple[str, str, datetime]:
    """A one-time activation token (for the link), its hash (for the database) and its expiry."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token), now + ACTIVATION_LIFETIME


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def activation_fragment(credential_id: uuid.UUID, token: str) -> str:
    """What follows ``#`` in the activation link."""
    return f"{credential_id.hex}.{token}"


def read_activation_link(link: str) -> tuple[uuid.UUID, str]:
    """The credential and the token of an activation link (what the pass's page reads from it)."""
    credential_hex, token = link.split("#", 1)[1].split(".", 1)
    return uuid.UUID(hex=credential_hex), token


def pass_proof(key: bytes, *, credential_id: uuid.UUID, purpose: Purpose, at: int) -> bytes:
    """What a phone holding ``key`` sends to show it holds it, for ``purpose`` at unix time ``at``
    (the page computes the same with WebCrypto)."""
    message = _PROOF_DOMAIN + credential_id.bytes + purpose.encode() + b"|" + _TIME.pack(at)
    return hmac.new(key, message, hashlib.sha256).digest()


def actor_of_pass(credential_id: uuid.UUID, ip: str | None) -> Actor:
    return PublicActor(ip=ip, name=f"phone pass {credential_id}", role="commuter")


@dataclass(frozen=True)
class PassView:
    """What the pass shows: enough to show the code and to say whose pass it is and until when."""

    credential: Credential
    commuter: Commuter

    def as_dict(self) -> dict[str, Any]:
        c, who = self.credential, self.commuter
        return {
            "credential_id": str(c.id),
            "payload": c.payload,
            "full_name": who.full_name,
            "chinese_name": who.chinese_name,
            "organisation": who.organisation.name,
            "expires_at": c.expires_at.isoformat(),
            "valid_until": who.valid_until.isoformat(),
        }


def _find(session: Session, credential_id: uuid.UUID) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None or credential.activation_hash is None:
        raise NotFound("no phone pass with this link")
    return credential


def activate_pass(
    session: Session,
    *,
    credential_id: uuid.UUID,
    token: str,
    key: bytes,
    proof_key: bytes,
    ip: str | None,
    keyring: Keyring,
    now: datetime,
) -> PassView:
    """Give the credential behind an activation link the code key ``key`` and the proof key
    ``proof_key`` made by the phone.

    The link works once and until it expires: of phones activating at the same moment, one wins
    (one conditional update) and the others are told it was used. The same phone asking again with
    the same keys (its first answer lost on the way) gets the same answer."""
    for name, value in (("key", key), ("proof_key", proof_key)):
        if len(value) != credentials.SECRET_BYTES:
            raise InvalidInput(
                Message(
                    "the {name} must be {size} bytes",
                    name=name,
                    size=credentials.SECRET_BYTES,
                ),
                field=name,
            )
    if hmac.compare_digest(key, proof_key):
        raise InvalidInput("the proof key must differ from the code key", field="proof_key")
    credential = _find(session, credential_id)
    assert credential.activation_hash is not None
    if not hmac.compare_digest(credential.activation_hash, token_hash(token)):
        raise NotFound("no phone pass with this link")
    if credential.activated_at is None:
        if credential.revoked_at is not None:
            raise InvalidTransition("this pass was revoked: ask enrolment staff for a new one", why="revoked")
        if credential.expires_at <= now:
            raise InvalidTransition("this pass has expired: ask enrolment staff for a new one", why="expired")
        if credential.activation_expires_at is not None and credential.activation_expires_at <= now:
            raise InvalidTransition(
                "this link has expired: ask enrolment staff for a new pass", why="link_expired"
            )
        sealing = keyring.sealing_key(session)
        code_context, proof_context = (
            vault.secret_context(credential.id),
            vault.proof_key_context(credential.id),
        )
        claimed = session.execute(
            update(Credential)
            .where(
                Credential.id == credential.id,
                Credential.activated_at.is_(None),
                Credential.revoked_at.is_(None),
            )
            .values(
                activated_at=now,
                sealed_secret=vault.seal(sealing, key, context=code_context),
                sealed_proof_key=vault.seal(sealing, proof_key, context=proof_context),
            ),
            execution_options={"synchronize_session": False},
        )
        session.refresh(credential)
        if claimed.rowcount:  # type: ignore[attr-defined]
            whitelist.touch(session, credential.commuter)
            session.flush()
        elif credential.revoked_at is not None and credential.activated_at is None:
            raise InvalidTransition("this pass was revoked: ask enrolment staff for a new one", why="revoked")
        else:
            _same_phone_or_refuse(credential, key=key, proof_key=proof_key, keyring=keyring)
            return PassView(credential, credential.commuter)
    else:
        _same_phone_or_refuse(credential, key=key, proof_key=proof_key, keyring=keyring)
        return PassView(credential, credential.commuter)
    audit.record_event(
        session,
        actor=actor_of_pass(credential.id, ip),
        action=AuditAction.ACTIVATE_PASS,
        object_type="commuter",
        object_id=credential.commuter_id,
        detail=words("credential {id}", id=credential.id),
    )
    return PassView(credential, credential.commuter)


def _same_phone_or_refuse(credential: Credential, *, key: bytes, proof_key: bytes, keyring: Keyring) -> None:
    """Refuse an activation of a pass some phone activated already, unless it is that phone asking
    again (the same keys)."""
    sealed, sealed_proof = credential.sealed_secret, credential.sealed_proof_key
    held = (
        vault.unseal(keyring.data_key, sealed, context=vault.secret_context(credential.id)) if sealed else b""
    )
    held_proof = (
        vault.unseal(keyring.data_key, sealed_proof, context=vault.proof_key_context(credential.id))
        if sealed_proof
        else b""
    )
    if not (hmac.compare_digest(held, key) and hmac.compare_digest(held_proof, proof_key)):
        raise InvalidTransition("this link was already used on a phone: ask staff for a new pass", why="used")


def check_proof(
    session: Session,
    *,
    credential_id: uuid.UUID,
    purpose: Purpose,
    at: int,
    proof: bytes,
    data_key: vault.DataKey,
    now: datetime,
) -> Credential:
    """The pass whose holder sent ``proof`` (made with its proof key over ``purpose`` and the unix
    time ``at``), revoked or not; NotFound otherwise, alike for an unknown pass, one never
    activated and a wrong proof, so a stranger learns nothing about a credential id. Only a
    correct proof learns that the phone's clock is off (InvalidInput ``clock``)."""
    credential = _find(session, credential_id)
    if credential.activated_at is None or credential.sealed_proof_key is None:
        raise NotFound("no phone pass with this proof")
    key = vault.unseal(data_key, credential.sealed_proof_key, context=vault.proof_key_context(credential.id))
    if not hmac.compare_digest(pass_proof(key, credential_id=credential.id, purpose=purpose, at=at), proof):
        raise NotFound("no phone pass with this proof")
    if abs(now.timestamp() - at) > PROOF_WINDOW.total_seconds():
        raise InvalidInput(
            "the phone's clock is wrong: set it to the network time", field="time", why="clock"
        )
    return credential


def _state(credential: Credential, now: datetime) -> str:
    if credential.revoked_at is not None:
        return "revoked"
    if credential.expires_at <= now:
        return "expired"
    return "valid"


def _crossings(session: Session, commuter: Commuter, limit: int | None) -> list[dict[str, Any]]:
    query = (
        select(Crossing, Checkpoint.name)
        .join(Checkpoint, Checkpoint.id == Crossing.checkpoint_id)
        .where(Crossing.commuter_id == commuter.id)
        .order_by(Crossing.decided_at.desc())
        .limit(limit)
    )
    return [
        {
            "at": crossing.decided_at.isoformat(),
            "checkpoint": checkpoint,
            "direction": crossing.direction.value,
            "decision": crossing.final_decision.value,
        }
        for crossing, checkpoint in session.execute(query)
    ]


def pass_status(session: Session, *, credential: Credential, ip: str | None, now: datetime) -> dict[str, Any]:
    """What the pass shows its holder beside the code: validity and recent crossings (a read of
    personal data, audited)."""
    commuter = credential.commuter
    status = {
        **PassView(credential, commuter).as_dict(),
        "state": _state(credential, now),
        "commuter_status": commuter.status.value,
        "crossings": _crossings(session, commuter, RECENT_CROSSINGS),
        "checked_at": now.isoformat(),
    }
    audit.record_event(
        session,
        actor=actor_of_pass(credential.id, ip),
        action=AuditAction.READ_PASS_STATUS,
        object_type="commuter",
        object_id=commuter.id,
    )
    return status


def personal_data(
    session: Session, *, credential: Credential, ip: str | None, data_key: vault.DataKey, now: datetime
) -> dict[str, Any]:
    """Everything the system holds about the pass's holder, for a data access request under the
    Personal Data (Privacy) Ordinance: the registration, the photos and face template, the
    credentials, every crossing and who did what with the record (the audit trail)."""
    commuter = credential.commuter
    template = commuter.template
    biometric: dict[str, Any] | None = None
    if template is not None:
        photos = biometrics.open_reference_photos(data_key, template)
        numbers = biometrics.open_encoding_blob(data_key, template.sealed_encoding, commuter_id=commuter.id)
        biometric = {
            "model": template.model,
            "photos_jpeg_base64": [base64.b64encode(p).decode() for p in photos],
            "face_encodings": np.frombuffer(numbers, dtype="<f4").reshape(len(photos), -1).tolist(),
        }
    history = session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(commuter.id)).order_by(AuditEvent.at)
    )
    audit.record_event(
        session,
        actor=actor_of_pass(credential.id, ip),
        action=AuditAction.DATA_ACCESS_REQUEST,
        object_type="commuter",
        object_id=commuter.id,
        detail=words("downloaded with credential {id}", id=credential.id),
    )
    held = session.scalars(
        select(Credential).where(Credential.commuter_id == commuter.id).order_by(Credential.issued_at)
    )
    return {
        "about": "Personal data held by Hetao Clearance about you, as of the time below "
        "(a data access request under the Personal Data (Privacy) Ordinance, Cap. 486).",
        "made_at": now.isoformat(),
        "registration": {
            "id": str(commuter.id),
            "full_name": commuter.full_name,
            "chinese_name": commuter.chinese_name,
            "document_type": commuter.document_type,
            "document_number": document_number(commuter, data_key=data_key),
            "organisation": commuter.organisation.name,
            "home_park": commuter.home_park.value,
            "valid_until": commuter.valid_until.isoformat(),
            "status": commuter.status.value,
            "status_reason": commuter.status_reason,
            "face_only": commuter.face_only,
            "registered_at": commuter.created_at.isoformat(),
            "approved_at": commuter.approved_at.isoformat() if commuter.approved_at else None,
            "last_side": commuter.last_side.value if commuter.last_side else None,
            "last_crossed_at": commuter.last_crossed_at.isoformat() if commuter.last_crossed_at else None,
        },
        "biometrics": biometric,
        "credentials": [
            {
                "id": str(c.id),
                "kind": c.kind.value,
                "issued_at": c.issued_at.isoformat(),
                "expires_at": c.expires_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                "activated_at": c.activated_at.isoformat() if c.activated_at else None,
            }
            for c in held
        ],
        "crossings": _crossings(session, commuter, None),
        "record_history": [
            {"at": e.at.isoformat(), "who": e.username, "role": e.role, "action": e.action}
            | {"purpose": e.purpose}
            for e in history
        ],
    }
