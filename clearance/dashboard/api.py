"""The officers' overview and live event feed, for API clients."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from clearance.core.errors import Forbidden, InvalidInput, NotAuthenticated, responses
from clearance.core.zone import Instant, utcnow
from clearance.dashboard import flow, live
from clearance.dashboard import service as dashboard
from clearance.dashboard.schemas import Stats
from clearance.db.events import Event
from clearance.http.deps import ContextDep, CurrentOfficer, SessionDep

router = APIRouter(tags=["officers"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.get("/stats", response_model=Stats, responses=responses(*AUTH_ERRORS))
def read_stats(
    session: SessionDep, _officer: CurrentOfficer, hours: Annotated[int, Query(ge=1, le=72)] = 12
) -> dict[str, object]:
    """Commuters in each park now, crossings per checkpoint and direction by hour, today's refusals."""
    return dashboard.overview(session, now=utcnow(), hours=hours)


@router.get("/flow", responses={200: {"content": {"text/csv": {}}}, **responses(*AUTH_ERRORS, InvalidInput)})
def read_flow(
    session: SessionDep,
    _officer: CurrentOfficer,
    since: Annotated[Instant, Query(description="start of the range (with its zone)")],
    until: Annotated[Instant, Query(description="end of the range, not included")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Per bridge, direction and hour (zone time): attempts, decisions, the share referred and time
    to clear (p50, p95, as kiosks measured it); and the busiest 15 minutes. Counts only."""
    report = flow.flow_report(session, since=since, until=until)
    if format == "csv":
        return PlainTextResponse(
            flow.flow_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="hetao-flow.csv"'},
        )
    return Response(orjson.dumps(report), media_type="application/json")


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **responses(*AUTH_ERRORS)},
)
def event_stream(context: ContextDep, officer: CurrentOfficer, request: Request) -> StreamingResponse:
    """Server-sent events: each crossing (event ``crossing``) and alert (``alert``) as it happens."""
    last_event_id = request.headers.get("last-event-id")

    def encode(item: Event) -> str:
        event_id = str(item["recorded_at"]) if item["type"] == "crossing" else None
        return live.format_sse(orjson.dumps(item).decode(), name=str(item["type"]), event_id=event_id)

    return StreamingResponse(
        live.stream(
            context.events,
            user_id=officer.id,
            still_signed_in=live.signed_in(context.sessions, officer),
            last_event_id=last_event_id,
            replay=lambda after: live.missed_since(context.sessions, after),
            encode=encode,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
