"""Crossings: officers read and override them; kiosks deliver the ones they decided offline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from clearance.audit.service import PURPOSE_PATTERN
from clearance.core.enums import Decision, Direction
from clearance.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidSignature,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    responses,
)
from clearance.core.reasons import Reason
from clearance.core.wire import CrossingBatch, KioskIdentity, UploadResults, UploadStatus
from clearance.core.zone import Instant, utcnow
from clearance.crossings import ingest
from clearance.crossings import service as crossings
from clearance.crossings.schemas import CrossingOut, CrossingOverridden, CrossingOverride
from clearance.db.models import Crossing
from clearance.http.deps import ContextDep, KioskActorDep, KioskDep, OfficerActor, SessionDep
from clearance.stations import service as stations

router = APIRouter()

KNOWN_REASONS = frozenset(reason.value for reason in Reason)
KNOWN_DECISIONS = frozenset(decision.value for decision in Decision)
"""Only these become metric labels: a kiosk's text never names a time series."""
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.get(
    "/crossings",
    response_model=list[CrossingOut],
    tags=["officers"],
    responses=responses(*AUTH_ERRORS, InvalidInput),
)
def read_crossings(
    session: SessionDep,
    actor: OfficerActor,
    commuter_id: uuid.UUID | None = None,
    checkpoint_id: uuid.UUID | None = None,
    kiosk_id: uuid.UUID | None = None,
    decision: Decision | None = None,
    direction: Direction | None = None,
    since: Annotated[Instant | None, Query(description="Decided at or after, with its time zone")] = None,
    until: Annotated[Instant | None, Query(description="Decided before, with its time zone")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    purpose: Annotated[
        str | None,
        Query(pattern=PURPOSE_PATTERN, description="Why, for one commuter's history (audited)"),
    ] = None,
) -> list[Crossing]:
    """Crossing records, newest first, filtered by commuter, place, decision and time. Reading
    one commuter's history is recorded in the audit trail, with its purpose if given."""
    filters = crossings.CrossingFilters(
        commuter_id=commuter_id,
        checkpoint_id=checkpoint_id,
        kiosk_id=kiosk_id,
        decision=decision,
        direction=direction,
        since=since,
        until=until,
    )
    return crossings.list_crossings(
        session, filters=filters, limit=limit, offset=offset, actor=actor, purpose=purpose
    )


@router.post(
    "/crossings/{crossing_id}/override",
    response_model=CrossingOverridden,
    tags=["officers"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition, InvalidInput),
)
def override(
    crossing_id: uuid.UUID, body: CrossingOverride, session: SessionDep, actor: OfficerActor
) -> Crossing:
    """Decide an attempt in place of the kiosk, with a reason; the kiosk's decision is kept."""
    return crossings.override_crossing(
        session,
        crossing=crossings.get_crossing_or_raise(session, crossing_id),
        decision=body.decision,
        reason=body.reason,
        actor=actor,
        now=utcnow(),
    )


@router.post(
    "/kiosk/identity",
    status_code=204,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, Conflict, InvalidInput),
)
def kiosk_identity(
    session: SessionDep, kiosk: KioskDep, actor: KioskActorDep, body: KioskIdentity
) -> Response:
    """Register the kiosk's own batch-signing public key, once; a different key later is refused."""
    public_key = stations.kiosk_public_key(body.public_key)
    ingest.register_kiosk_key(session, kiosk=kiosk, public_key=public_key, actor=actor)
    return Response(status_code=204)


@router.post(
    "/kiosk/crossings",
    response_model=UploadResults,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, InvalidSignature, Conflict),
)
def kiosk_crossings(
    session: SessionDep, context: ContextDep, kiosk: KioskDep, actor: KioskActorDep, body: CrossingBatch
) -> UploadResults:
    """Deliver crossings decided at the kiosk; each is created, a duplicate, or invalid. The answer
    says how far the kiosk's clock is off, if it sent its time."""
    now = utcnow()
    delivery = ingest.ingest_crossings(
        session,
        kiosk=kiosk,
        items=body.crossings,
        now=now,
        signature=body.signature,
        sent_at=body.sent_at,
        actor=actor,
    )
    for item, result in zip(body.crossings, delivery.results, strict=True):
        context.metrics.crossings_delivered.labels(status=result.status.value).inc()
        if result.status is UploadStatus.CREATED and isinstance(item, dict):
            for reason in item.get("reasons") or []:
                if reason in KNOWN_REASONS:
                    context.metrics.reasons.labels(reason=reason, source="kiosk").inc()
            clear_ms, decision = item.get("clear_ms"), item.get("decision")
            if isinstance(clear_ms, int | float) and decision in KNOWN_DECISIONS:
                context.metrics.time_to_clear.labels(
                    direction=kiosk.direction.value, decision=decision
                ).observe(clear_ms / 1000)
            left_ms = item.get("previous_left_ms")
            if isinstance(left_ms, int | float):
                context.metrics.time_to_leave.labels(direction=kiosk.direction.value).observe(left_ms / 1000)
    return UploadResults(
        results=delivery.results, server_time=now, clock_offset_seconds=delivery.clock_offset
    )
