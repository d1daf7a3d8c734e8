"""Response and request bodies of the officers' crossing endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clearance.core.enums import Decision, Direction
from clearance.db.base import ORMModel


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
    clear_ms: float | None = Field(
        default=None, description="time to clear, from the first frame showing the person to the decision"
    )
    previous_left_ms: float | None = Field(
        default=None,
        description="time to leave of the person in this kiosk's record before this one, from that "
        "decision to the last frame showing them (it travels with the next record)",
    )
    decided_at: datetime
    recorded_at: datetime


class CrossingOverride(BaseModel):
    decision: Decision = Field(description="cleared or rejected: an override decides")
    reason: str = Field(min_length=3, max_length=500)


class CrossingOverridden(CrossingOut):
    override_decision: Decision | None
    override_reason: str | None
    overridden_by_id: uuid.UUID | None
    overridden_at: datetime | None
