"""The audit trail: who did or looked at what, when, from where and, for personal data, why.

Every action (a service function that changes something or reads personal data) writes its own
record here, whichever door it came through: the API, a page or the command line. Rows are only
added; the database refuses to update or delete them.
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.db.models import AuditEvent, Kiosk, User

# Reads of personal data may say why; these are the purposes an officer picks from.
PURPOSES = ("identity_check", "referred_attempt", "alert_investigation", "complaint", "card_printing")
PURPOSE_PATTERN = "^(" + "|".join(PURPOSES) + ")$"


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail records them: a signed-in user, a kiosk, or an
    operator at the command line."""

    user: User | None = None
    ip: str | None = None
    name: str | None = None
    """Who, when it is not a user: a kiosk or the command line."""
    role: str | None = None

    @classmethod
    def of_kiosk(cls, kiosk: Kiosk, ip: str | None) -> Actor:
        return cls(ip=ip, name=f"kiosk {kiosk.id}", role="kiosk")

    @classmethod
    def command_line(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(name=f"command line ({who})", role="operator")

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(name=what, role="system")


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
        username=user.username if user else actor.name,
        role=user.role.value if user else actor.role,
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


def changed(fields: dict[str, tuple[object, object]]) -> str | None:
    """An edit's audit detail: each field that changed, old value to new (None when nothing did)."""

    def shown(value: object) -> str:
        return repr(getattr(value, "value", value))

    parts = [f"{name} {shown(old)} -> {shown(new)}" for name, (old, new) in fields.items() if old != new]
    return ", ".join(parts) or None


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
