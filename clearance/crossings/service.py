"""Crossing records: every attempt at a kiosk, cleared or not."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearance import alerts, audit, chain, errors, events, presence
from clearance.errors import InvalidInput, InvalidTransition, NotFound
from clearance.models import (
    AlertKind,
    Checkpoint,
    Commuter,
    Credential,
    Crossing,
    Decision,
    Direction,
    Kiosk,
)
from clearance.rules import Outcome, Reason


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
    if credential_id is not None and Reason.FACE_MISMATCH in outcome.reasons:
        alerts.check_face_mismatches(session, credential_ids=[credential_id], now=decided_at)
    announce_crossings(session, [crossing])
    return crossing


def describe_crossings(session: Session, crossings: list[Crossing]) -> list[dict[str, Any]]:
    """Crossings as the dashboard and the event feed show them, with the names of who and where."""
    commuter_ids = {c.commuter_id for c in crossings if c.commuter_id}
    names = {
        row.id: row.full_name
        for row in session.execute(
            select(Commuter.id, Commuter.full_name).where(Commuter.id.in_(commuter_ids))
        )
    }
    kiosk_ids = {c.kiosk_id for c in crossings}
    places = {
        kiosk_id: (checkpoint, kiosk)
        for kiosk_id, checkpoint, kiosk in session.execute(
            select(Kiosk.id, Checkpoint.name, Kiosk.name)
            .join(Checkpoint, Kiosk.checkpoint_id == Checkpoint.id)
            .where(Kiosk.id.in_(kiosk_ids))
        )
    }
    return [
        {
            "type": "crossing",
            "id": str(c.id),
            "decided_at": c.decided_at.isoformat(),
            "recorded_at": c.recorded_at.isoformat(),
            "decision": c.decision.value,
            "final_decision": c.final_decision.value,
            "reasons": list(c.reasons),
            "distance": c.distance,
            "direction": c.direction.value,
            "checkpoint_id": str(c.checkpoint_id),
            "checkpoint": places[c.kiosk_id][0],
            "kiosk": places[c.kiosk_id][1],
            "commuter_id": str(c.commuter_id) if c.commuter_id else None,
            "commuter_name": names.get(c.commuter_id) if c.commuter_id else None,
            "override_decision": c.override_decision.value if c.override_decision else None,
            "override_reason": c.override_reason,
        }
        for c in crossings
    ]


def announce_crossings(session: Session, crossings: list[Crossing]) -> None:
    events.publish(session, *describe_crossings(session, crossings))


def crossings_recorded_after(session: Session, *, after: datetime, limit: int = 200) -> list[Crossing]:
    """Crossings recorded after ``after``, oldest first: what a reconnecting live view missed."""
    query = select(Crossing).where(Crossing.recorded_at > after).order_by(Crossing.recorded_at, Crossing.id)
    return list(session.scalars(query.limit(limit)))


def get_crossing_or_raise(session: Session, crossing_id: uuid.UUID) -> Crossing:
    crossing = session.get(Crossing, crossing_id)
    if crossing is None:
        raise NotFound(f"no crossing with id {crossing_id}")
    return crossing


def list_referred(session: Session, *, limit: int = 200) -> list[Crossing]:
    """Attempts the kiosks referred to an officer that no officer has decided yet, newest first."""
    query = select(Crossing).where(Crossing.decision == Decision.REFER, Crossing.override_decision.is_(None))
    return list(session.scalars(query.order_by(Crossing.decided_at.desc()).limit(limit)))


def override_crossing(
    session: Session,
    *,
    crossing: Crossing,
    decision: Decision,
    reason: str,
    actor: audit.Actor,
    now: datetime,
) -> Crossing:
    """An officer's decision in place of the kiosk's, with a reason; the kiosk's is kept.

    Clearing a commuter this way moves them to the park the kiosk leads into, as if the kiosk
    had cleared them (unless a later crossing of theirs is already recorded)."""
    if crossing.override_decision is not None:
        raise InvalidTransition(
            f"this crossing was already overridden ({crossing.override_decision.value}) at "
            f"{crossing.overridden_at:%Y-%m-%d %H:%M} UTC"
        )
    if decision is Decision.REFER:
        raise InvalidInput("an override decides: cleared or rejected")
    if not reason.strip():
        raise InvalidInput("an override needs a reason")
    assert actor.user is not None
    crossing.override_decision = decision
    crossing.override_reason = reason.strip()
    crossing.overridden_by_id = actor.user.id
    crossing.overridden_at = now
    if (
        decision is Decision.CLEARED
        and crossing.commuter_id is not None
        and crossing.decision is not Decision.CLEARED
    ):
        commuter = session.get(Commuter, crossing.commuter_id)
        assert commuter is not None
        presence.record_passage(
            session, commuter=commuter, direction=crossing.direction, at=crossing.decided_at
        )
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action="override_crossing",
        object_type="crossing",
        object_id=crossing.id,
        detail=f"{crossing.decision.value} -> {decision.value}: {crossing.override_reason}",
    )
    announce_crossings(session, [crossing])
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
    seq: int | None = Field(default=None, ge=1, le=2**62)
    """Position in the kiosk's chain of records (clearance/chain.py)."""
    prev_hash: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")


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
    session: Session, *, kiosk: Kiosk, items: list[Any], now: datetime, signature: str | None = None
) -> list[UploadResult]:
    """Store a kiosk's batch idempotently: each item is ``created``, a ``duplicate`` of one
    already stored (a retry after a lost answer), or ``invalid`` with the reason. Cleared
    crossings move the commuter to their new park; one into the park they were already in
    raises an anti-passback alert."""
    if kiosk.public_key is not None:
        check_batch_signature(session, kiosk=kiosk, items=items, signature=signature)
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
        elif kiosk.public_key is not None and (upload.seq is None or upload.prev_hash is None):
            results[index] = UploadResult(raw_id, UploadStatus.INVALID, "seq and prev_hash are required")
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
            "chain_seq": upload.seq,
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
            alerts.raise_alert(
                session,
                kind=AlertKind.ANTI_PASSBACK_CONFLICT,
                commuter_id=commuter.id,
                crossing_id=upload.id,
                kiosk_id=kiosk.id,
                detail=f"cleared {kiosk.direction.value} while already recorded in "
                f"{presence.DESTINATION[kiosk.direction].value} (decided offline)",
            )
    session.flush()
    chained = [items[i] for i, u in valid.items() if u.id in created and u.seq is not None]
    if chained:
        follow_chain(session, kiosk=kiosk, records=chained)
    stored = [u for u in valid.values() if u.id in created]
    mismatched = {
        u.credential_id for u in stored if u.credential_id and Reason.FACE_MISMATCH.value in u.reasons
    }
    if mismatched:
        alerts.check_face_mismatches(session, credential_ids=mismatched, now=now)
    if stored:
        announce_crossings(session, list(session.scalars(select(Crossing).where(Crossing.id.in_(created)))))
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


def check_batch_signature(session: Session, *, kiosk: Kiosk, items: list[Any], signature: str | None) -> None:
    """Refuse a batch not signed by ``kiosk``'s registered key, after raising an alert (which the
    caller must commit: see the route)."""
    hashes = [chain.record_hash(item if isinstance(item, dict) else {}) for item in items]
    assert kiosk.public_key is not None
    try:
        Ed25519PublicKey.from_public_bytes(kiosk.public_key).verify(
            base64.b64decode(signature or "", validate=True), chain.batch_message(hashes)
        )
        return
    except (InvalidSignature, ValueError, binascii.Error):
        pass
    alerts.raise_alert(
        session,
        kind=AlertKind.CROSSING_LOG_TAMPERED,
        kiosk_id=kiosk.id,
        detail=f"a batch of {len(items)} crossings came with a missing or wrong signature; refused",
        dedupe_key=f"batch_signature:{kiosk.id}:{hashes[0] if hashes else ''}",
    )
    raise errors.InvalidSignature("the batch is not signed with this kiosk's registered key")


def follow_chain(session: Session, *, kiosk: Kiosk, records: list[dict[str, Any]]) -> None:
    """Check newly stored records against ``kiosk``'s chain, in order, raising an alert for each
    gap, fork or broken link, and move the kiosk's chain head on."""
    locked = session.scalar(select(Kiosk).where(Kiosk.id == kiosk.id).with_for_update())
    assert locked is not None
    for record in sorted(records, key=lambda r: int(r["seq"])):
        seq = int(record["seq"])
        problem = chain.link_problem(
            head_seq=locked.chain_seq,
            head_hash=locked.chain_hash or chain.GENESIS,
            seq=seq,
            prev_hash=str(record["prev_hash"]),
        )
        if problem is not None:
            alerts.raise_alert(
                session,
                kind=AlertKind.CROSSING_LOG_TAMPERED,
                kiosk_id=kiosk.id,
                crossing_id=uuid.UUID(str(record["id"])),
                detail=f"kiosk {kiosk.name}: {problem}",
                dedupe_key=f"chain:{kiosk.id}:{seq}",
            )
        if seq > locked.chain_seq:
            locked.chain_seq = seq
            locked.chain_hash = chain.record_hash(record)
    session.flush()


def register_kiosk_key(session: Session, *, kiosk: Kiosk, public_key: bytes) -> None:
    """Learn ``kiosk``'s batch-signing key the first time it presents one; a different key
    later is refused (and raised as an alert the caller must commit)."""
    if kiosk.public_key is None:
        kiosk.public_key = public_key
        session.flush()
        return
    if kiosk.public_key != public_key:
        alerts.raise_alert(
            session,
            kind=AlertKind.CROSSING_LOG_TAMPERED,
            kiosk_id=kiosk.id,
            detail=f"kiosk {kiosk.name} presented a signing key other than the one it registered",
            dedupe_key=f"kiosk_key:{kiosk.id}:{base64.b16encode(public_key[:8]).decode()}",
        )
        raise errors.Conflict(
            "this kiosk registered another signing key: to replace the kiosk, add a new one"
        )
