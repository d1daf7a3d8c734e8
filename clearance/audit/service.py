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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.db.models import (
    Alert,
    AuditEvent,
    Checkpoint,
    Commuter,
    Credential,
    ImportJob,
    Kiosk,
    Organisation,
    User,
)

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


def record_edit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target: Any,
    object_type: str,
    changes: dict[str, object],
    labels: dict[str, str] | None = None,
) -> bool:
    """Set ``changes`` (attribute name to new value) on ``target`` and record the edit, its detail
    naming each field that changed, old value to new (under ``labels`` where a field is shown by
    another name); False, with nothing changed or recorded, when every value is already so."""

    def shown(value: object) -> str:
        return repr(getattr(value, "value", value))

    changed = {field: new for field, new in changes.items() if getattr(target, field) != new}
    if not changed:
        return False
    detail = ", ".join(
        f"{(labels or {}).get(field, field)} {shown(getattr(target, field))} -> {shown(new)}"
        for field, new in changed.items()
    )
    for field, new in changed.items():
        setattr(target, field, new)
    session.flush()
    record_event(
        session, actor=actor, action=action, object_type=object_type, object_id=target.id, detail=detail
    )
    return True


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


ACTIONS = (
    "sign_in", "sign_in_failed", "sign_in_refused", "sign_out", "set_language",
    "create_organisation", "edit_organisation", "create_user", "edit_user", "disable_user", "enable_user",
    "reset_password", "create_checkpoint", "edit_checkpoint", "create_kiosk", "edit_kiosk", "disable_kiosk",
    "enable_kiosk", "rekey_kiosk", "register_kiosk_key", "register_commuter", "add_photo", "approve_commuter",
    "suspend_commuter", "reinstate_commuter", "revoke_commuter", "remake_template", "search_commuters",
    "read_commuter", "view_reference_photo", "read_crossing_history", "issue_credential", "revoke_credential",
    "read_credentials", "read_credential", "read_credential_qr", "print_card", "activate_pass",
    "read_pass_status", "data_access_request", "start_import", "read_import", "abandon_import",
    "deliver_crossings", "override_crossing", "acknowledge_alert", "rotate_data_key", "rotate_signing_key",
    "backup", "restore", "purge",
)  # fmt: skip
"""Every action the trail records, in the order the audit page offers them to search by."""


def object_names(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """What the objects of ``events`` are called, by id, for people reading the trail: a commuter's
    name, a username, checkpoint/kiosk, a checkpoint's or organisation's name, whose credential,
    an import's file. Objects since erased or of other kinds are left out (shown by id)."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for event in events:
        if event.object_type and event.object_id:
            try:
                wanted.setdefault(event.object_type, set()).add(uuid.UUID(event.object_id))
            except ValueError:
                continue
    names: dict[str, str] = {}

    def each(model: type, ids: set[uuid.UUID]) -> list[Any]:
        return list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []  # type: ignore[attr-defined]

    for commuter in each(Commuter, wanted.get("commuter", set())):
        names[str(commuter.id)] = commuter.display_name
    for user in each(User, wanted.get("user", set())):
        names[str(user.id)] = user.username
    for kiosk in each(Kiosk, wanted.get("kiosk", set())):
        names[str(kiosk.id)] = f"{kiosk.checkpoint.name}/{kiosk.name}"
    for checkpoint in each(Checkpoint, wanted.get("checkpoint", set())):
        names[str(checkpoint.id)] = checkpoint.name
    for organisation in each(Organisation, wanted.get("organisation", set())):
        names[str(organisation.id)] = organisation.name
    for credential in each(Credential, wanted.get("credential", set())):
        names[str(credential.id)] = credential.commuter.display_name
    for job in each(ImportJob, wanted.get("import", set())):
        names[str(job.id)] = job.filename
    for alert in each(Alert, wanted.get("alert", set())):
        names[str(alert.id)] = alert.kind.value
    return names
