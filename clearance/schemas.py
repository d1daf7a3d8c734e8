"""Request and response bodies of the server's own endpoints (field names fixed by DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from clearance.models import Bridge, Decision, Direction, Park, Role


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)


class OrganisationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    park: Park


class OrganisationOut(ORMModel):
    id: uuid.UUID
    name: str
    park: Park
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    organisation_id: uuid.UUID | None = None


class UserOut(ORMModel):
    id: uuid.UUID
    username: str
    role: Role
    organisation_id: uuid.UUID | None
    is_active: bool
    created_at: datetime


class CheckpointCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    bridge: Bridge
    face_only: bool = False


class CheckpointOut(ORMModel):
    id: uuid.UUID
    name: str
    bridge: Bridge
    face_only: bool
    created_at: datetime


class KioskCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    direction: Direction


class KioskOut(ORMModel):
    id: uuid.UUID
    checkpoint_id: uuid.UUID
    name: str
    direction: Direction
    is_active: bool
    last_seen_at: datetime | None


class KioskCreated(KioskOut):
    api_key: str = Field(description="Shown once; only its hash is stored.")


class CrossingOut(ORMModel):
    id: uuid.UUID
    kiosk_id: uuid.UUID
    checkpoint_id: uuid.UUID
    direction: Direction
    commuter_id: uuid.UUID | None
    credential_id: uuid.UUID | None
    decision: Decision
    reasons: list[str]
    distance: float | None
    duration_ms: float | None
    decided_at: datetime
    recorded_at: datetime


class VerifyResult(BaseModel):
    decision: Decision
    reasons: list[str]
    commuter_id: uuid.UUID | None = None
    distance: float | None = None
    crossing_id: uuid.UUID
    timings_ms: dict[str, float] = Field(
        description="Milliseconds spent in each step on the server, in the order they ran."
    )


class Health(BaseModel):
    status: str
    database: str
    schema_revision: str | None
