"""Alerts for officers: what needs looking at beyond a single refused attempt."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from clearance.alerts import service as alerts
from clearance.alerts.schemas import AlertAcknowledge, AlertOut
from clearance.core.errors import Forbidden, InvalidTransition, NotAuthenticated, NotFound, responses
from clearance.core.zone import utcnow
from clearance.db.models import Alert
from clearance.http.deps import CurrentOfficer, OfficerActor, SessionDep

router = APIRouter(tags=["officers"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.get("/alerts", response_model=list[AlertOut], responses=responses(*AUTH_ERRORS))
def read_alerts(session: SessionDep, _officer: CurrentOfficer) -> list[Alert]:
    """Alerts no officer has acknowledged yet, newest first."""
    return alerts.list_open_alerts(session)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def acknowledge(
    alert_id: uuid.UUID, session: SessionDep, actor: OfficerActor, body: AlertAcknowledge | None = None
) -> Alert:
    """Acknowledge an alert, with an optional note."""
    return alerts.acknowledge_alert(
        session,
        alert=alerts.get_alert_or_raise(session, alert_id),
        note=body.note if body else None,
        actor=actor,
        now=utcnow(),
    )
