"""Kiosks delivering the crossings they decided on their own: idempotent, signed, chained.

Each batch is signed by the kiosk's own key and each record is a link of the kiosk's chain
(``clearance.core.chain``); the server checks both on arrival and alerts officers to anything
that does not add up. Records are stored all the same: a crossing is never dropped.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.alerts import service as alerts
from clearance.audit import service as audit
from clearance.core import chain, errors
from clearance.core.enums import AlertKind, AuditAction
from clearance.core.messages import Message, Words, words
from clearance.core.wire import CrossingRecord, UploadResult, UploadStatus
from clearance.crossings import service as crossings
from clearance.db.actors import Actor, KioskActor
from clearance.db.engine import dialect_insert
from clearance.db.models import Commuter, Credential, Crossing, Kiosk

_UPLOAD = TypeAdapter(CrossingRecord)
CLOCK_TOLERANCE = timedelta(seconds=30)
CREDIBLE_OFFSET = timedelta(days=366)
"""A kiosk clock further off than this is not corrected for: it is ignored."""
"""A kiosk clock further off than this is corrected for (and an officer told)."""


@dataclass(frozen=True)
class Delivery:
    results: list[UploadResult]
    clock_offset: float | None
    """How far the kiosk's clock is ahead of the server's, in seconds (negative: behind)."""


def ingest_crossings(
    session: Session,
    *,
    kiosk: Kiosk,
    items: list[Any],
    now: datetime,
    signature: str | None,
    sent_at: datetime | None,
    actor: KioskActor,
) -> Delivery:
    """Store a kiosk's batch idempotently: each item is ``created``, a ``duplicate`` of one
    already stored (a retry after a lost answer), or ``invalid`` with the reason.

    In four steps: the batch is verified (signed by the kiosk's registered key), its items are
    validated, the new ones inserted, and what was inserted takes effect (followed along the
    kiosk's chain, presence moved, alerts raised, officers told). Nothing a kiosk decided is
    refused for its time: a kiosk whose clock is off (measured from the batch's ``sent_at``) has
    its crossings recorded at the server's time, the kiosk's own kept beside it, and officers are
    alerted. The delivery is one audit record (each crossing is its own record already)."""
    verify_batch(session, kiosk=kiosk, items=items, signature=signature)
    clock = KioskClock.measure(sent_at, now=now)
    checked = validate_items(items, clock=clock, now=now)
    _refuse_unknown_references(session, checked)
    created = insert_crossings(session, kiosk=kiosk, checked=checked, now=now)
    stored = [u for u in checked.valid.values() if u.id in created]
    corrected = [u for u in stored if checked.server_times[u.id] != u.decided_at]
    if corrected:
        _alert_clock(session, kiosk=kiosk, offset=clock.offset, count=len(corrected), now=now)
    # Every signed record follows the chain, even one refused as invalid: the kiosk did write it.
    chained = [
        item
        for index, item in enumerate(items)
        if isinstance(item, dict)
        and (index not in checked.valid or checked.valid[index].id in created)
        and checked.results[index].status is not UploadStatus.DUPLICATE
        and _chain_link(item)
    ]
    if chained:
        follow_chain(session, kiosk=kiosk, records=chained, stored=created)
    if created:
        rows = list(session.scalars(select(Crossing).where(Crossing.id.in_(created))))
        crossings.take_effect(session, rows, now=now, how=crossings.Effect.OFFLINE)
    answered = [checked.results[index] for index in range(len(items))]
    counts = {status.value: sum(r.status is status for r in answered) for status in UploadStatus}
    delivered = Message("{created} created, {duplicate} duplicate, {invalid} invalid", **counts)
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.DELIVER_CROSSINGS,
        object_type="kiosk",
        object_id=kiosk.id,
        detail=words(
            "{delivered}; kiosk clock {offset} s", delivered=delivered, offset=f"{clock.offset:+.0f}"
        )
        if clock.skewed and clock.offset is not None
        else Words(delivered),
    )
    return Delivery(answered, clock.offset if clock.credible else None)


def verify_batch(session: Session, *, kiosk: Kiosk, items: list[Any], signature: str | None) -> None:
    """Refuse a batch from a kiosk that has not registered its signing key, or not signed by it."""
    if kiosk.public_key is None:
        raise errors.Conflict(
            "this kiosk has not registered its signing key: POST /kiosk/identity first (unsigned "
            "records are refused)"
        )
    check_batch_signature(session, kiosk=kiosk, items=items, signature=signature)


@dataclass(frozen=True)
class KioskClock:
    offset: float | None
    """How far the kiosk's clock is ahead of the server's, in seconds (None: it did not say)."""

    @property
    def credible(self) -> bool:
        """Whether the kiosk's clock is near enough to be corrected by (``CREDIBLE_OFFSET``)."""
        return self.offset is None or abs(self.offset) <= CREDIBLE_OFFSET.total_seconds()

    @property
    def skewed(self) -> bool:
        return self.offset is not None and abs(self.offset) > CLOCK_TOLERANCE.total_seconds()

    @classmethod
    def measure(cls, sent_at: datetime | None, *, now: datetime) -> KioskClock:
        return cls((sent_at - now).total_seconds() if sent_at is not None else None)

    def server_time(self, decided_at: datetime, *, now: datetime) -> datetime:
        """When the server takes a record decided at the kiosk's ``decided_at`` to have happened:
        corrected by the offset when the clock is off; without the kiosk's clock to go by, a time
        in the future is the kiosk's mistake and becomes now. A clock off by more than
        ``CREDIBLE_OFFSET`` tells nothing (a kiosk set to year 1 or 9999): its records are taken
        as decided now, never computed from it."""
        if not self.credible:
            return now
        try:
            decided = (
                decided_at - timedelta(seconds=self.offset) if self.skewed and self.offset else decided_at
            )
        except OverflowError:
            return now
        return min(decided, now) if decided > now + CLOCK_TOLERANCE else decided


@dataclass
class CheckedItems:
    """A batch's items after validation, by their index in the batch."""

    results: dict[int, UploadResult] = field(default_factory=dict)
    """Items already answered (invalid, or a duplicate within the batch)."""
    valid: dict[int, CrossingRecord] = field(default_factory=dict)
    server_times: dict[uuid.UUID, datetime] = field(default_factory=dict)


def validate_items(items: list[Any], *, clock: KioskClock, now: datetime) -> CheckedItems:
    """Each item as a typed record, or the reason it is not one; a record twice in one batch is
    a duplicate the second time."""
    checked = CheckedItems()
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        raw_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        try:
            upload = _UPLOAD.validate_python(item)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            checked.results[index] = UploadResult(
                id=raw_id, status=UploadStatus.INVALID, detail=f"{where}: {problem['msg']}"
            )
            continue
        if upload.seq is None or upload.prev_hash is None:
            checked.results[index] = UploadResult(
                id=raw_id, status=UploadStatus.INVALID, detail="seq and prev_hash are required"
            )
        elif upload.id in seen:
            checked.results[index] = UploadResult(id=raw_id, status=UploadStatus.DUPLICATE)
        else:
            seen.add(upload.id)
            checked.valid[index] = upload
            checked.server_times[upload.id] = clock.server_time(upload.decided_at, now=now)
    return checked


def insert_crossings(
    session: Session, *, kiosk: Kiosk, checked: CheckedItems, now: datetime
) -> set[uuid.UUID]:
    """Insert the valid records not stored before (ON CONFLICT DO NOTHING on the kiosk-made id),
    answering each ``created`` or ``duplicate``; the ids created."""
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
            "clear_ms": upload.clear_ms,
            "previous_left_ms": upload.previous_left_ms,
            "decided_at": checked.server_times[upload.id],
            "kiosk_decided_at": upload.decided_at
            if checked.server_times[upload.id] != upload.decided_at
            else None,
            "recorded_at": now,
            "chain_seq": upload.seq,
        }
        for upload in checked.valid.values()
    ]
    created: set[uuid.UUID] = set()
    if rows:
        statement = (
            dialect_insert(session)(Crossing)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(Crossing.id)
        )
        created = set(session.scalars(statement, rows))
    for index, upload in checked.valid.items():
        status = UploadStatus.CREATED if upload.id in created else UploadStatus.DUPLICATE
        checked.results[index] = UploadResult(id=str(upload.id), status=status)
    return created


def _chain_link(item: dict[str, Any]) -> bool:
    """The item carries a usable chain position and link (whatever else is wrong with it)."""
    seq, prev_hash, record_id = item.get("seq"), item.get("prev_hash"), item.get("id")
    if not (
        isinstance(seq, int) and 1 <= seq <= 2**62 and isinstance(prev_hash, str) and len(prev_hash) == 64
    ):
        return False
    try:
        uuid.UUID(str(record_id))
    except ValueError:
        return False
    return True


def _alert_clock(session: Session, *, kiosk: Kiosk, offset: float | None, count: int, now: datetime) -> None:
    if offset is None:
        how = Message("in the future (the kiosk did not say its time)")
    elif offset > 0:
        how = Message("{seconds} s ahead of the server's", seconds=f"{abs(offset):.0f}")
    else:
        how = Message("{seconds} s behind the server's", seconds=f"{abs(offset):.0f}")
    alerts.raise_alert(
        session,
        kind=AlertKind.KIOSK_CLOCK,
        kiosk_id=kiosk.id,
        detail=words(
            "kiosk {kiosk}: its clock is {how}; {count} crossings recorded at the server's time "
            "(the kiosk's own kept beside them)",
            kiosk=kiosk.name,
            how=how,
            count=count,
        ),
        dedupe_key=f"kiosk_clock:{kiosk.id}:{now:%Y%m%d%H}",
    )


def _refuse_unknown_references(session: Session, checked: CheckedItems) -> None:
    """A record naming a commuter or credential the server does not know is invalid."""
    valid = checked.valid
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
        checked.results[index] = UploadResult(id=str(upload.id), status=UploadStatus.INVALID, detail=detail)


def check_batch_signature(session: Session, *, kiosk: Kiosk, items: list[Any], signature: str | None) -> None:
    """Refuse a batch not signed by ``kiosk``'s registered key, after raising an alert (which the
    refusal keeps)."""
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
        detail=words(
            "a batch of {n} crossings came with a missing or wrong signature; refused", n=len(items)
        ),
        dedupe_key=f"batch_signature:{kiosk.id}:{hashes[0] if hashes else ''}",
    )
    raise errors.InvalidSignature("the batch is not signed with this kiosk's registered key").keep_record()


def follow_chain(
    session: Session, *, kiosk: Kiosk, records: list[dict[str, Any]], stored: set[uuid.UUID]
) -> None:
    """Check newly arrived records (``stored``: those kept as crossings) against ``kiosk``'s
    chain, in order, raising an alert for each gap, fork or broken link, and move the kiosk's
    chain head on."""
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
            record_id = uuid.UUID(str(record["id"]))
            alerts.raise_alert(
                session,
                kind=AlertKind.CROSSING_LOG_TAMPERED,
                kiosk_id=kiosk.id,
                crossing_id=record_id if record_id in stored else None,
                detail=words("kiosk {kiosk}: {problem}", kiosk=kiosk.name, problem=problem),
                dedupe_key=f"chain:{kiosk.id}:{seq}",
            )
        if seq > locked.chain_seq:
            locked.chain_seq = seq
            locked.chain_hash = chain.record_hash(record)
    session.flush()


def register_kiosk_key(session: Session, *, kiosk: Kiosk, public_key: bytes, actor: Actor) -> None:
    """Learn ``kiosk``'s batch-signing key the first time it presents one; a different key
    later is refused (and raised as an alert the refusal keeps)."""
    if kiosk.public_key is None:
        kiosk.public_key = public_key
        session.flush()
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.REGISTER_KIOSK_KEY,
            object_type="kiosk",
            object_id=kiosk.id,
            detail=words("Ed25519 key {key}…", key=public_key[:8].hex()),
        )
        return
    if kiosk.public_key != public_key:
        alerts.raise_alert(
            session,
            kind=AlertKind.CROSSING_LOG_TAMPERED,
            kiosk_id=kiosk.id,
            detail=words(
                "kiosk {kiosk} presented a signing key other than the one it registered", kiosk=kiosk.name
            ),
            dedupe_key=f"kiosk_key:{kiosk.id}:{base64.b16encode(public_key[:8]).decode()}",
        )
        raise errors.Conflict(
            "this kiosk registered another signing key: to replace the kiosk, add a new one"
        ).keep_record()
