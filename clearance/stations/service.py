"""Checkpoints on the footbridges and the kiosks that stand at them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.accounts import security
from clearance.audit import service as audit
from clearance.audit.service import Actor
from clearance.core.enums import Bridge, Direction
from clearance.core.errors import Conflict, NotAuthenticated, NotFound
from clearance.core.zone import utcnow
from clearance.db.models import Checkpoint, Kiosk


def create_checkpoint(
    session: Session, *, name: str, bridge: Bridge, face_only: bool = False, actor: Actor
) -> Checkpoint:
    name = name.strip()
    if session.scalar(select(Checkpoint).where(Checkpoint.name == name)):
        raise Conflict(f"a checkpoint named {name!r} already exists")
    checkpoint = Checkpoint(name=name, bridge=bridge, face_only=face_only)
    session.add(checkpoint)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action="create_checkpoint",
        object_type="checkpoint",
        object_id=checkpoint.id,
        detail=f"{bridge.value} footbridge" + (", face-only walk-through" if face_only else ""),
    )
    return checkpoint


def get_checkpoint_or_raise(session: Session, checkpoint_id: uuid.UUID) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        raise NotFound(f"no checkpoint with id {checkpoint_id}")
    return checkpoint


def list_checkpoints(session: Session) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).order_by(Checkpoint.name)))


def list_kiosks(session: Session) -> list[Kiosk]:
    """Every kiosk, by checkpoint and name."""
    query = select(Kiosk).join(Kiosk.checkpoint).order_by(Checkpoint.name, Kiosk.name)
    return list(session.scalars(query))


def create_kiosk(
    session: Session, *, checkpoint: Checkpoint, name: str, direction: Direction, actor: Actor
) -> tuple[Kiosk, str]:
    """A kiosk and its API key. Only the key's hash is stored: the caller shows it once."""
    name = name.strip()
    exists = select(Kiosk).where(Kiosk.checkpoint_id == checkpoint.id, Kiosk.name == name)
    if session.scalar(exists):
        raise Conflict(f"checkpoint {checkpoint.name!r} already has a kiosk named {name!r}")
    api_key = security.generate_kiosk_key()
    kiosk = Kiosk(
        checkpoint=checkpoint,
        name=name,
        direction=direction,
        api_key_hash=security.hash_kiosk_key(api_key),
    )
    session.add(kiosk)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action="create_kiosk",
        object_type="kiosk",
        object_id=kiosk.id,
        detail=f"{name} at checkpoint {checkpoint.id}, {direction.value}",
    )
    return kiosk, api_key


def authenticate_kiosk(session: Session, *, api_key: str) -> Kiosk:
    kiosk = session.scalar(select(Kiosk).where(Kiosk.api_key_hash == security.hash_kiosk_key(api_key)))
    if kiosk is None or not kiosk.is_active:
        raise NotAuthenticated("unknown or disabled kiosk key")
    kiosk.last_seen_at = utcnow()
    return kiosk
