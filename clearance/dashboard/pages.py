"""The officers' pages: the live view of both footbridges and the queue of referred attempts and
alerts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from clearance.alerts import service as alerts
from clearance.core.enums import Decision, Role
from clearance.core.errors import InvalidInput
from clearance.core.messages import revived
from clearance.core.zone import ZONE_TIME, days_span, local_today, utcnow
from clearance.crossings import service as crossings
from clearance.dashboard import chart, flow, live
from clearance.dashboard import service as dashboard
from clearance.db.events import Event
from clearance.db.models import User
from clearance.http import i18n
from clearance.http import pages as html
from clearance.http.deps import ContextDep, SessionDep, get_context
from clearance.http.pages import FormOfficer, PageOfficer, render

router = APIRouter(include_in_schema=False)

LIVE_ROWS = 50


def _queue_waiting(session: Session, user: User) -> dict[str, int]:
    """The officers' queue in the navigation: how many incidents, alerts and registrations wait."""
    if user.role is not Role.OFFICER:
        return {}
    waiting = (
        len(crossings.referral_queue(session))
        + alerts.count_open_alerts(session)
        + dashboard.count_pending_registrations(session)
    )
    return {"/queue": waiting}


html.nav_counts.append(_queue_waiting)


def _stats_context(session: SessionDep, request: Request, auth: html.PageAuth) -> dict[str, Any]:
    silent_after = timedelta(minutes=get_context(request).settings.kiosk_silent_minutes)
    overview = dashboard.overview(session, now=utcnow(), silent_after=silent_after)
    translate = html.translator_for(request, auth.user)
    return {"stats": overview, "chart": chart.hourly_chart(overview["hourly"], translate)}


@router.get("/dashboard")
def dashboard_page(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    recent = crossings.list_crossings(
        session, filters=crossings.CrossingFilters(), limit=LIVE_ROWS, actor=auth.actor
    )
    return render(
        request,
        "dashboard.html",
        auth=auth,
        crossings=crossings.describe_crossings(session, recent),
        **_stats_context(session, request, auth),
    )


@router.get("/dashboard/stats")
def dashboard_stats(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    return render(request, "_stats.html", auth=auth, **_stats_context(session, request, auth))


def _flow_range(since: date | None, until: date | None) -> tuple[date, date, datetime, datetime]:
    """The days asked for (by default the last seven), and the instants that bound them."""
    last = until or local_today()
    first = since or last - timedelta(days=6)
    return first, last, *days_span(first, last)


def _by_hour_of_day(report: dict[str, Any], translate: i18n.Translate) -> str:
    """The report's crossings summed by hour of the day, one line per bridge and direction."""
    series: dict[tuple[str, str], list[int]] = {}
    for row in report["hours"]:
        counts = series.setdefault((row["bridge"], row["direction"]), [0] * 24)
        counts[int(row["hour"][11:13])] += row["crossings"]
    day = datetime.combine(local_today(), time(0), ZONE_TIME)
    hourly = {
        "hours": [(day + timedelta(hours=h)).isoformat() for h in range(24)],
        "series": [
            {"checkpoint": translate(bridge), "direction": direction, "counts": counts}
            for (bridge, direction), counts in sorted(series.items())
        ],
    }
    return chart.hourly_chart(hourly, translate)


@router.get("/flow")
def flow_page(
    request: Request,
    session: SessionDep,
    auth: PageOfficer,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    first, last, start, end = _flow_range(since, until)
    problem = None
    try:
        report = flow.flow_report(session, since=start, until=end)
    except InvalidInput as exc:
        problem, report = html.problem_of(request, auth, exc), {"hours": [], "busiest_15_minutes": []}
    translate = html.translator_for(request, auth.user)
    return render(
        request,
        "flow.html",
        auth=auth,
        report=report,
        since=first,
        until=last,
        problem=problem,
        chart=_by_hour_of_day(report, translate),
    )


@router.get("/flow.csv")
def flow_csv_download(
    session: SessionDep, _auth: PageOfficer, since: date | None = None, until: date | None = None
) -> Response:
    first, last, start, end = _flow_range(since, until)
    report = flow.flow_report(session, since=start, until=end)
    return PlainTextResponse(
        flow.flow_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="hetao-flow-{first}-{last}.csv"'},
    )


@router.get("/dashboard/events")
def dashboard_events(request: Request, context: ContextDep, auth: PageOfficer) -> StreamingResponse:
    """The live view's feed: each event carries its row already rendered in the viewer's language."""
    translate = html.translator_for(request, auth.user)
    row = html.templates.get_template("_crossing_row.html").module.crossing_row  # type: ignore[attr-defined]
    last_event_id = request.headers.get("last-event-id")

    def encode(item: Event) -> str:
        if item["type"] == "crossing":
            payload = {"type": "crossing", "id": item["id"], "html": str(row(item, translate))}
            return live.format_sse(orjson.dumps(payload).decode(), event_id=item["recorded_at"])
        detail = revived(item["detail_message"]) if item.get("detail_message") else item["detail"]
        text = f"{translate(item['kind'])}: {i18n.said(translate, detail)}"
        payload = {"type": "alert", "id": item["id"], "text": text}
        return live.format_sse(orjson.dumps(payload).decode())

    return StreamingResponse(
        live.stream(
            context.events,
            user_id=auth.user.id,
            still_signed_in=live.signed_in(context.sessions, auth.user),
            last_event_id=last_event_id,
            replay=lambda after: live.missed_since(context.sessions, after),
            encode=encode,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _incidents(session: SessionDep) -> list[dict[str, Any]]:
    """The referral queue as the page shows it: each incident's newest attempt, how many repeats
    it had and since when."""
    groups = crossings.referral_queue(session)
    described = crossings.describe_crossings(session, [group[0] for group in groups])
    return [
        {**latest, "repeats": len(group) - 1, "first_at": group[-1].decided_at.isoformat()}
        for latest, group in zip(described, groups, strict=True)
    ]


def queue_page(request: Request, session: SessionDep, auth: html.PageAuth, **extra: Any) -> HTMLResponse:
    """The officers' work: registrations to approve (those whose evidence this officer compared
    marked), referred attempts to decide, alerts."""
    pending = dashboard.pending_registrations(session)
    return render(
        request,
        "queue.html",
        auth=auth,
        pending=pending,
        seen=dashboard.evidence_seen(session, pending, user=auth.user),
        referred=_incidents(session),
        alerts=alerts.describe_alerts(session, alerts.list_open_alerts(session)),
        **extra,
    )


@router.get("/queue")
def queue(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    return queue_page(request, session, auth)


@router.post("/queue/crossings/{crossing_id}/override")
def queue_override(
    crossing_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    decision: Annotated[Decision, Form()],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    def decide(translate: i18n.Translate) -> html.Flash:
        decided = crossings.decide_referral(
            session,
            crossing=crossings.get_crossing_or_raise(session, crossing_id),
            decision=decision,
            reason=reason,
            actor=auth.actor,
            now=utcnow(),
        )
        repeats = len(decided) - 1
        return html.Flash(
            translate("Decision recorded: {decision}.", decision=translate(decision.value))
            + (" " + translate("Its {n} repeats were closed with it.", n=repeats) if repeats else "")
        )

    return html.act(
        request,
        session,
        auth,
        decide,
        then="/queue",
        again=lambda problem: queue_page(request, session, auth, problem=problem),
    )


@router.post("/queue/alerts/{alert_id}/acknowledge")
def queue_acknowledge(
    alert_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    def acknowledge(translate: i18n.Translate) -> html.Flash:
        alerts.acknowledge_alert(
            session,
            alert=alerts.get_alert_or_raise(session, alert_id),
            note=note.strip() or None,
            actor=auth.actor,
            now=utcnow(),
        )
        return html.Flash(translate("Alert acknowledged."))

    return html.act(
        request,
        session,
        auth,
        acknowledge,
        then="/queue",
        again=lambda problem: queue_page(request, session, auth, problem=problem),
    )
