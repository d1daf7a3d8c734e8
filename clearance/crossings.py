"""Crossing records: every attempt at a kiosk, cleared or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.models import Crossing, Decision, Direction, Kiosk
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
