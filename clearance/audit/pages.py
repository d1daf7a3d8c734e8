"""The audit trail page for officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clearance.audit import service as audit
from clearance.core.enums import AuditAction
from clearance.core.errors import InvalidInput
from clearance.core.messages import Message
from clearance.http.deps import SessionDep
from clearance.http.pages import PageOfficer, render

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
    try:
        chosen = AuditAction(action) if action else None
    except ValueError:
        raise InvalidInput(Message("no action is called {action!r}", action=action), field="action") from None
    found = audit.list_events(
        session, object_id=object_id or None, username=username or None, action=chosen, limit=200
    )
    filters = {"object_id": object_id, "username": username, "action": action}
    return render(
        request,
        "audit.html",
        auth=auth,
        events=found,
        names=audit.object_names(session, found),
        actions=list(AuditAction),
        filters=filters,
    )
