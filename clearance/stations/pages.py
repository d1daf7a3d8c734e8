"""The administrator's page: every kiosk and when it last called, and the organisations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clearance.accounts import service as accounts
from clearance.stations import service as stations
from clearance.web.deps import SessionDep
from clearance.web.pages import PageAdmin, render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, auth: PageAdmin) -> Response:
    return render(
        request,
        "admin.html",
        auth=auth,
        kiosks=stations.list_kiosks(session),
        organisations=accounts.organisations_with_staff_counts(session),
    )
