"""Request and response bodies of the enrolment endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clearance.core.enums import CommuterStatus, CredentialKind, Decision, Direction, ImportStatus, Park
from clearance.db.base import ORMModel


class CommuterOut(ORMModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    full_name: str = Field(description="The name in Latin letters as on the document (may be empty)")
    chinese_name: str | None = Field(default=None, description="The name in Chinese characters")
    document_type: str
    document_number: str
    home_park: Park
    valid_until: date
    status: CommuterStatus
    status_reason: str | None
    enrolled_by_id: uuid.UUID
    approved_by_id: uuid.UUID | None
    approved_at: datetime | None
    created_at: datetime
    face_only: bool
    last_side: Park | None
    has_biometrics: bool
    photo_quality: dict[str, Any] | None
    template_photos: int = Field(description="Enrolment photos the face template was made from")
    face_model: str | None = Field(description="The face model that made the template")
    photo_added_by_id: uuid.UUID | None = Field(
        default=None, description="Who last added a photo (they may not approve the commuter again)"
    )


class StatusChange(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class ReasonRequired(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class CredentialCreate(BaseModel):
    kind: CredentialKind = CredentialKind.STATIC
    phone_pass: bool = Field(
        default=False,
        description="Dynamic credentials: issue it as a phone pass, activated once by the commuter's "
        "phone from the link in `activation_link` (no code key is returned or kept until then)",
    )


class CredentialChange(BaseModel):
    reason: str = Field(
        default="", max_length=200, description="Why (lost card, lost phone...), for the audit trail"
    )


class CredentialOut(ORMModel):
    id: uuid.UUID
    commuter_id: uuid.UUID
    kind: CredentialKind
    kid: str
    payload: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class CredentialIssued(CredentialOut):
    secret: str | None = Field(
        default=None,
        description="Dynamic credentials: the base64 key of the time-based code, for the holder's "
        "phone. Returned once, at issue.",
    )
    activation_link: str | None = Field(
        default=None,
        description="Phone passes: the one-time activation link to hand to the commuter (the token "
        "is in its fragment; it works once, within 24 hours). Returned once, at issue.",
    )


class PassActivate(BaseModel):
    credential_id: uuid.UUID
    token: str = Field(min_length=16, max_length=100, description="From the activation link's fragment")
    key: str = Field(
        min_length=40, max_length=64, description="Base64 of the 32-byte code key the phone made"
    )
    proof_key: str = Field(
        min_length=40,
        max_length=64,
        description="Base64 of the 32-byte proof key the phone made: it proves the phone's later "
        "requests and never leaves the server",
    )


class PassProof(BaseModel):
    credential_id: uuid.UUID
    time: int = Field(ge=0, le=2**40, description="The phone's unix time, within 5 minutes of the server's")
    proof: str = Field(
        max_length=64,
        description="Base64 of HMAC-SHA256 under the pass's key of the domain, the credential id, "
        "the purpose and the time (enrolment.passes.pass_proof)",
    )


class ImportRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line: int = Field(description="The row's line in the CSV; the header is line 1")
    full_name: str
    enrolled: bool
    commuter_id: uuid.UUID | None
    field: str | None = Field(description="The column that failed, when one did")
    error: str | None


class ImportJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    status: ImportStatus
    total: int
    processed: int
    enrolled: int
    failed: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    rows: list[ImportRowOut] = Field(default_factory=list)


class PassOut(BaseModel):
    """What a phone pass shows: its signed payload (the code is made on the phone), whose it is
    and until when."""

    credential_id: uuid.UUID
    payload: str
    full_name: str
    chinese_name: str | None
    organisation: str
    expires_at: datetime
    valid_until: date


class PassCrossing(BaseModel):
    at: datetime
    checkpoint: str
    direction: Direction
    decision: Decision


class PassStatusOut(BaseModel):
    """A pass's state for the phone that proved it holds the key; a revoked pass gets only its
    state and when (it has no key left to prove anything with)."""

    credential_id: uuid.UUID
    state: Literal["valid", "expired", "revoked"]
    revoked_at: datetime | None = None
    payload: str | None = None
    full_name: str | None = None
    chinese_name: str | None = None
    organisation: str | None = None
    expires_at: datetime | None = None
    valid_until: date | None = None
    commuter_status: CommuterStatus | None = None
    crossings: list[PassCrossing] = Field(default_factory=list, description="The newest ten, newest first")
    checked_at: datetime | None = None
