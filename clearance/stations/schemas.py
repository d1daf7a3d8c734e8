"""Request and response bodies of the administration of checkpoints and kiosks."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clearance.core.enums import Bridge, Direction
from clearance.db.base import ORMModel


class CheckpointCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    bridge: Bridge
    face_only: bool = False


class CheckpointEdit(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    face_only: bool | None = None


class CheckpointOut(ORMModel):
    id: uuid.UUID
    name: str
    bridge: Bridge
    face_only: bool
    created_at: datetime


PUBLIC_KEY = Field(
    default=None,
    min_length=40,
    max_length=60,
    description="Base64 of the kiosk's own raw 32-byte Ed25519 key, to bind its crossing log to it now "
    "(otherwise the first key it presents is bound)",
)


class KioskCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    direction: Direction
    public_key: str | None = PUBLIC_KEY


class KioskEdit(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class KioskSwitch(BaseModel):
    reason: str = Field(default="", max_length=200, description="Why, for the audit trail")


class KioskRekey(BaseModel):
    public_key: str | None = PUBLIC_KEY


class KioskOut(ORMModel):
    id: uuid.UUID
    checkpoint_id: uuid.UUID
    name: str
    direction: Direction
    is_active: bool
    last_seen_at: datetime | None


class KioskCreated(KioskOut):
    api_key: str = Field(description="Shown once; only its hash is stored.")
