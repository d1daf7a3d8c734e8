"""The administrator's page: every kiosk and when it last called, and the organisations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clearance.accounts import service as accounts
from clearance.stations import service as stations
from clearance.web.deps import ContextDep, SessionDep
from clearance.web.pages import PageAdmin, render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, context: ContextDep, auth: PageAdmin) -> Response:
    return render(
        request,
        "admin.html",
        auth=auth,
        kiosks=stations.list_kiosks(session),
        organisations=accounts.organisations_with_staff_counts(session),
        checkpoints=stations.list_checkpoints(session),
        face_only_opted_in=stations.face_only_gallery_size(session),
        face_only_bound=context.settings.face_only_max_gallery,
    )
