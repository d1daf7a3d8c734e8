"""The answer of the online check, ``POST /kiosk/verify``."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from clearance.core.enums import Decision


class VerifyResult(BaseModel):
    decision: Decision
    reasons: list[str]
    commuter_id: uuid.UUID | None = None
    distance: float | None = None
    crossing_id: uuid.UUID
    timings_ms: dict[str, float] = Field(
        description="Milliseconds spent in each step on the server, in the order they ran."
    )
