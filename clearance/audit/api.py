"""The audit trail for officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from clearance.audit import service as audit
from clearance.audit.schemas import AuditEventOut
from clearance.core.enums import AuditAction
from clearance.core.errors import Forbidden, NotAuthenticated, responses
from clearance.core.zone import Instant
from clearance.db.models import AuditEvent
from clearance.http.deps import CurrentOfficer, SessionDep

router = APIRouter(tags=["officers"])


@router.get(
    "/audit",
    response_model=list[AuditEventOut],
    responses=responses(NotAuthenticated, Forbidden),
)
def read_audit(
    session: SessionDep,
    _officer: CurrentOfficer,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[AuditAction | None, Query()] = None,
    since: Annotated[
        Instant | None, Query(description="Only events at or after this time, with its time zone")
    ] = None,
    until: Annotated[
        Instant | None, Query(description="Only events before this time, with its time zone")
    ] = None,
    about: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only events about objects whose name holds this (a person's, in either script)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditEvent]:
    """The audit trail, newest first: who did or looked at what, when, from where and why."""
    return audit.list_events(
        session,
        object_id=object_id,
        username=username,
        action=action,
        since=since,
        until=until,
        about=about,
        limit=limit,
        offset=offset,
    )
