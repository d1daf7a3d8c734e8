"""The audit trail page for officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clearance.audit import service as audit
from clearance.web.deps import SessionDep
from clearance.web.pages import PageOfficer, render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    auth: PageOfficer,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    found = audit.list_events(
        session, object_id=object_id or None, username=username or None, action=action or None, limit=200
    )
    filters = {"object_id": object_id, "username": username, "action": action}
    return render(
        request,
        "audit.html",
        auth=auth,
        events=found,
        names=audit.object_names(session, found),
        actions=audit.ACTIONS,
        filters=filters,
    )
