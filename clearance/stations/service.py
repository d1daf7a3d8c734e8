"""Checkpoints on the footbridges and the kiosks that stand at them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance import security
from clearance.db import utcnow
from clearance.errors import Conflict, NotAuthenticated, NotFound
from clearance.models import Bridge, Checkpoint, Direction, Kiosk


def create_checkpoint(session: Session, *, name: str, bridge: Bridge, face_only: bool = False) -> Checkpoint:
    name = name.strip()
    if session.scalar(select(Checkpoint).where(Checkpoint.name == name)):
        raise Conflict(f"a checkpoint named {name!r} already exists")
    checkpoint = Checkpoint(name=name, bridge=bridge, face_only=face_only)
    session.add(checkpoint)
    session.flush()
    return checkpoint


def get_checkpoint_or_raise(session: Session, checkpoint_id: uuid.UUID) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        raise NotFound(f"no checkpoint with id {checkpoint_id}")
    return checkpoint


def list_checkpoints(session: Session) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).order_by(Checkpoint.name)))


def create_kiosk(
    session: Session, *, checkpoint: Checkpoint, name: str, direction: Direction
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
    return kiosk, api_key


def authenticate_kiosk(session: Session, *, api_key: str) -> Kiosk:
    kiosk = session.scalar(select(Kiosk).where(Kiosk.api_key_hash == security.hash_kiosk_key(api_key)))
    if kiosk is None or not kiosk.is_active:
        raise NotAuthenticated("unknown or disabled kiosk key")
    kiosk.last_seen_at = utcnow()
    return kiosk
