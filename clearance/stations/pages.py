"""The administrator's page: every kiosk and when it last called, staff accounts, organisations;
kiosks and accounts switched off and on, re-keyed and given new passwords from it."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from clearance.accounts import security
from clearance.accounts import service as accounts
from clearance.core.errors import HetaoError
from clearance.stations import service as stations
from clearance.web import i18n
from clearance.web import pages as web
from clearance.web.deps import ContextDep, SessionDep
from clearance.web.pages import FormAdmin, PageAdmin, PageAuth, render

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=200)]


def _admin(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: PageAuth,
    *,
    notice: str | None = None,
    problem: str | None = None,
    secret: str | None = None,
) -> Response:
    return render(
        request,
        "admin.html",
        auth=auth,
        kiosks=stations.list_kiosks(session),
        users=accounts.list_users(session),
        organisations=accounts.organisations_with_staff_counts(session),
        checkpoints=stations.list_checkpoints(session),
        face_only_opted_in=stations.face_only_gallery_size(session),
        face_only_bound=context.settings.face_only_max_gallery,
        notice=notice,
        problem=problem,
        secret=secret,
        status_code=422 if problem else 200,
    )


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, context: ContextDep, auth: PageAdmin) -> Response:
    return _admin(request, session, context, auth)


@router.post("/admin/kiosks/{kiosk_id}/{action}")
def admin_kiosk(
    kiosk_id: uuid.UUID,
    action: Literal["disable", "enable", "rekey"],
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    reason: Reason = "",
) -> Response:
    """Switch a kiosk off (its key is refused from its next call) or on, or give it a new key,
    shown on this page once."""
    translate = i18n.translator(web.request_language(request, auth.user))
    secret = None
    try:
        with session.begin_nested():
            kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
            name = f"{kiosk.checkpoint.name}/{kiosk.name}"
            if action == "rekey":
                secret = stations.rekey_kiosk(session, kiosk=kiosk, actor=auth.actor)
            else:
                stations.set_kiosk_active(
                    session, kiosk=kiosk, active=action == "enable", actor=auth.actor, reason=reason
                )
    except HetaoError as exc:
        return _admin(request, session, context, auth, problem=exc.detail)
    notice = {
        "disable": translate("Kiosk {name} is disabled: its key is refused from its next call.", name=name),
        "enable": translate("Kiosk {name} is enabled again.", name=name),
        "rekey": translate(
            "Kiosk {name} has a new API key, shown only now: give it to the kiosk as --key.", name=name
        ),
    }[action]
    return _admin(request, session, context, auth, notice=notice, secret=secret)


@router.post("/admin/users/{user_id}/{action}")
def admin_user(
    user_id: uuid.UUID,
    action: Literal["disable", "enable", "password"],
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    reason: Reason = "",
) -> Response:
    """Switch a staff account off (signed out everywhere, tokens refused) or on, or give it a new
    generated password, shown on this page once."""
    translate = i18n.translator(web.request_language(request, auth.user))
    secret = None
    try:
        with session.begin_nested():
            user = accounts.get_user_or_raise(session, user_id)
            if action == "password":
                secret = security.generate_password()
                accounts.reset_password(session, user=user, password=secret, actor=auth.actor)
            else:
                accounts.set_user_active(
                    session, user=user, active=action == "enable", actor=auth.actor, reason=reason
                )
    except HetaoError as exc:
        return _admin(request, session, context, auth, problem=exc.detail)
    notice = {
        "disable": translate("{name} is disabled and signed out everywhere.", name=user.username),
        "enable": translate("{name} can sign in again.", name=user.username),
        "password": translate(
            "New password for {name}, shown only now; their browser sessions ended.", name=user.username
        ),
    }[action]
    return _admin(request, session, context, auth, notice=notice, secret=secret)
