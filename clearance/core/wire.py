"""What a kiosk and the server say to each other, as typed models both ends share.

The kiosk builds these to deliver its decisions and parses them from the server's answers; the
server validates what arrives with the same models and documents them on its API page. Field
names are part of the HTTP contract (DESIGN.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from clearance.core.enums import Decision, Direction, Park
from clearance.core.zone import Instant

CHAIN_HASH = "^[0-9a-f]{64}$"


class CrossingRecord(BaseModel):
    """One crossing a kiosk decided, as its outbox keeps it and delivers it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    """Made where the decision was made, so the same record delivered twice is stored once."""
    decided_at: Instant
    decision: Decision
    reasons: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    commuter_id: uuid.UUID | None = None
    credential_id: uuid.UUID | None = None
    distance: float | None = Field(default=None, ge=0, le=4)
    duration_ms: float | None = Field(default=None, ge=0, le=3_600_000)
    """The kiosk's own decision time: from the first sight of the QR (or, face-only, the face) to
    the decision recorded."""
    clear_ms: float | None = Field(default=None, ge=0, le=3_600_000)
    """Time to clear: from the first frame that showed the person at the lane (their QR, or their
    face once the one before had left) to the decision recorded. Kiosks before 2026-12 send none."""
    previous_left_ms: float | None = Field(default=None, ge=0, le=3_600_000)
    """Time to leave, of the person decided in the record before this one (``seq`` − 1): from
    that decision to the last frame that showed them, once they had left the view. A record is
    chained as its decision is made, before the person walks off, so their time to leave travels
    with the kiosk's next record. None when they had not left before the next person stepped up,
    or were decided only as they left; kiosks before 2026-12-04 send none."""
    seq: int | None = Field(default=None, ge=1, le=2**62)
    """Position in the kiosk's chain of records (clearance/core/chain.py)."""
    prev_hash: str | None = Field(default=None, pattern=CHAIN_HASH)


class CrossingBatch(BaseModel):
    crossings: list[Any] = Field(
        max_length=1000,
        description="Items as in CrossingRecord; each is checked on its own, so one bad item "
        "does not refuse the batch",
    )
    signature: str | None = Field(
        default=None,
        max_length=200,
        description="Base64 Ed25519 signature of the batch by the kiosk's own key (required once "
        "the kiosk has registered one): see clearance/core/chain.py",
    )
    sent_at: Instant | None = Field(
        default=None, description="The kiosk's clock when it sent the batch, to measure its offset"
    )


class UploadStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class UploadResult(BaseModel):
    id: str
    status: UploadStatus
    detail: str | None = None


class UploadResults(BaseModel):
    results: list[UploadResult]
    server_time: datetime | None = None
    clock_offset_seconds: float | None = Field(
        default=None,
        description="How far the kiosk's clock is ahead of the server's (negative: behind), from "
        "the batch's sent_at; the kiosk corrects its own times by it",
    )


class KioskIdentity(BaseModel):
    public_key: str = Field(
        min_length=40, max_length=60, description="Base64 of the kiosk's raw 32-byte Ed25519 public key"
    )


class PublicKey(BaseModel):
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
    valid_until: date | None = None
    face_only: bool | None = None
    template: str | None = Field(
        default=None,
        description="One row of little-endian float32 (a unit vector: 256 floats for the default model, "
        "128 for dlib) per enrolment photo, base64",
    )
    model: str | None = Field(
        default=None,
        description="The face model that made the template; a kiosk running another refers the "
        "commuter's attempts to an officer (template_outdated) until the template is made again",
    )
    credentials: list[WhitelistCredential] | None = None
    last_side: Park | None = None
    last_crossed_at: datetime | None = None


class KioskSelf(BaseModel):
    id: uuid.UUID
    checkpoint_id: uuid.UUID
    direction: Direction
    face_only: bool = Field(description="The checkpoint offers face-only walk-through")
    face_only_max_gallery: int = Field(
        default=0,
        description="Face-only is offered only while this many commuters or fewer have opted in",
    )


class WhitelistPage(BaseModel):
    server_time: datetime | None = Field(
        default=None, description="The server's clock, for the kiosk's offset"
    )
    cursor: int = Field(description="Pass as `since` next time")
    more: bool = Field(description="True: ask again at once with the new cursor")
    kiosk: KioskSelf
    keys: list[PublicKey]
    entries: list[WhitelistEntry]


UuidText = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
"""A UUID as its canonical text (lower case, with hyphens), kept as text: a kiosk stores and
seals ids as text, and 200,000 UUID objects made only to be printed again cost a snapshot 0.3 s."""

TEMPLATES_APART = "templates"
"""The validation context key under which a ``layout=binary`` page's templates are passed: the
block that follows the page's JSON line (see ``WhitelistColumns.templates``)."""


class WhitelistColumns(BaseModel):
    """A page's entries as columns, one list per field of WhitelistEntry (position i of each is
    entry i) and the templates as one block: what a kiosk asks for with ``layout=columns``
    (the block in base64) or ``layout=binary`` (the block as raw bytes after the JSON). A
    snapshot of 100,000 commuters as per-entry objects spent most of its time making and reading
    objects and base64 strings one by one."""

    model_config = ConfigDict(extra="forbid")

    commuter_id: list[UuidText]
    version: list[int]
    removed: list[bool]
    valid_until: list[date | None]
    face_only: list[bool | None]
    model: list[str | None]
    last_side: list[Park | None]
    last_crossed_at: list[datetime | None]
    template_bytes: list[Annotated[int, Field(ge=0)]] = Field(
        description="The length of each entry's template in `templates` (0 for a removal)"
    )
    templates: Base64Bytes = Field(
        description="Every entry's template (rows of little-endian float32, as in WhitelistEntry) "
        'one after the other, base64; with layout=binary "" (the block follows the JSON line)'
    )
    credential_owner: list[Annotated[int, Field(ge=0)]] = Field(
        description="For each credential, the position of its commuter's entry"
    )
    credential_id: list[UuidText]
    credential_kind: list[str]
    credential_revoked: list[bool]
    credential_expires_at: list[datetime]
    credential_secret: list[str | None] = Field(description="As WhitelistCredential.secret")

    @field_validator("templates", mode="wrap")
    @classmethod
    def _templates_apart(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """A binary page's templates come apart from its JSON: in the validation context."""
        block = (info.context or {}).get(TEMPLATES_APART)
        if block is None:
            return handler(value)
        if value != "":
            raise ValueError("the templates are both in the page and after it")
        return bytes(block)

    @model_validator(mode="after")
    def _aligned(self) -> WhitelistColumns:
        entries = len(self.commuter_id)
        for name in ENTRY_COLUMNS:
            if len(getattr(self, name)) != entries:
                raise ValueError(f"{name} has {len(getattr(self, name))} values for {entries} entries")
        credentials = len(self.credential_id)
        for name in CREDENTIAL_COLUMNS:
            if len(getattr(self, name)) != credentials:
                raise ValueError(
                    f"{name} has {len(getattr(self, name))} values for {credentials} credentials"
                )
        if sum(self.template_bytes) != len(self.templates):
            raise ValueError("template_bytes does not add up to the templates' length")
        if any(owner >= entries or self.removed[owner] for owner in self.credential_owner):
            raise ValueError("a credential's owner is not an entry of this page")
        return self


ENTRY_COLUMNS = (
    "version",
    "removed",
    "valid_until",
    "face_only",
    "model",
    "last_side",
    "last_crossed_at",
    "template_bytes",
)
CREDENTIAL_COLUMNS = (
    "credential_owner",
    "credential_kind",
    "credential_revoked",
    "credential_expires_at",
    "credential_secret",
)


class WhitelistColumnsPage(BaseModel):
    """A page of ``GET /kiosk/whitelist?layout=columns``: as WhitelistPage, its entries as columns."""

    server_time: datetime | None = None
    cursor: int
    more: bool
    kiosk: KioskSelf
    keys: list[PublicKey]
    columns: WhitelistColumns


class Presence(BaseModel):
    commuter_id: uuid.UUID
    last_side: Park | None
    last_crossed_at: datetime | None


class PassageClaim(BaseModel):
    """A kiosk about to clear someone asks the server, which sees both bridges and every kiosk, to
    claim the passage for it: the commuter's move into the next park and, for a dynamic
    credential, the time step of the code shown. Only one of two simultaneous claims wins."""

    model_config = ConfigDict(extra="forbid")

    crossing_id: uuid.UUID
    """The id the kiosk will record the crossing under."""
    commuter_id: uuid.UUID
    credential_id: uuid.UUID | None = None
    dynamic_step: int | None = Field(default=None, ge=0, le=2**32 - 1)


class PassageAnswer(BaseModel):
    granted: bool
    reason: str | None = Field(default=None, description="anti_passback or replayed, when not granted")
    last_side: Park | None = None
