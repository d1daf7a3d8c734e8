"""The audit trail: who did or looked at what, when, from where and, for personal data, why.

Rows are only added. Nothing in the product edits or deletes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.models import AuditEvent, User

# Reads of personal data must say why; these are the purposes an officer picks from.
PURPOSES = ("identity_check", "referred_attempt", "alert_investigation", "complaint", "card_printing")
PURPOSE_PATTERN = "^(" + "|".join(PURPOSES) + ")$"


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail records them."""

    user: User | None
    ip: str | None


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    user = actor.user
    event = AuditEvent(
        user_id=user.id if user else None,
        username=user.username if user else None,
        role=user.role.value if user else None,
        organisation_id=user.organisation_id if user else None,
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        detail=None if detail is None else detail[:500],
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    object_id: str | None = None,
    username: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events, newest first."""
    query = select(AuditEvent)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if username:
        query = query.where(AuditEvent.username == username)
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id).limit(limit)))
