"""Alerts as the officers' API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clearance.db.base import ORMModel


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
