"""The database models: who may cross, with what credential, and every attempt to cross."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from clearance.core import hanzi
from clearance.core.enums import (
    AlertKind,
    Bridge,
    CommuterStatus,
    CredentialKind,
    Decision,
    Direction,
    ImportStatus,
    Park,
    Role,
)
from clearance.core.zone import utcnow
from clearance.db.base import Base, CreatedMixin, IdMixin, MessageText


def _enum(cls: type[StrEnum], *, length: int = 16) -> Enum:
    # Stored as plain strings (no native enum type) so SQLite and PostgreSQL hold the same.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Organisation(IdMixin, CreatedMixin, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    park: Mapped[Park] = mapped_column(_enum(Park))


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8), default="")
    """The language of the web pages this user chose: en, zh-Hant or zh-Hans; empty until they
    choose, and until then the browser's (a zh-CN browser was switched to English at sign-in)."""
    sessions_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Every access token carries the version it was issued under; a password reset, a new role or
    disabling the account moves it on, so every token issued before is refused at once."""

    organisation: Mapped[Organisation | None] = relationship()


class WebSession(CreatedMixin, Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored here."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    flash: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """What the page after a form's redirect says once (what was done, a secret shown once),
    sealed with the data key; cleared when that page is shown."""

    user: Mapped[User] = relationship()


def person_name(chinese_name: str | None, full_name: str | None) -> str:
    """A commuter's names as people read them: the Chinese one first, then the one in Latin letters."""
    return " ".join(name for name in (chinese_name, full_name) if name)


class Commuter(IdMixin, CreatedMixin, Base):
    __tablename__ = "commuters"
    __table_args__ = (UniqueConstraint("organisation_id", "document_type", "document_index"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    """The name in Latin letters as on the document; empty when the person has only a Chinese one."""
    chinese_name: Mapped[str | None] = mapped_column(String(100))
    """The name in Chinese characters, where the person has one."""
    chinese_name_folded: Mapped[str | None] = mapped_column(String(100))
    """The Chinese name in Simplified characters (clearance/core/hanzi.py), what a search matches:
    set with ``chinese_name`` whichever way it is written."""
    document_type: Mapped[str] = mapped_column(String(32))
    sealed_document_number: Mapped[bytes] = mapped_column(LargeBinary)
    """The travel document number, sealed with the data key (clearance/whitelist/documents.py)."""
    document_index: Mapped[str] = mapped_column(String(64), index=True)
    """Blind index of document type and number: found by equality, never stored in clear."""
    home_park: Mapped[Park] = mapped_column(_enum(Park))
    valid_until: Mapped[date]
    status: Mapped[CommuterStatus] = mapped_column(
        _enum(CommuterStatus), default=CommuterStatus.PENDING, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    enrolled_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    photo_added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    """Who last added an enrolment photo."""
    photo_added_by_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    """Everyone who added an enrolment photo the template holds (user ids): like whoever entered
    the registration, none of them may approve it."""
    approved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    face_only: Mapped[bool] = mapped_column(default=False)
    """Opted in to face-only walk-through at checkpoints that offer it."""
    last_side: Mapped[Park | None] = mapped_column(_enum(Park))
    """The park the commuter was last cleared into; None before their first crossing."""
    last_crossed_at: Mapped[datetime | None]
    last_crossing_id: Mapped[uuid.UUID | None]
    """The crossing that put the commuter where they are (claimed online by a kiosk before its
    record arrives, so the record, when it comes, is recognised)."""
    sync_version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    """Position in the whitelist change feed: bumped on every change a kiosk must learn of."""

    organisation: Mapped[Organisation] = relationship()
    template: Mapped[FaceTemplate | None] = relationship(
        back_populates="commuter", cascade="all, delete-orphan"
    )

    @validates("chinese_name")
    def _fold_chinese_name(self, _key: str, value: str | None) -> str | None:
        self.chinese_name_folded = hanzi.fold(value) if value else None
        return value

    def contributors(self) -> set[uuid.UUID]:
        """Who put something in this registration (entered it, or added a photo): four eyes means
        none of them approves it."""
        return {self.enrolled_by_id, *(uuid.UUID(u) for u in self.photo_added_by_ids or [])}

    @property
    def display_name(self) -> str:
        return person_name(self.chinese_name, self.full_name)


class FaceTemplate(IdMixin, CreatedMixin, Base):
    """A commuter's biometrics, both sealed with the data key; deleted when they are revoked."""

    __tablename__ = "face_templates"

    commuter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commuters.id"), unique=True)
    model: Mapped[str] = mapped_column(String(64))
    sealed_encoding: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_reference_photo: Mapped[bytes] = mapped_column(LargeBinary)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)

    commuter: Mapped[Commuter] = relationship(back_populates="template")


class SigningKey(CreatedMixin, Base):
    """A public key that credentials are signed with; the private half never enters the database."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    retired_at: Mapped[datetime | None]


class DataKeyState(Base):
    """Which data key seals: named here so that a rotation and every server agree on it at one
    moment (clearance/custody/keys.py, Keyring.sealing_key). The key itself is never stored."""

    __tablename__ = "data_key_state"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(4))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Credential(IdMixin, Base):
    __tablename__ = "credentials"

    commuter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("commuters.id"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(_enum(CredentialKind))
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    payload: Mapped[str] = mapped_column(String(512))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    issued_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Dynamic credentials: the key of their time-based code, sealed with the data key."""
    sealed_proof_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Phone passes: the key the phone proves its requests with (never sent to a kiosk; kept after
    revocation so the phone alone learns it was revoked), sealed with the data key."""
    last_counter: Mapped[int | None] = mapped_column(BigInteger)
    """Dynamic credentials: the newest time step accepted online, to refuse a replayed code."""
    activation_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """A phone pass: SHA-256 of the one-time activation token (the token itself is only in the
    link handed to the commuter). Until the pass is activated the credential has no code key."""
    activation_expires_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]

    commuter: Mapped[Commuter] = relationship()


class Checkpoint(IdMixin, CreatedMixin, Base):
    __tablename__ = "checkpoints"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    bridge: Mapped[Bridge] = mapped_column(_enum(Bridge))
    face_only: Mapped[bool] = mapped_column(default=False)


class Kiosk(IdMixin, CreatedMixin, Base):
    __tablename__ = "kiosks"
    __table_args__ = (UniqueConstraint("checkpoint_id", "name"),)

    checkpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkpoints.id"))
    name: Mapped[str] = mapped_column(String(200))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime | None]
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The kiosk's own Ed25519 key for signing its crossing batches (raw 32 bytes), learned when
    it first introduced itself; None until then."""
    chain_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    """The position and hash of the last record accepted from this kiosk's chain."""
    whitelist_synced_at: Mapped[datetime | None]
    """When the kiosk last read the whitelist to its end (its whitelist is as of then)."""
    outbox_waiting: Mapped[int | None]
    """How many crossings the kiosk held undelivered, as it said at its last whitelist sync
    (None from a kiosk that does not say)."""

    checkpoint: Mapped[Checkpoint] = relationship()


class Crossing(Base):
    """One attempt to cross, cleared or not. Never holds an image."""

    __tablename__ = "crossings"
    __table_args__ = (Index("ix_crossings_commuter_id_decided_at", "commuter_id", "decided_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """Made where the decision was made, so a kiosk can deliver the same record twice safely."""
    kiosk_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kiosks.id"))
    checkpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkpoints.id"), index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    commuter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("commuters.id"))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id"))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    distance: Mapped[float | None]
    duration_ms: Mapped[float | None]
    clear_ms: Mapped[float | None]
    """Time to clear, as the kiosk measured it (clearance/core/wire.py); None before 2026-12."""
    previous_left_ms: Mapped[float | None]
    """Time to leave of the person in the kiosk's record before this one (``chain_seq`` − 1), which
    this record carries (clearance/core/wire.py); None before 2026-12-04."""
    decided_at: Mapped[datetime] = mapped_column(index=True)
    """When the attempt was decided, by the server's clock."""
    kiosk_decided_at: Mapped[datetime | None]
    """What the kiosk's own clock said, kept when it was off and decided_at was corrected."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    """Position in the deciding kiosk's chain (clearance/core/chain.py); None if decided online."""
    override_decision: Mapped[Decision | None] = mapped_column(_enum(Decision))
    """An officer's decision that replaces the kiosk's; the kiosk's stays as it was."""
    override_reason: Mapped[str | None] = mapped_column(String(500))
    overridden_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    overridden_at: Mapped[datetime | None]

    @property
    def final_decision(self) -> Decision:
        return self.override_decision or self.decision


class SyncCounter(Base):
    """Monotonic counters. Taking the next value locks the row until the transaction ends, so
    versions become visible in the order they were handed out, and a kiosk's cursor never
    skips a change that commits late."""

    __tablename__ = "sync_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Alert(IdMixin, CreatedMixin, Base):
    """Something an officer must look at that is not a single refused attempt."""

    __tablename__ = "alerts"

    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, length=32))
    commuter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("commuters.id"))
    crossing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("crossings.id"))
    kiosk_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("kiosks.id"))
    detail: Mapped[str] = mapped_column(MessageText(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Alerts raised by more than one process for one cause share this key; one is stored."""
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(String(500))


class SignInFailure(Base):
    """A failed sign-in, counted to refuse the next ones (the audit trail records it too)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    device: Mapped[str | None] = mapped_column(String(32))
    """The device the attempt came from (a client that signed in as this user before), if any."""


class AuditEvent(Base):
    """Who did or looked at what, when and why. Rows are only ever added."""

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(MessageText(500))


class ImportJob(IdMixin, CreatedMixin, Base):
    """A bulk import of commuters from a CSV and a zip of photos, worked through row by row."""

    __tablename__ = "import_jobs"

    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus), default=ImportStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    enrolled: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(MessageText(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]


class ImportRow(Base):
    """What became of one row of an import: enrolled (with the commuter) or failed (with why)."""

    __tablename__ = "import_rows"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(primary_key=True)
    """The row's line in the CSV, counting the header as line 1."""
    full_name: Mapped[str] = mapped_column(String(200))
    enrolled: Mapped[bool]
    commuter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("commuters.id"))
    field: Mapped[str | None] = mapped_column(String(200))
    """The field at fault, or every one of them (comma-separated)."""
    error: Mapped[str | None] = mapped_column(MessageText(1000))
    sealed_values: Mapped[bytes | None] = mapped_column(LargeBinary)
    """A failed row's cells as uploaded (JSON, column by column), sealed with the data key: given
    back in the failed-rows CSV to fix and import again. None for an enrolled row."""

    @property
    def values_context(self) -> bytes:
        """What ``sealed_values`` is sealed to (a blob moved to another row does not open)."""
        return f"import_rows.values:{self.job_id}:{self.line}".encode()
