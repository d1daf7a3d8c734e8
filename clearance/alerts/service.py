"""Alerts: what an officer must look at that is not a single refused attempt.

- ``anti_passback_conflict``: a commuter cleared into the park they were already recorded in
  (decided offline by a kiosk, found when its records arrived).
- ``repeated_face_mismatch``: one credential refused for a face mismatch three times within ten
  minutes: someone is trying another person's credential.
- ``kiosk_silent``: a kiosk has not called the server for ``kiosk_silent_minutes``: it is off,
  or cut off and deciding from an ageing whitelist.
- ``disabled_kiosk_called``: the key of a kiosk an administrator disabled is still being used.

Several server processes may notice the same cause at once; alerts carry a ``dedupe_key`` so only
one is stored.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import zone
from clearance.core.enums import AlertKind, AuditAction
from clearance.core.errors import InvalidTransition, NotFound
from clearance.core.messages import Message, Words, stored, words
from clearance.core.reasons import Reason
from clearance.core.zone import utcnow
from clearance.db import events
from clearance.db.actors import UserActor
from clearance.db.models import Alert, Commuter, Crossing, Kiosk, person_name

MISMATCH_WINDOW = timedelta(minutes=10)
MISMATCH_LIMIT = 3


def raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    detail: str,
    commuter_id: uuid.UUID | None = None,
    crossing_id: uuid.UUID | None = None,
    kiosk_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    incident_window: timedelta | None = None,
) -> Alert | None:
    """Store and announce an alert; None if one with the same ``dedupe_key`` exists, or (with
    ``incident_window``) if an open alert of this kind about this commuter was raised within
    the window: one alert per incident, however many attempts it takes."""
    if incident_window is not None and commuter_id is not None:
        if session.get_bind().dialect.name == "postgresql":
            # Two attempts of one incident decided at once (two kiosks, two server processes)
            # must not both find no alert and both raise one: they take turns, per kind and
            # person, until the first commits. (SQLite writes one transaction at a time anyway.)
            key = hashlib.sha256(f"alert:{kind.value}:{commuter_id}".encode()).digest()[:8]
            session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(key, "big", signed=True))))
        same_incident = select(Alert.id).where(
            Alert.kind == kind,
            Alert.commuter_id == commuter_id,
            Alert.acknowledged_at.is_(None),
            Alert.created_at >= utcnow() - incident_window,
        )
        if session.scalar(same_incident.limit(1)) is not None:
            return None
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Alert)
        .values(
            id=uuid.uuid4(),
            kind=kind,
            detail=detail,
            commuter_id=commuter_id,
            crossing_id=crossing_id,
            kiosk_id=kiosk_id,
            dedupe_key=dedupe_key,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Alert.id)
    )
    alert_id = session.scalar(statement)
    if alert_id is None:
        return None
    alert = session.get(Alert, alert_id)
    assert alert is not None
    events.publish(session, describe_alerts(session, [alert])[0])
    return alert


def describe_alerts(session: Session, alerts: Iterable[Alert]) -> list[dict[str, Any]]:
    """Alerts as the dashboard and the event feed show them."""
    alerts = list(alerts)
    commuter_ids = {a.commuter_id for a in alerts if a.commuter_id}
    kiosk_ids = {a.kiosk_id for a in alerts if a.kiosk_id}
    names = {
        row.id: person_name(row.chinese_name, row.full_name)
        for row in session.execute(
            select(Commuter.id, Commuter.full_name, Commuter.chinese_name).where(
                Commuter.id.in_(commuter_ids)
            )
        )
    }
    kiosks = {k.id: k for k in session.scalars(select(Kiosk).where(Kiosk.id.in_(kiosk_ids)))}
    return [
        {
            "type": "alert",
            "id": str(alert.id),
            "kind": alert.kind.value,
            "detail": alert.detail,
            # The detail as its message (template and values), for a page to say in its reader's
            # language once the event has crossed between processes as JSON.
            "detail_message": stored(alert.detail.message) if isinstance(alert.detail, Words) else None,
            "created_at": alert.created_at.isoformat(),
            "commuter_id": str(alert.commuter_id) if alert.commuter_id else None,
            "commuter_name": names.get(alert.commuter_id) if alert.commuter_id else None,
            "crossing_id": str(alert.crossing_id) if alert.crossing_id else None,
            "kiosk": (
                f"{kiosks[alert.kiosk_id].checkpoint.name} / {kiosks[alert.kiosk_id].name}"
                if alert.kiosk_id in kiosks
                else None
            ),
            "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
            "acknowledge_note": alert.acknowledge_note,
        }
        for alert in alerts
    ]


def check_face_mismatches(session: Session, *, credential_ids: Iterable[uuid.UUID], now: datetime) -> None:
    """Raise ``repeated_face_mismatch`` for each credential refused for its face
    ``MISMATCH_LIMIT`` times within ``MISMATCH_WINDOW`` up to ``now``."""
    for credential_id in set(credential_ids):
        recent = session.execute(
            select(Crossing.reasons, Crossing.commuter_id, Crossing.id).where(
                Crossing.credential_id == credential_id, Crossing.decided_at >= now - MISMATCH_WINDOW
            )
        ).all()
        mismatches = [row for row in recent if Reason.FACE_MISMATCH.value in row.reasons]
        if len(mismatches) >= MISMATCH_LIMIT:
            raise_alert(
                session,
                kind=AlertKind.REPEATED_FACE_MISMATCH,
                detail=words(
                    "{n} face mismatches on one credential within {minutes} minutes",
                    n=len(mismatches),
                    minutes=int(MISMATCH_WINDOW.total_seconds() // 60),
                ),
                commuter_id=mismatches[-1].commuter_id,
                crossing_id=mismatches[-1].id,
                dedupe_key=f"repeated_face_mismatch:{credential_id}:{now:%Y%m%d%H}",
            )


def check_disabled_kiosks(session: Session, *, calls: dict[uuid.UUID, datetime]) -> list[Alert]:
    """Raise ``disabled_kiosk_called`` for each disabled kiosk whose key was used (``calls``: when
    each last was), at most once an hour per kiosk: a stolen key still in use, or a retired
    kiosk left running."""
    raised = []
    for kiosk_id, at in calls.items():
        kiosk = session.get(Kiosk, kiosk_id)
        if kiosk is None or kiosk.is_active:
            continue
        alert = raise_alert(
            session,
            kind=AlertKind.DISABLED_KIOSK_CALLED,
            detail=words(
                "the disabled kiosk {kiosk} called the server at {time}: its key is still in use",
                kiosk=f"{kiosk.checkpoint.name} / {kiosk.name}",
                time=zone.for_people(at),
            ),
            kiosk_id=kiosk.id,
            dedupe_key=f"disabled_kiosk_called:{kiosk.id}:{at:%Y-%m-%dT%H}",
        )
        if alert is not None:
            raised.append(alert)
    return raised


def check_silent_kiosks(session: Session, *, now: datetime, silent_after: timedelta) -> list[Alert]:
    """Raise ``kiosk_silent`` once for each active kiosk not heard from since ``silent_after``
    (a kiosk never heard from is not installed yet, and is left alone)."""
    raised = []
    stale = select(Kiosk).where(
        Kiosk.is_active.is_(True), Kiosk.last_seen_at.is_not(None), Kiosk.last_seen_at < now - silent_after
    )
    for kiosk in session.scalars(stale):
        assert kiosk.last_seen_at is not None
        alert = raise_alert(
            session,
            kind=AlertKind.KIOSK_SILENT,
            detail=words(
                "kiosk {kiosk} last called the server at {time}",
                kiosk=f"{kiosk.checkpoint.name} / {kiosk.name}",
                time=zone.for_people(kiosk.last_seen_at),
            ),
            kiosk_id=kiosk.id,
            dedupe_key=f"kiosk_silent:{kiosk.id}:{kiosk.last_seen_at.isoformat()}",
        )
        if alert is not None:
            raised.append(alert)
    return raised


def count_open_alerts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Alert).where(Alert.acknowledged_at.is_(None))) or 0


def list_open_alerts(session: Session, *, limit: int = 200) -> list[Alert]:
    query = select(Alert).where(Alert.acknowledged_at.is_(None)).order_by(Alert.created_at.desc())
    return list(session.scalars(query.limit(limit)))


def get_alert_or_raise(session: Session, alert_id: uuid.UUID) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(Message("no alert with id {alert_id}", alert_id=alert_id))
    return alert


def acknowledge_alert(
    session: Session, *, alert: Alert, note: str | None, actor: UserActor, now: datetime
) -> Alert:
    """An officer has seen ``alert`` (with an optional note); it leaves the queue."""
    if alert.acknowledged_at is not None:
        raise InvalidTransition("this alert was already acknowledged")
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user.id
    alert.acknowledge_note = note
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.ACKNOWLEDGE_ALERT,
        object_type="alert",
        object_id=alert.id,
        detail=note,
    )
    events.publish(session, describe_alerts(session, [alert])[0])
    return alert
