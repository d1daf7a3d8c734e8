"""The audit trail page for officers: searched by action, user, object, a person's or object's
name and a range of days, a page at a time, and taken away as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from clearance.audit import service as audit
from clearance.core import spreadsheet, zone
from clearance.core.enums import AuditAction
from clearance.core.errors import InvalidInput
from clearance.core.messages import Message
from clearance.http.deps import SessionDep
from clearance.http.pages import PageOfficer, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100


@dataclass(frozen=True)
class Search:
    """What the officer asked the trail for, as the page's form sends it."""

    object_id: Annotated[str | None, Query(max_length=64)] = None
    username: Annotated[str | None, Query(max_length=100)] = None
    action: Annotated[str | None, Query(max_length=64)] = None
    about: Annotated[str | None, Query(max_length=100)] = None
    since: Annotated[date | None, Query()] = None
    until: Annotated[date | None, Query()] = None

    def filters(self) -> dict[str, Any]:
        """The search as ``audit.list_events`` takes it: the days in zone time, both included."""
        try:
            chosen = AuditAction(self.action) if self.action else None
        except ValueError:
            raise InvalidInput(
                Message("no action is called {action!r}", action=self.action), field="action"
            ) from None
        if self.since and self.until and self.until < self.since:
            raise InvalidInput(Message("the last day comes before the first"), field="until")
        start: datetime | None = None
        end: datetime | None = None
        if self.since:
            start, _ = zone.days_span(self.since, self.since)
        if self.until:
            _, end = zone.days_span(self.until, self.until)
        return {
            "object_id": self.object_id or None,
            "username": self.username or None,
            "action": chosen,
            "about": self.about or None,
            "since": start,
            "until": end,
        }

    def query(self, **more: Any) -> str:
        """This search as a query string (for the next page, the CSV)."""
        given = {key: value for key, value in {**asdict(self), **more}.items() if value not in (None, "")}
        return urlencode(given)


SearchDep = Annotated[Search, Depends()]


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    auth: PageOfficer,
    search: SearchDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = audit.list_events(session, **search.filters(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    more, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
    return render(
        request,
        "audit.html",
        auth=auth,
        events=found,
        names=audit.object_names(session, found),
        actions=list(AuditAction),
        filters=search,
        page=page,
        newer=f"/audit?{search.query(page=page - 1)}" if page > 1 else None,
        older=f"/audit?{search.query(page=page + 1)}" if more else None,
        csv_link=f"/audit.csv?{search.query()}",
    )


CSV_COLUMNS = (
    "at",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "object",
    "purpose",
    "detail",
    "ip",
)


@router.get("/audit.csv")
def audit_csv(session: SessionDep, auth: PageOfficer, search: SearchDep) -> Response:
    """Every event the search finds (up to 100,000), oldest last, in English as machines read
    it; the export is recorded in the trail."""
    found = audit.export_events(session, actor=auth.actor, **search.filters())
    names = audit.object_names(session, found)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in found:
        cells = [
            event.at.isoformat(),
            event.username or "",
            event.role or "",
            event.action,
            event.object_type or "",
            event.object_id or "",
            names.get(event.object_id or "", ""),
            event.purpose or "",
            event.detail or "",
            event.ip or "",
        ]
        writer.writerow([spreadsheet.safe(str(cell)) for cell in cells])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{zone.local_today().isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
