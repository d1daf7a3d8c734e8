"""Request and response bodies of the server's own endpoints (field names fixed by DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

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


class PublicKeyOut(BaseModel):
    kid: str
    algorithm: str
    public_key: str = Field(description="Raw public key, base64")


class WhitelistCredential(BaseModel):
    id: uuid.UUID
    kind: str
    revoked: bool
    expires_at: datetime
    secret: str | None = Field(description="Dynamic credentials: the code key, base64")


class WhitelistEntry(BaseModel):
    commuter_id: uuid.UUID
    version: int
    removed: bool = Field(description="True: drop this commuter; the other fields are absent")
    full_name: str | None = None
    valid_until: date | None = None
    face_only: bool | None = None
    template: str | None = Field(default=None, description="128 little-endian float32, base64")
    credentials: list[WhitelistCredential] | None = None
    last_side: Park | None = None
    last_crossed_at: datetime | None = None


class KioskSelf(BaseModel):
    id: uuid.UUID
    checkpoint_id: uuid.UUID
    direction: Direction
    face_only: bool = Field(description="The checkpoint offers face-only walk-through")


class WhitelistPage(BaseModel):
    cursor: int = Field(description="Pass as `since` next time")
    more: bool = Field(description="True: ask again at once with the new cursor")
    kiosk: KioskSelf
    keys: list[PublicKeyOut]
    entries: list[WhitelistEntry]


class CrossingBatch(BaseModel):
    crossings: list[Any] = Field(
        max_length=1000,
        description="Items as in CrossingUpload; each is checked on its own, so one bad item "
        "does not refuse the batch",
    )
    signature: str | None = Field(
        default=None,
        max_length=200,
        description="Base64 Ed25519 signature of the batch by the kiosk's own key (required once "
        "the kiosk has registered one): see clearance/chain.py",
    )


class KioskIdentity(BaseModel):
    public_key: str = Field(
        min_length=40, max_length=60, description="Base64 of the kiosk's raw 32-byte Ed25519 public key"
    )


class CrossingUploadResult(BaseModel):
    id: str
    status: str = Field(description="created | duplicate | invalid")
    detail: str | None = None


class CrossingUploadResults(BaseModel):
    results: list[CrossingUploadResult]


class PresenceOut(BaseModel):
    commuter_id: uuid.UUID
    last_side: Park | None
    last_crossed_at: datetime | None


class CrossingOverride(BaseModel):
    decision: Decision = Field(description="cleared or rejected: an override decides")
    reason: str = Field(min_length=3, max_length=500)


class CrossingOverridden(CrossingOut):
    override_decision: Decision | None
    override_reason: str | None
    overridden_by_id: uuid.UUID | None
    overridden_at: datetime | None


class AlertOut(ORMModel):
    id: uuid.UUID
    kind: str
    detail: str
    created_at: datetime
    commuter_id: uuid.UUID | None
    crossing_id: uuid.UUID | None
    kiosk_id: uuid.UUID | None
    acknowledged_at: datetime | None
    acknowledged_by_id: uuid.UUID | None
    acknowledge_note: str | None


class AlertAcknowledge(BaseModel):
    note: str | None = Field(default=None, max_length=500)


class AuditEventOut(ORMModel):
    id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None
    username: str | None
    role: str | None
    organisation_id: uuid.UUID | None
    ip: str | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    detail: str | None


class Stats(BaseModel):
    generated_at: datetime
    in_park: dict[str, int] = Field(description="Active commuters by the park they are in: hk, sz, unknown")
    hourly: dict[str, Any] = Field(description="hours (zone time) and, per checkpoint and direction, counts")
    today: dict[str, Any] = Field(description="Today's attempts, decisions and refusal reasons with rates")
