"""The officers' overview, ``GET /stats``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Stats(BaseModel):
    generated_at: datetime
    in_park: dict[str, int] = Field(description="Active commuters by the park they are in: hk, sz, unknown")
    hourly: dict[str, Any] = Field(description="hours (zone time) and, per checkpoint and direction, counts")
    today: dict[str, Any] = Field(description="Today's attempts, decisions and refusal reasons with rates")
