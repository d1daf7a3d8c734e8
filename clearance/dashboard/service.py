"""Now and today, for the officers' dashboard: who is in which park, crossings per checkpoint and
direction hour by hour, and why attempts were refused."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from clearance.core.enums import AuditAction, CommuterStatus, Decision, Park
from clearance.core.zone import ZONE_TIME
from clearance.db.models import AuditEvent, Checkpoint, Commuter, Crossing, Kiosk, User


def _hour_of(column: Any, dialect: str) -> ColumnElement[str]:
    """The UTC hour of a timestamp column as text ``YYYY-MM-DD HH`` (zone time is UTC+8, so
    UTC hours and local hours share their boundaries)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)


def in_park_now(session: Session) -> dict[str, int]:
    """Active commuters by the park they were last cleared into; ``unknown`` before a first crossing."""
    rows = session.execute(
        select(Commuter.last_side, func.count())
        .where(Commuter.status == CommuterStatus.ACTIVE)
        .group_by(Commuter.last_side)
    )
    counts = {Park.HK.value: 0, Park.SZ.value: 0, "unknown": 0}
    for side, count in rows:
        counts[side.value if side else "unknown"] += count
    return counts


def hourly_crossings(session: Session, *, now: datetime, hours: int) -> dict[str, Any]:
    """Attempts per checkpoint and direction in each of the last ``hours`` hours, oldest first."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    labels = [(start + timedelta(hours=i)).strftime("%Y-%m-%d %H") for i in range(hours)]
    hour = _hour_of(Crossing.decided_at, session.get_bind().dialect.name)
    rows = session.execute(
        select(Checkpoint.name, Crossing.direction, hour, func.count())
        .join(Checkpoint, Crossing.checkpoint_id == Checkpoint.id)
        .where(Crossing.decided_at >= start, Crossing.decided_at < end)
        .group_by(Checkpoint.name, Crossing.direction, hour)
    )
    series: dict[tuple[str, str], list[int]] = {}
    index = {label: i for i, label in enumerate(labels)}
    for checkpoint, direction, label, count in rows:
        counts = series.setdefault((checkpoint, direction.value), [0] * hours)
        if label in index:
            counts[index[label]] += count
    return {
        "hours": [
            datetime.strptime(label, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(ZONE_TIME).isoformat()
            for label in labels
        ],
        "series": [
            {"checkpoint": checkpoint, "direction": direction, "counts": counts}
            for (checkpoint, direction), counts in sorted(series.items())
        ],
    }


def refusals_today(session: Session, *, now: datetime) -> dict[str, Any]:
    """Today's attempts (zone time) and, for each reason, how many were refused or referred for
    it and what share of all attempts that is. An attempt can carry several reasons."""
    start = now.astimezone(ZONE_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    decisions = dict(
        session.execute(
            select(Crossing.decision, func.count())
            .where(Crossing.decided_at >= start)
            .group_by(Crossing.decision)
        ).all()
    )
    attempts = sum(decisions.values())
    reasons: Counter[str] = Counter()
    refused = select(Crossing.reasons).where(
        Crossing.decided_at >= start, Crossing.decision != Decision.CLEARED
    )
    for (row_reasons,) in session.execute(refused):
        reasons.update(row_reasons)
    return {
        "since": start.isoformat(),
        "attempts": attempts,
        "decisions": {decision.value: decisions.get(decision, 0) for decision in Decision},
        "reasons": [
            {"reason": reason, "count": count, "rate": round(count / attempts, 4)}
            for reason, count in reasons.most_common()
        ],
    }


def overview(
    session: Session, *, now: datetime, hours: int = 12, silent_after: timedelta = timedelta(minutes=5)
) -> dict[str, Any]:
    return {
        "generated_at": now.isoformat(),
        "in_park": in_park_now(session),
        "hourly": hourly_crossings(session, now=now, hours=hours),
        "today": refusals_today(session, now=now),
        "lanes": lanes(session, now=now, silent_after=silent_after),
    }


def _minutes(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def lanes(session: Session, *, now: datetime, silent_after: timedelta) -> list[dict[str, Any]]:
    """Each checkpoint (its bridge) with each of its kiosks (a lane): its state (online, silent
    for how long, never called, disabled), how old its whitelist is, how many crossings it said
    it holds undelivered, and today's attempts and referrals there."""
    start = now.astimezone(ZONE_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    today: dict[tuple[uuid.UUID, Decision], int] = {
        (kiosk_id, decision): count
        for kiosk_id, decision, count in session.execute(
            select(Crossing.kiosk_id, Crossing.decision, func.count())
            .where(Crossing.decided_at >= start)
            .group_by(Crossing.kiosk_id, Crossing.decision)
        )
    }
    checkpoints: dict[uuid.UUID, dict[str, Any]] = {}
    kiosks = session.scalars(
        select(Kiosk).join(Checkpoint).order_by(Checkpoint.name, Kiosk.direction, Kiosk.name)
    )
    for kiosk in kiosks:
        silent = _minutes(kiosk.last_seen_at, now)
        if not kiosk.is_active:
            state = "disabled"
        elif kiosk.last_seen_at is None:
            state = "never called"
        elif now - kiosk.last_seen_at >= silent_after:
            state = "silent"
        else:
            state = "online"
        checkpoint = checkpoints.setdefault(
            kiosk.checkpoint_id,
            {"name": kiosk.checkpoint.name, "bridge": kiosk.checkpoint.bridge.value, "kiosks": []},
        )
        checkpoint["kiosks"].append(
            {
                "id": str(kiosk.id),
                "name": kiosk.name,
                "direction": kiosk.direction.value,
                "state": state,
                "silent_minutes": silent,
                "whitelist_minutes": _minutes(kiosk.whitelist_synced_at, now),
                "waiting": kiosk.outbox_waiting,
                "attempts": sum(today.get((kiosk.id, decision), 0) for decision in Decision),
                "referred": today.get((kiosk.id, Decision.REFER), 0),
            }
        )
    return list(checkpoints.values())


def evidence_seen(session: Session, registrations: list[Commuter], *, user: User) -> set[uuid.UUID]:
    """Which of ``registrations`` ``user`` opened the evidence of (photos and document, purpose
    "approval") since each last changed: those they may approve together from the queue."""
    if not registrations:
        return set()
    last = dict(
        session.execute(
            select(AuditEvent.object_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.action == AuditAction.VIEW_REFERENCE_PHOTO.value,
                AuditEvent.purpose == "approval",
                AuditEvent.user_id == user.id,
                AuditEvent.object_id.in_([str(c.id) for c in registrations]),
            )
            .group_by(AuditEvent.object_id)
        ).all()
    )
    return {c.id for c in registrations if str(c.id) in last and last[str(c.id)] >= c.updated_at}


def count_pending_registrations(session: Session) -> int:
    query = select(func.count()).select_from(Commuter).where(Commuter.status == CommuterStatus.PENDING)
    return session.scalar(query) or 0


def pending_registrations(session: Session, *, limit: int = 200) -> list[Commuter]:
    """Registrations waiting for an officer's approval, oldest first (the officers' queue)."""
    query = select(Commuter).where(Commuter.status == CommuterStatus.PENDING).order_by(Commuter.created_at)
    return list(session.scalars(query.limit(limit)))
