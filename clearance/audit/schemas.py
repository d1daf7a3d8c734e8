"""The audit trail as the officers' API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime

from clearance.db.base import ORMModel


class AuditEventOut(ORMModel):
    id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None
    username: str | None
    role: str | None
    organisation_id: uuid.UUID | None
    ip: str | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    detail: str | None
