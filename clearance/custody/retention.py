"""Retention: crossings older than the retention period lose what ties them to a person.

``anonymise`` (the default) keeps each old crossing for the statistics (where, when, which way,
the decision and its reasons) and clears who it was (commuter, credential), the match distance and
an officer's free-text override reason; alerts raised before the cut-off lose their commuter.
``delete`` removes old crossings altogether. Either way the work goes in batches, each its own
transaction, so a large backlog never holds a long lock; and it is idempotent: a second run finds
nothing left to do, so it is safe to run from cron as often as you like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from clearance.audit import service as audit
from clearance.core.enums import AuditAction
from clearance.core.messages import words
from clearance.db.actors import Actor
from clearance.db.engine import session_scope
from clearance.db.models import Alert, Crossing, WebSession

BATCH = 5000


class RetentionAction(StrEnum):
    ANONYMISE = "anonymise"
    DELETE = "delete"


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    action: RetentionAction
    crossings: int
    alerts: int
    web_sessions: int


def _identifying(cutoff: datetime) -> ColumnElement[bool]:
    return (Crossing.decided_at < cutoff) & or_(
        Crossing.commuter_id.is_not(None),
        Crossing.credential_id.is_not(None),
        Crossing.distance.is_not(None),
        Crossing.override_reason.is_not(None),
    )


def purge(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    retention_days: int,
    action: RetentionAction,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    actor: Actor,
) -> PurgeResult:
    """Anonymise or delete crossings decided more than ``retention_days`` before ``now``."""
    cutoff = now - timedelta(days=retention_days)
    old = _identifying(cutoff) if action is RetentionAction.ANONYMISE else Crossing.decided_at < cutoff
    if dry_run:
        with sessions() as session:
            crossings = len(session.scalars(select(Crossing.id).where(old)).all())
        return PurgeResult(cutoff, action, crossings, 0, 0)
    crossings = 0
    while True:
        with session_scope(sessions) as session:
            ids = list(session.scalars(select(Crossing.id).where(old).limit(BATCH)))
            if not ids:
                break
            # Alerts point at crossings: keep the alert, drop the link to a crossing going away.
            session.execute(update(Alert).where(Alert.crossing_id.in_(ids)).values(crossing_id=None))
            if action is RetentionAction.ANONYMISE:
                session.execute(
                    update(Crossing)
                    .where(Crossing.id.in_(ids))
                    .values(commuter_id=None, credential_id=None, distance=None, override_reason=None)
                )
            else:
                session.execute(delete(Crossing).where(Crossing.id.in_(ids)))
        crossings += len(ids)
        if progress is not None:
            progress(crossings)
    with session_scope(sessions) as session:
        alerts = session.execute(
            update(Alert)
            .where(Alert.created_at < cutoff, Alert.commuter_id.is_not(None))
            .values(commuter_id=None)
        ).rowcount  # type: ignore[attr-defined]
        web_sessions = session.execute(delete(WebSession).where(WebSession.expires_at < now)).rowcount  # type: ignore[attr-defined]
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.PURGE,
            detail=words(
                "{action}: {crossings} crossings and {alerts} alerts from before {cutoff} UTC",
                action=action,
                crossings=crossings,
                alerts=alerts,
                cutoff=f"{cutoff:%Y-%m-%d %H:%M}",
            ),
        )
    return PurgeResult(cutoff, action, crossings, alerts, web_sessions)
