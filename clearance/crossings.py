"""Crossing records: every attempt at a kiosk, cleared or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearance import presence
from clearance.models import Alert, AlertKind, Commuter, Credential, Crossing, Decision, Direction, Kiosk
from clearance.rules import Outcome


def record_crossing(
    session: Session,
    *,
    crossing_id: uuid.UUID,
    kiosk: Kiosk,
    outcome: Outcome,
    decided_at: datetime,
    commuter_id: uuid.UUID | None = None,
    credential_id: uuid.UUID | None = None,
    distance: float | None = None,
    duration_ms: float | None = None,
) -> Crossing:
    crossing = Crossing(
        id=crossing_id,
        kiosk_id=kiosk.id,
        checkpoint_id=kiosk.checkpoint_id,
        direction=kiosk.direction,
        commuter_id=commuter_id,
        credential_id=credential_id,
        decision=outcome.decision,
        reasons=[reason.value for reason in outcome.reasons],
        distance=distance,
        duration_ms=duration_ms,
        decided_at=decided_at,
    )
    session.add(crossing)
    session.flush()
    return crossing


@dataclass(frozen=True)
class CrossingFilters:
    commuter_id: uuid.UUID | None = None
    checkpoint_id: uuid.UUID | None = None
    kiosk_id: uuid.UUID | None = None
    decision: Decision | None = None
    direction: Direction | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_crossings(
    session: Session, *, filters: CrossingFilters, limit: int, offset: int = 0
) -> list[Crossing]:
    """Crossings matching ``filters``, newest first."""
    query = select(Crossing)
    if filters.commuter_id is not None:
        query = query.where(Crossing.commuter_id == filters.commuter_id)
    if filters.checkpoint_id is not None:
        query = query.where(Crossing.checkpoint_id == filters.checkpoint_id)
    if filters.kiosk_id is not None:
        query = query.where(Crossing.kiosk_id == filters.kiosk_id)
    if filters.decision is not None:
        query = query.where(Crossing.decision == filters.decision)
    if filters.direction is not None:
        query = query.where(Crossing.direction == filters.direction)
    if filters.since is not None:
        query = query.where(Crossing.decided_at >= filters.since)
    if filters.until is not None:
        query = query.where(Crossing.decided_at < filters.until)
    query = query.order_by(Crossing.decided_at.desc(), Crossing.id).limit(limit).offset(offset)
    return list(session.scalars(query))


class CrossingUpload(BaseModel):
    """One crossing a kiosk decided on its own, as it delivers it from its outbox."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    decided_at: AwareDatetime
    decision: Decision
    reasons: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    commuter_id: uuid.UUID | None = None
    credential_id: uuid.UUID | None = None
    distance: float | None = Field(default=None, ge=0, le=4)
    duration_ms: float | None = Field(default=None, ge=0)


class UploadStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass(frozen=True)
class UploadResult:
    id: str
    status: UploadStatus
    detail: str | None = None


_UPLOAD = TypeAdapter(CrossingUpload)
# A kiosk clock may run a little fast; a crossing further in the future than this is refused.
CLOCK_TOLERANCE = timedelta(minutes=5)


def ingest_crossings(
    session: Session, *, kiosk: Kiosk, items: list[Any], now: datetime
) -> list[UploadResult]:
    """Store a kiosk's batch idempotently: each item is ``created``, a ``duplicate`` of one
    already stored (a retry after a lost answer), or ``invalid`` with the reason. Cleared
    crossings move the commuter to their new park; one into the park they were already in
    raises an anti-passback alert."""
    results: dict[int, UploadResult] = {}
    valid: dict[int, CrossingUpload] = {}
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        raw_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        try:
            upload = _UPLOAD.validate_python(item)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            results[index] = UploadResult(raw_id, UploadStatus.INVALID, f"{where}: {problem['msg']}")
            continue
        if upload.decided_at > now + CLOCK_TOLERANCE:
            results[index] = UploadResult(raw_id, UploadStatus.INVALID, "decided_at is in the future")
        elif upload.id in seen:
            results[index] = UploadResult(raw_id, UploadStatus.DUPLICATE)
        else:
            seen.add(upload.id)
            valid[index] = upload
    _refuse_unknown_references(session, valid, results)
    rows = [
        {
            "id": upload.id,
            "kiosk_id": kiosk.id,
            "checkpoint_id": kiosk.checkpoint_id,
            "direction": kiosk.direction,
            "commuter_id": upload.commuter_id,
            "credential_id": upload.credential_id,
            "decision": upload.decision,
            "reasons": upload.reasons,
            "distance": upload.distance,
            "duration_ms": upload.duration_ms,
            "decided_at": upload.decided_at,
            "recorded_at": now,
        }
        for upload in valid.values()
    ]
    created: set[uuid.UUID] = set()
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Crossing).on_conflict_do_nothing(index_elements=["id"]).returning(Crossing.id)
        created = set(session.scalars(statement, rows))
    for index, upload in valid.items():
        status = UploadStatus.CREATED if upload.id in created else UploadStatus.DUPLICATE
        results[index] = UploadResult(str(upload.id), status)
    cleared = sorted(
        (u for u in valid.values() if u.id in created and u.decision is Decision.CLEARED and u.commuter_id),
        key=lambda u: u.decided_at,
    )
    for upload in cleared:
        commuter = session.get(Commuter, upload.commuter_id)
        assert commuter is not None
        if presence.record_passage(
            session, commuter=commuter, direction=kiosk.direction, at=upload.decided_at
        ):
            session.add(
                Alert(
                    kind=AlertKind.ANTI_PASSBACK_CONFLICT,
                    commuter_id=commuter.id,
                    crossing_id=upload.id,
                    kiosk_id=kiosk.id,
                    detail=f"cleared {kiosk.direction.value} while already recorded in "
                    f"{presence.DESTINATION[kiosk.direction].value} (decided offline)",
                )
            )
    session.flush()
    return [results[index] for index in range(len(items))]


def _refuse_unknown_references(
    session: Session, valid: dict[int, CrossingUpload], results: dict[int, UploadResult]
) -> None:
    commuter_ids = {u.commuter_id for u in valid.values() if u.commuter_id}
    credential_ids = {u.credential_id for u in valid.values() if u.credential_id}
    known_commuters = set(session.scalars(select(Commuter.id).where(Commuter.id.in_(commuter_ids))))
    known_credentials = set(session.scalars(select(Credential.id).where(Credential.id.in_(credential_ids))))
    for index, upload in list(valid.items()):
        if upload.commuter_id and upload.commuter_id not in known_commuters:
            detail = "unknown commuter_id"
        elif upload.credential_id and upload.credential_id not in known_credentials:
            detail = "unknown credential_id"
        else:
            continue
        del valid[index]
        results[index] = UploadResult(str(upload.id), UploadStatus.INVALID, detail)
