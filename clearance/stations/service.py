"""Checkpoints on the footbridges and the kiosks that stand at them."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import security
from clearance.core.enums import AuditAction, Bridge, CommuterStatus, Direction
from clearance.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from clearance.core.messages import Message, words
from clearance.core.names import Named, clean_name
from clearance.db.actors import Actor
from clearance.db.models import Checkpoint, Commuter, Kiosk


def kiosk_public_key(text: str) -> bytes:
    """A kiosk's Ed25519 public key from its base64 text (raw 32 bytes), or InvalidInput."""
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidInput("public_key must be base64", field="public_key") from None
    if len(key) != 32:
        raise InvalidInput("public_key must be a raw 32-byte Ed25519 key", field="public_key")
    return key


def face_only_gallery_size(session: Session) -> int:
    """How many active commuters have opted in to face-only walk-through."""
    query = select(func.count()).where(Commuter.face_only.is_(True), Commuter.status == CommuterStatus.ACTIVE)
    return session.scalar(query) or 0


def check_face_only(session: Session, *, bound: int) -> None:
    """Refuse to offer face-only walk-through where more commuters have opted in than it is safe
    for: beyond ``bound``, strangers would be taken for someone more than 1 % of the time."""
    opted_in = face_only_gallery_size(session)
    if opted_in > bound:
        raise InvalidInput(
            Message(
                "face-only walk-through is safe for at most {bound} opted-in commuters (strangers "
                "taken for someone at most 1 % of the time, BENCHMARKS.md); {opted_in} have opted in",
                bound=bound,
                opted_in=opted_in,
            ),
            field="face_only",
        )


def create_checkpoint(
    session: Session,
    *,
    name: str,
    bridge: Bridge,
    face_only: bool = False,
    face_only_bound: int = 0,
    actor: Actor,
) -> Checkpoint:
    """A checkpoint on a footbridge; with ``face_only``, offering walk-through to those who opted
    in, if no more than ``face_only_bound`` have."""
    name = clean_name(name, what=Named.CHECKPOINT)
    if face_only:
        check_face_only(session, bound=face_only_bound)
    if session.scalar(select(Checkpoint).where(Checkpoint.name == name)):
        raise Conflict(Message("a checkpoint named {name!r} already exists", name=name))
    checkpoint = Checkpoint(name=name, bridge=bridge, face_only=face_only)
    session.add(checkpoint)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.CREATE_CHECKPOINT,
        object_type="checkpoint",
        object_id=checkpoint.id,
        detail=words(
            "{bridge} footbridge, face-only walk-through" if face_only else "{bridge} footbridge",
            bridge=bridge,
        ),
    )
    return checkpoint


def edit_checkpoint(
    session: Session,
    *,
    checkpoint: Checkpoint,
    actor: Actor,
    name: str | None = None,
    face_only: bool | None = None,
    face_only_bound: int = 0,
) -> Checkpoint:
    """Rename a checkpoint or switch its face-only walk-through (on only while no more than
    ``face_only_bound`` commuters have opted in); audited with what changed."""
    new_name = checkpoint.name if name is None else clean_name(name, what=Named.CHECKPOINT)
    new_face_only = checkpoint.face_only if face_only is None else face_only
    if new_face_only and not checkpoint.face_only:
        check_face_only(session, bound=face_only_bound)
    if new_name != checkpoint.name and session.scalar(select(Checkpoint).where(Checkpoint.name == new_name)):
        raise Conflict(Message("a checkpoint named {new_name!r} already exists", new_name=new_name))
    audit.record_edit(
        session,
        actor=actor,
        action=AuditAction.EDIT_CHECKPOINT,
        target=checkpoint,
        object_type="checkpoint",
        changes={"name": new_name, "face_only": new_face_only},
    )
    return checkpoint


def find_checkpoint(session: Session, reference: str) -> Checkpoint:
    """The checkpoint with this id or this (unique) name."""
    try:
        return get_checkpoint_or_raise(session, uuid.UUID(reference))
    except ValueError:
        pass
    found = session.scalar(select(Checkpoint).where(Checkpoint.name == reference.strip()))
    if found is None:
        raise NotFound(Message("no checkpoint named {reference!r}", reference=reference))
    return found


def get_checkpoint_or_raise(session: Session, checkpoint_id: uuid.UUID) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        raise NotFound(Message("no checkpoint with id {checkpoint_id}", checkpoint_id=checkpoint_id))
    return checkpoint


def list_checkpoints(session: Session) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).order_by(Checkpoint.name)))


def list_kiosks(session: Session) -> list[Kiosk]:
    """Every kiosk, by checkpoint and name."""
    query = select(Kiosk).join(Kiosk.checkpoint).order_by(Checkpoint.name, Kiosk.name)
    return list(session.scalars(query))


def create_kiosk(
    session: Session,
    *,
    checkpoint: Checkpoint,
    name: str,
    direction: Direction,
    actor: Actor,
    public_key: bytes | None = None,
) -> tuple[Kiosk, str]:
    """A kiosk and its API key. Only the key's hash is stored: the caller shows it once. With
    ``public_key`` (the kiosk's own Ed25519 key, raw) its crossing log is bound to that key from
    the start; without, to the first key it presents."""
    name = clean_name(name, what=Named.KIOSK)
    exists = select(Kiosk).where(Kiosk.checkpoint_id == checkpoint.id, Kiosk.name == name)
    if session.scalar(exists):
        raise Conflict(
            Message(
                "checkpoint {name!r} already has a kiosk named {name_!r}", name=checkpoint.name, name_=name
            )
        )
    api_key = security.generate_kiosk_key()
    kiosk = Kiosk(
        checkpoint=checkpoint,
        name=name,
        direction=direction,
        api_key_hash=security.hash_kiosk_key(api_key),
        public_key=public_key,
    )
    session.add(kiosk)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.CREATE_KIOSK,
        object_type="kiosk",
        object_id=kiosk.id,
        detail=words(
            "{name} at checkpoint {checkpoint}, {direction}",
            name=name,
            checkpoint=checkpoint.name,
            direction=direction,
        ),
    )
    return kiosk, api_key


def get_kiosk_or_raise(session: Session, kiosk_id: uuid.UUID) -> Kiosk:
    kiosk = session.get(Kiosk, kiosk_id)
    if kiosk is None:
        raise NotFound(Message("no kiosk with id {kiosk_id}", kiosk_id=kiosk_id))
    return kiosk


def rekey_kiosk(session: Session, *, kiosk: Kiosk, actor: Actor, public_key: bytes | None = None) -> str:
    """A reinstalled or replaced kiosk: a new API key (returned once; the old one stops working at
    once) and a fresh crossing log, bound to ``public_key`` if given, else to the first key the
    new installation presents."""
    api_key = security.generate_kiosk_key()
    kiosk.api_key_hash = security.hash_kiosk_key(api_key)
    kiosk.public_key = public_key
    kiosk.chain_seq = 0
    kiosk.chain_hash = None
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.REKEY_KIOSK,
        object_type="kiosk",
        object_id=kiosk.id,
        detail=words("new API key, bound to Ed25519 key {key}…", key=public_key[:8].hex())
        if public_key
        else words("new API key"),
    )
    return api_key


def edit_kiosk(session: Session, *, kiosk: Kiosk, actor: Actor, name: str) -> Kiosk:
    """Rename a kiosk; audited. (A kiosk turned to face the other way is a new kiosk: its station
    decides anti-passback by the direction it read at start.)"""
    new_name = clean_name(name, what=Named.KIOSK)
    if new_name != kiosk.name and session.scalar(
        select(Kiosk).where(Kiosk.checkpoint_id == kiosk.checkpoint_id, Kiosk.name == new_name)
    ):
        raise Conflict(
            Message(
                "checkpoint {name!r} already has a kiosk named {new_name!r}",
                name=kiosk.checkpoint.name,
                new_name=new_name,
            )
        )
    audit.record_edit(
        session,
        actor=actor,
        action=AuditAction.EDIT_KIOSK,
        target=kiosk,
        object_type="kiosk",
        changes={"name": new_name},
    )
    return kiosk


def find_kiosk(session: Session, reference: str) -> Kiosk:
    """The kiosk named by ``reference``: its id, or its name when exactly one kiosk has it (or
    ``checkpoint/kiosk`` to say which checkpoint's)."""
    try:
        return get_kiosk_or_raise(session, uuid.UUID(reference))
    except ValueError:
        pass
    checkpoint_name, _, kiosk_name = reference.rpartition("/")
    query = select(Kiosk).join(Kiosk.checkpoint).where(Kiosk.name == kiosk_name.strip())
    if checkpoint_name:
        query = query.where(Checkpoint.name == checkpoint_name.strip())
    found = list(session.scalars(query))
    if not found:
        raise NotFound(Message("no kiosk named {reference!r}", reference=reference))
    if len(found) > 1:
        raise InvalidInput(
            Message(
                "{count} kiosks are named {kiosk_name!r}: say which checkpoint's (checkpoint/kiosk) "
                "or give the id",
                count=len(found),
                kiosk_name=kiosk_name,
            )
        )
    return found[0]


def set_kiosk_active(
    session: Session, *, kiosk: Kiosk, active: bool, actor: Actor, reason: str = ""
) -> Kiosk:
    """Disable a kiosk (its key is refused from the next call: a stolen or retired kiosk) or
    enable it again, audited with ``reason``."""
    if kiosk.is_active == active:
        raise InvalidTransition(
            Message(
                "kiosk {name!r} is already enabled" if active else "kiosk {name!r} is already disabled",
                name=kiosk.name,
            )
        )
    kiosk.is_active = active
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.ENABLE_KIOSK if active else AuditAction.DISABLE_KIOSK,
        object_type="kiosk",
        object_id=kiosk.id,
        detail=reason.strip()[:200] or None,
    )
    return kiosk
