"""The audit trail: who did or looked at what, when, from where and, for personal data, why.

Every action (a service function that changes something or reads personal data) writes its own
record here, whichever door it came through: the API, a page or the command line. Rows are only
added; the database refuses to update or delete them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from clearance.core import hanzi
from clearance.core.enums import AuditAction
from clearance.core.messages import words
from clearance.db.actors import Actor, KioskActor, PublicActor, SystemActor, UserActor
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
PURPOSES = (
    "identity_check",
    "referred_attempt",
    "alert_investigation",
    "complaint",
    "card_printing",
    "approval",
)
PURPOSE_PATTERN = "^(" + "|".join(PURPOSES) + ")$"


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    match actor:
        case UserActor(user=user, ip=ip):
            who: tuple[uuid.UUID | None, str | None, str | None, uuid.UUID | None] = (
                user.id,
                user.username,
                user.role.value,
                user.organisation_id,
            )
        case KioskActor(kiosk_id=kiosk_id, ip=ip):
            who = (None, f"kiosk {kiosk_id}", "kiosk", None)
        case SystemActor(name=name, role=role):
            who, ip = (None, name, role, None), None
        case PublicActor(ip=ip, name=name, role=role):
            who = (None, name, role, None)
    user_id, username, role, organisation_id = who
    event = AuditEvent(
        user_id=user_id,
        username=username,
        role=role,
        organisation_id=organisation_id,
        ip=ip,
        action=action.value,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def record_edit(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
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
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    about: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first: of one object, by one user, of one action, at or after
    ``since`` and before ``until``, about objects whose name holds ``about`` (a person's name
    in either script, a username, a checkpoint, kiosk, organisation or import file)."""
    query = _events(
        session, object_id=object_id, username=username, action=action, since=since, until=until, about=about
    )
    return list(
        session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id).limit(limit).offset(offset))
    )


def _events(
    session: Session,
    *,
    object_id: str | None,
    username: str | None,
    action: AuditAction | None,
    since: datetime | None,
    until: datetime | None,
    about: str | None,
) -> Select[Any]:
    query = select(AuditEvent)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if username:
        query = query.where(AuditEvent.username == username)
    if action:
        query = query.where(AuditEvent.action == action.value)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if about and about.strip():
        query = query.where(AuditEvent.object_id.in_(objects_named(session, about.strip())))
    return query


def objects_named(session: Session, name: str, *, limit: int = 1000) -> list[str]:
    """The ids (as the trail keeps them) of the objects whose name holds ``name``: commuters by
    their Latin or Chinese name (陈大文 finds 陳大文), users, checkpoints, kiosks, organisations,
    import files, and the credentials of the commuters found."""
    pattern = f"%{name.lower()}%"
    commuters = list(
        session.scalars(
            select(Commuter.id)
            .where(
                or_(
                    func.lower(Commuter.full_name).like(pattern),
                    Commuter.chinese_name_folded.like(f"%{hanzi.fold(name)}%"),
                )
            )
            .limit(limit)
        )
    )
    found: list[uuid.UUID] = [*commuters]
    if commuters:
        found += session.scalars(select(Credential.id).where(Credential.commuter_id.in_(commuters)))
    for model, column in (
        (User, User.username),
        (Checkpoint, Checkpoint.name),
        (Kiosk, Kiosk.name),
        (Organisation, Organisation.name),
        (ImportJob, ImportJob.filename),
    ):
        found += session.scalars(select(model.id).where(func.lower(column).like(pattern)).limit(limit))
    return [str(object_id) for object_id in found]


def export_events(
    session: Session,
    *,
    actor: Actor,
    object_id: str | None = None,
    username: str | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    about: str | None = None,
    limit: int = 100_000,
) -> list[AuditEvent]:
    """The events ``list_events`` would show, all of them up to ``limit``, to take away (the
    officers' CSV): the export is itself recorded, with how many events it held."""
    found = list_events(
        session,
        object_id=object_id,
        username=username,
        action=action,
        since=since,
        until=until,
        about=about,
        limit=limit,
    )
    record_event(
        session, actor=actor, action=AuditAction.EXPORT_AUDIT, detail=words("{n} events", n=len(found))
    )
    return found


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
