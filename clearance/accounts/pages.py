"""The pages every user starts from: the start page, signing in and out, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from clearance.accounts import service as accounts
from clearance.core.enums import Role
from clearance.core.errors import InvalidCredentials, TooManySignIns
from clearance.core.zone import utcnow
from clearance.db.actors import PublicActor, UserActor
from clearance.http import i18n
from clearance.http import pages as html
from clearance.http.deps import ContextDep, SessionDep, client_ip
from clearance.http.pages import FormUser, render

router = APIRouter(include_in_schema=False)


def home_for(role: Role) -> str:
    return {Role.OFFICER: "/dashboard", Role.ENROLLER: "/commuters", Role.ADMIN: "/admin"}[role]


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(html.SESSION_COOKIE)
    found = html.read_web_session(session, token=token, now=utcnow()) if token else None
    return RedirectResponse(home_for(found.user.role) if found else "/login", status_code=303)


def _login_page(
    request: Request, *, next_url: str, problem: str | None = None, username: str = "", status_code: int = 401
) -> Response:
    token = request.cookies.get(html.LOGIN_COOKIE) or html.new_login_token()
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
    html.set_cookie(response, html.LOGIN_COOKIE, token, settings=settings)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next_url=html.safe_next(next))


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
    html.check_login_csrf(request, csrf_token, settings=context.settings)
    translate = html.translator_for(request, None)
    actor = PublicActor(ip=client_ip(request))
    try:
        signed_in = accounts.sign_in(
            session,
            username=username,
            password=password,
            actor=actor,
            limits=accounts.SignInLimits.from_settings(context.settings),
            now=utcnow(),
            device_token=request.cookies.get(html.DEVICE_COOKIE),
            secret=context.settings.token_secret,
        )
    except InvalidCredentials:
        # Answered with the form, so the request's unit of work commits the failure's record.
        problem = translate("Wrong username or password.")
        return _login_page(request, next_url=html.safe_next(next), problem=problem, username=username)
    except TooManySignIns:
        minutes = context.settings.sign_in_window_minutes
        problem = translate("Too many failed sign-ins: wait {minutes} minutes.", minutes=minutes)
        return _login_page(
            request, next_url=html.safe_next(next), problem=problem, username=username, status_code=429
        )
    user = signed_in.user
    # A language chosen before signing in carries over to the account.
    chosen = request.cookies.get(html.LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGES:
        accounts.set_language(session, user=user, language=chosen, actor=UserActor(user, actor.ip))
    token = accounts.start_web_session(
        session, user=user, lifetime=html.session_lifetime(context.settings), now=utcnow()
    )
    target = html.safe_next(next)
    response = RedirectResponse(home_for(user.role) if target == "/" else target, status_code=303)
    lifetime = int(html.session_lifetime(context.settings).total_seconds())
    html.set_cookie(response, html.SESSION_COOKIE, token, settings=context.settings, max_age=lifetime)
    html.set_cookie(
        response,
        html.DEVICE_COOKIE,
        signed_in.device_token,
        settings=context.settings,
        max_age=365 * 24 * 3600,
    )
    response.delete_cookie(html.LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, auth: FormUser) -> Response:
    accounts.sign_out(session, token=request.cookies.get(html.SESSION_COOKIE, ""), actor=auth.actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(html.SESSION_COOKIE, path="/")
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
    token = request.cookies.get(html.SESSION_COOKIE)
    found = html.read_web_session(session, token=token, now=utcnow()) if token else None
    expected = found.csrf_token if found else request.cookies.get(html.LOGIN_COOKIE, "")
    html.check_csrf(expected, csrf_token)
    if found is not None:
        accounts.set_language(
            session, user=found.user, language=language, actor=UserActor(found.user, client_ip(request))
        )
    response = RedirectResponse(html.safe_next(next), status_code=303)
    html.set_cookie(
        response, html.LANGUAGE_COOKIE, language, settings=context.settings, max_age=365 * 24 * 3600
    )
    return response
