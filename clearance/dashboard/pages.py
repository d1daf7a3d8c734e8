"""The pages every user starts from (sign-in, language) and the officers' pages: the live view of
both footbridges, the queue of referred attempts and alerts, and the audit trail."""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select

from clearance import accounts, alerts, audit, events, i18n, web
from clearance import stats as statistics
from clearance.api import replay_since
from clearance.crossings import (
    CrossingFilters,
    describe_crossings,
    get_crossing_or_raise,
    list_crossings,
    list_referred,
    override_crossing,
)
from clearance.db import utcnow
from clearance.deps import ContextDep, SessionDep, client_ip
from clearance.errors import HetaoError, InvalidCredentials, TooManySignIns
from clearance.models import Checkpoint, Decision, Kiosk, Organisation, Role, User
from clearance.web import FormOfficer, FormUser, PageAdmin, PageOfficer, render

router = APIRouter(include_in_schema=False)

LIVE_ROWS = 50
CHART_COLOURS = ("#1f6feb", "#d4731c", "#2da44e", "#8250df", "#bf3989", "#57606a")


def home_for(role: Role) -> str:
    return {Role.OFFICER: "/dashboard", Role.ENROLLER: "/commuters", Role.ADMIN: "/admin"}[role]


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(web.SESSION_COOKIE)
    found = web.read_web_session(session, token=token, now=utcnow()) if token else None
    return RedirectResponse(home_for(found.user.role) if found else "/login", status_code=303)


def _login_page(
    request: Request, *, next_url: str, problem: str | None = None, username: str = "", status_code: int = 401
) -> Response:
    token = request.cookies.get(web.LOGIN_COOKIE) or web.new_login_token()
    response = render(
        request,
        "login.html",
        auth=None,
        csrf_token=token,
        next=next_url,
        username=username,
        problem=problem,
        status_code=status_code if problem else 200,
    )
    settings = request.app.state.context.settings
    web.set_cookie(response, web.LOGIN_COOKIE, token, settings=settings)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next_url=web.safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    web.check_csrf(request.cookies.get(web.LOGIN_COOKIE, ""), csrf_token)
    translate = i18n.translator(web.request_language(request, None))
    try:
        user = accounts.sign_in(
            session,
            username=username,
            password=password,
            actor=audit.Actor(None, client_ip(request)),
            limits=accounts.SignInLimits.from_settings(context.settings),
            now=utcnow(),
        )
    except InvalidCredentials:
        problem = translate("Wrong username or password.")
        return _login_page(request, next_url=web.safe_next(next), problem=problem, username=username)
    except TooManySignIns:
        minutes = context.settings.sign_in_window_minutes
        problem = translate("Too many failed sign-ins: wait {minutes} minutes.", minutes=minutes)
        return _login_page(
            request, next_url=web.safe_next(next), problem=problem, username=username, status_code=429
        )
    # A language chosen before signing in carries over to the account.
    chosen = request.cookies.get(web.LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGES:
        user.language = chosen
    token = web.start_web_session(
        session, user=user, lifetime=web.session_lifetime(context.settings), now=utcnow()
    )
    target = web.safe_next(next)
    response = RedirectResponse(home_for(user.role) if target == "/" else target, status_code=303)
    lifetime = int(web.session_lifetime(context.settings).total_seconds())
    web.set_cookie(response, web.SESSION_COOKIE, token, settings=context.settings, max_age=lifetime)
    response.delete_cookie(web.LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _auth: FormUser) -> Response:
    web.end_web_session(session, token=request.cookies.get(web.SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    lang: Annotated[str, Form(max_length=10)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Switch the pages' language: remembered for the signed-in user, or in a cookie before sign-in."""
    language = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    token = request.cookies.get(web.SESSION_COOKIE)
    found = web.read_web_session(session, token=token, now=utcnow()) if token else None
    expected = found.csrf_token if found else request.cookies.get(web.LOGIN_COOKIE, "")
    web.check_csrf(expected, csrf_token)
    if found is not None:
        found.user.language = language
    response = RedirectResponse(web.safe_next(next), status_code=303)
    web.set_cookie(
        response, web.LANGUAGE_COOKIE, language, settings=context.settings, max_age=365 * 24 * 3600
    )
    return response


def hourly_chart(hourly: dict[str, Any], translate: i18n.Translate) -> str:
    """A line chart (inline SVG) of attempts per hour for each checkpoint and direction."""
    width, height, left, bottom, top = 720, 230, 36, 28, 12
    hours = [datetime.fromisoformat(h) for h in hourly["hours"]]
    series = hourly["series"]
    peak = max([max(s["counts"]) for s in series] + [1])
    step = (width - left - 8) / max(len(hours) - 1, 1)

    def y(value: float) -> float:
        return float(top + (height - top - bottom) * (1 - value / peak))

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 20 * ((len(series) + 1) // 2)}" role="img" '
        f'aria-label="{html.escape(translate("Crossings per hour"))}">'
    ]
    for value in sorted({0, (peak + 1) // 2, peak}):
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#d0d7de"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">{value:.0f}</text>'
        )
    for i, hour in enumerate(hours):
        if i % 2 == 0 or len(hours) <= 8:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle" font-size="11">'
                f"{hour:%H}:00</text>"
            )
    for n, line in enumerate(series):
        colour = CHART_COLOURS[n % len(CHART_COLOURS)]
        points = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(line["counts"]))
        label = f"{line['checkpoint']} · {translate(line['direction'])} ({sum(line['counts'])})"
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        lx, ly = left + (n % 2) * 340, height + 14 + 20 * (n // 2)
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{ly - 4}" font-size="12">{html.escape(label)}</text>'
        )
    if not series:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13">'
            f"{html.escape(translate('No crossings in these hours.'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _stats_context(session: SessionDep, request: Request, auth: web.PageAuth) -> dict[str, Any]:
    overview = statistics.overview(session, now=utcnow())
    translate = i18n.translator(web.request_language(request, auth.user))
    return {"stats": overview, "chart": hourly_chart(overview["hourly"], translate)}


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    recent = list_crossings(session, filters=CrossingFilters(), limit=LIVE_ROWS)
    return render(
        request,
        "dashboard.html",
        auth=auth,
        crossings=describe_crossings(session, recent),
        **_stats_context(session, request, auth),
    )


@router.get("/dashboard/stats")
def dashboard_stats(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    return render(request, "_stats.html", auth=auth, **_stats_context(session, request, auth))


@router.get("/dashboard/events")
def dashboard_events(request: Request, context: ContextDep, auth: PageOfficer) -> StreamingResponse:
    """The live view's feed: each event carries its row already rendered in the viewer's language."""
    translate = i18n.translator(web.request_language(request, auth.user))
    row = web.templates.get_template("_crossing_row.html").module.crossing_row  # type: ignore[attr-defined]
    last_event_id = request.headers.get("last-event-id")

    def encode(item: dict[str, Any]) -> str:
        if item["type"] == "crossing":
            payload = {"type": "crossing", "id": item["id"], "html": str(row(item, translate))}
            return events.format_sse(orjson.dumps(payload).decode(), event_id=item["recorded_at"])
        payload = {"type": "alert", "id": item["id"], "text": f"{translate(item['kind'])}: {item['detail']}"}
        return events.format_sse(orjson.dumps(payload).decode())

    return StreamingResponse(
        events.stream(context.events, replay=lambda: replay_since(context, last_event_id), encode=encode),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _queue(request: Request, session: SessionDep, auth: web.PageAuth, **extra: Any) -> HTMLResponse:
    return render(
        request,
        "queue.html",
        auth=auth,
        referred=describe_crossings(session, list_referred(session)),
        alerts=alerts.describe_alerts(session, alerts.list_open_alerts(session)),
        **extra,
    )


@router.get("/queue")
def queue(request: Request, session: SessionDep, auth: PageOfficer) -> Response:
    return _queue(request, session, auth)


@router.post("/queue/crossings/{crossing_id}/override")
def queue_override(
    crossing_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    decision: Annotated[Decision, Form()],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    translate = i18n.translator(web.request_language(request, auth.user))
    try:
        with session.begin_nested():
            override_crossing(
                session,
                crossing=get_crossing_or_raise(session, crossing_id),
                decision=decision,
                reason=reason,
                actor=auth.actor,
                now=utcnow(),
            )
    except HetaoError as exc:
        return _queue(request, session, auth, problem=exc.detail)
    return _queue(
        request,
        session,
        auth,
        notice=translate("Decision recorded: {decision}.", decision=translate(decision.value)),
    )


@router.post("/queue/alerts/{alert_id}/acknowledge")
def queue_acknowledge(
    alert_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    translate = i18n.translator(web.request_language(request, auth.user))
    try:
        with session.begin_nested():
            alert = alerts.acknowledge_alert(
                session,
                alert=alerts.get_alert_or_raise(session, alert_id),
                officer=auth.user,
                note=note.strip() or None,
                now=utcnow(),
            )
    except HetaoError as exc:
        return _queue(request, session, auth, problem=exc.detail)
    audit.record_event(
        session, actor=auth.actor, action="acknowledge_alert", object_type="alert", object_id=alert.id
    )
    return _queue(request, session, auth, notice=translate("Alert acknowledged."))


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    auth: PageOfficer,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    found = audit.list_events(session, object_id=object_id, username=username, action=action, limit=200)
    filters = {"object_id": object_id, "username": username, "action": action}
    return render(request, "audit.html", auth=auth, events=found, filters=filters)


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, auth: PageAdmin) -> Response:
    """What an administrator watches: every kiosk and when it last called, and the organisations."""
    kiosks = session.scalars(select(Kiosk).join(Kiosk.checkpoint).order_by(Checkpoint.name, Kiosk.name)).all()
    staff = func.count(User.id)
    organisations = session.execute(
        select(Organisation, staff)
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return render(request, "admin.html", auth=auth, kiosks=kiosks, organisations=organisations)
