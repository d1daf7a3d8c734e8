"""What every web page shares: templates, languages, signed-in browsers and CSRF protection.

A browser signs in with a username and password and gets a random session token in a secure,
http-only, same-site cookie; the database keeps only the token's hash, so signing out (or an
administrator deleting the row) ends the session at once. Every form carries the session's
CSRF token, and every request that changes something must send it back (form field
``csrf_token`` or header ``X-CSRF-Token``); before sign-in the login form uses a random cookie
of its own the same way (double submit).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from clearance.core import security, vault, zone
from clearance.core.enums import Role
from clearance.core.errors import Forbidden, HetaoError
from clearance.core.messages import Message
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import UserActor
from clearance.db.models import User, WebSession
from clearance.http import i18n
from clearance.http.deps import SessionDep, client_ip, get_context

SESSION_COOKIE = "hetao_session"
LOGIN_COOKIE = "hetao_login"
LANGUAGE_COOKIE = "hetao_lang"
DEVICE_COOKIE = "hetao_device"
"""Kept after signing out: this browser has signed in as that user before (see accounts.sign_in)."""
WEB_DIR = Path(__file__).resolve().parent
PACKAGE_ROOT = WEB_DIR.parent.parent
TEMPLATE_DIRS = [WEB_DIR / "templates", PACKAGE_ROOT / "enrolment" / "templates"]
STATIC_DIR = WEB_DIR / "static"

# Pages load nothing from elsewhere and run no inline script.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NavCounts = Callable[[Session, User], dict[str, int]]
nav_counts: list[NavCounts] = []
"""What waits behind the navigation's links (a link's path -> how many things), for the signed-in
user: each domain's pages add theirs (the officers' queue adds its referrals, alerts and
registrations)."""


def _waiting(user: User | None) -> dict[str, int]:
    session = object_session(user) if user is not None else None
    if user is None or session is None:
        return {}
    waiting: dict[str, int] = {}
    for counts in nav_counts:
        waiting.update(counts(session, user))
    return waiting


templates = Environment(
    loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(HetaoError):
    """A page that needs a signed-in user was asked for without one (the browser is sent to /login)."""

    status_code = 401


class CsrfFailed(HetaoError):
    """A form or request that changes something came without this session's CSRF token."""

    status_code = 403


@dataclass(frozen=True)
class PageAuth:
    user: User
    web_session: WebSession
    ip: str | None

    @property
    def actor(self) -> UserActor:
        return UserActor(user=self.user, ip=self.ip)


def read_web_session(session: Session, *, token: str, now: datetime) -> WebSession | None:
    """The live browser session holding ``token`` (of a user still enabled), if any."""
    hashed = security.hash_session_token(token)
    found = session.scalar(select(WebSession).where(WebSession.token_hash == hashed))
    if found is None or found.expires_at <= now or not found.user.is_active:
        return None
    return found


def get_page_auth(request: Request, session: SessionDep) -> PageAuth:
    token = request.cookies.get(SESSION_COOKIE)
    web_session = read_web_session(session, token=token, now=utcnow()) if token else None
    if web_session is None:
        raise LoginRequired("sign in to see this page")
    return PageAuth(user=web_session.user, web_session=web_session, ip=client_ip(request))


def require_page_role(*roles: Role) -> Callable[[PageAuth], PageAuth]:
    def check(auth: Annotated[PageAuth, Depends(get_page_auth)]) -> PageAuth:
        if auth.user.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise Forbidden(
                Message(
                    "this page needs the role {allowed}; you are {role}", allowed=allowed, role=auth.user.role
                )
            )
        return auth

    return check


async def submitted_csrf_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header is not None:
        return header
    if request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def check_csrf(expected: str, submitted: str) -> None:
    if not submitted or not secrets.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfFailed("the form's security token is missing or stale: reload the page and try again")


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
"""Hosts on which browsers keep a Secure cookie over plain HTTP."""


def check_login_csrf(request: Request, submitted: str, *, settings: Settings) -> None:
    """The sign-in form's CSRF check, which says why when the browser dropped the cookie because
    it is HTTPS-only and the page came over plain HTTP from another host (reloading never helps)."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    plain_http = request.url.scheme == "http" and (request.url.hostname or "") not in LOOPBACK_HOSTS
    if not expected and submitted and settings.cookie_secure and plain_http:
        raise CsrfFailed(
            "your browser did not keep the sign-in cookie: this server sends it over HTTPS only and "
            "this page came over plain HTTP. Open the server at an https:// address (behind a TLS "
            "proxy), or, on a trusted network only, set HETAO_COOKIE_SECURE=false"
        )
    check_csrf(expected, submitted)


def form_guard(*roles: Role) -> Callable[..., Any]:
    """A dependency for requests that change something: signed in with one of ``roles`` (any
    role if none is given) and carrying this session's CSRF token."""
    role_check = require_page_role(*(roles or tuple(Role)))

    # A default rather than an Annotated hint: the hint would name a local, which FastAPI
    # cannot resolve from this module's globals.
    async def guard(request: Request, auth: PageAuth = Depends(role_check)) -> PageAuth:  # noqa: B008
        check_csrf(auth.web_session.csrf_token, await submitted_csrf_token(request))
        return auth

    return guard


PageUser = Annotated[PageAuth, Depends(get_page_auth)]
PageOfficer = Annotated[PageAuth, Depends(require_page_role(Role.OFFICER))]
PageAdmin = Annotated[PageAuth, Depends(require_page_role(Role.ADMIN))]
PageStaff = Annotated[PageAuth, Depends(require_page_role(Role.ENROLLER, Role.OFFICER))]
FormUser = Annotated[PageAuth, Depends(form_guard())]
FormOfficer = Annotated[PageAuth, Depends(form_guard(Role.OFFICER))]
FormStaff = Annotated[PageAuth, Depends(form_guard(Role.ENROLLER, Role.OFFICER))]
FormAdmin = Annotated[PageAuth, Depends(form_guard(Role.ADMIN))]


def request_language(request: Request, user: User | None) -> str:
    """The language the user chose (signed in); otherwise the one chosen in this browser before
    sign-in (the cookie), then the browser's preference."""
    if user is not None and user.language in i18n.LANGUAGES:
        return user.language
    cookie = request.cookies.get(LANGUAGE_COOKIE, "")
    if cookie in i18n.LANGUAGES:
        return cookie
    return i18n.from_accept_language(request.headers.get("accept-language", ""))


def translator_for(request: Request, user: User | None) -> i18n.Translate:
    """Text in the language this page is shown in (``request_language``)."""
    return i18n.translator(request_language(request, user))


@dataclass(frozen=True)
class Flash:
    """What the page after a form's redirect says once: what was done, and a secret to show only
    then (a new key, a generated password, a phone pass's activation link)."""

    notice: str | None = None
    secret: str | None = None
    problem: str | None = None
    """What could not be done, where an action did part of its work (several approvals at once)."""
    extra: dict[str, str] = field(default_factory=dict)

    def dump(self) -> bytes:
        return json.dumps(
            {"notice": self.notice, "secret": self.secret, "problem": self.problem, "extra": self.extra}
        ).encode()

    @classmethod
    def load(cls, raw: bytes) -> Flash:
        found = json.loads(raw)
        return cls(
            found.get("notice"), found.get("secret"), found.get("problem"), dict(found.get("extra") or {})
        )


def _flash_context(web_session: WebSession) -> bytes:
    return f"web_sessions.flash:{web_session.token_hash}".encode()


def remember(request: Request, session: Session, auth: PageAuth, flash: Flash) -> None:
    """Keep ``flash`` for the next page this browser is shown (sealed: it may hold a secret)."""
    keyring = get_context(request).keyring
    auth.web_session.flash = vault.seal(
        keyring.sealing_key(session), flash.dump(), context=_flash_context(auth.web_session)
    )


def recall(request: Request, auth: PageAuth | None) -> Flash | None:
    """What the last form's redirect left for this page, once (it is cleared as it is read)."""
    if auth is None or auth.web_session.flash is None:
        return None
    sealed, auth.web_session.flash = auth.web_session.flash, None
    try:
        opened = vault.unseal(
            get_context(request).keyring.data_key, sealed, context=_flash_context(auth.web_session)
        )
    except vault.SealError:
        return None  # sealed with a key since deleted: a stale message is not worth an error
    return Flash.load(opened)


def problem_of(request: Request, auth: PageAuth | None, exc: HetaoError) -> str:
    """Why ``exc`` refused, in the language this page is shown in."""
    return i18n.said(translator_for(request, auth.user if auth else None), exc.message)


def act(
    request: Request,
    session: Session,
    auth: PageAuth,
    action: Callable[[i18n.Translate], Flash],
    *,
    then: str,
    again: Callable[[str], Response],
) -> Response:
    """Every page form's one way to end: run ``action`` (which says, in the viewer's language,
    what it did) and send the browser to ``then`` with that said once there (post, redirect,
    get: reloading the result never sends the form again); or, when the action is refused,
    ``again`` with why: the form shown again with its error, nothing written."""
    try:
        with session.begin_nested():
            flash = action(translator_for(request, auth.user))
    except HetaoError as exc:
        return again(problem_of(request, auth, exc))
    remember(request, session, auth, flash)
    return RedirectResponse(then, status_code=303)


def render(
    request: Request,
    name: str,
    *,
    auth: PageAuth | None,
    status_code: int = 200,
    csrf_token: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``templates``, in the viewer's language, with the security headers; what the
    last form's redirect left to say (``Flash``) is said on it once."""
    flash = recall(request, auth)
    if flash is not None:
        said = {"notice": flash.notice, "secret": flash.secret, "problem": flash.problem, **flash.extra}
        for key, value in said.items():
            if context.get(key) is None:
                context[key] = value
    user = auth.user if auth else None
    language = request_language(request, user)
    translate = i18n.translator(language)
    html = templates.get_template(name).render(
        request=request,
        user=user,
        lang=language,
        html_lang=i18n.HTML_LANG[language],
        languages=i18n.LANGUAGES,
        csrf_token=csrf_token or (auth.web_session.csrf_token if auth else ""),
        path=request.url.path,
        query=str(request.url.query),
        _=translate,
        said=lambda text: i18n.said(translate, text),
        waiting=_waiting(user),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def login_redirect_target(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.access_token_minutes)


def set_cookie(
    response: Any, name: str, value: str, *, settings: Settings, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def localtime(value: str | datetime) -> str:
    """A timestamp in zone time, to the second, labelled with its zone, as officers read it."""
    return zone.for_people(datetime.fromisoformat(value) if isinstance(value, str) else value)


def clock(value: str | datetime) -> str:
    """A timestamp as the live view shows it: the time of day in zone time (today's crossings);
    the date too for one from another day. The full timestamp goes in its title."""
    moment = (datetime.fromisoformat(value) if isinstance(value, str) else value).astimezone(zone.ZONE_TIME)
    return f"{moment:%H:%M:%S}" if moment.date() == zone.local_today() else f"{moment:%m-%d %H:%M}"


templates.filters["localtime"] = localtime
templates.filters["clock"] = clock
