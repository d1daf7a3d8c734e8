"""The administrator's page: every kiosk and when it last called, staff accounts, checkpoints and
organisations; each made and edited from it, kiosks and accounts switched off and on, re-keyed and
given new passwords. Every action is the service function the API and the CLI call (audited there)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from clearance.accounts import security
from clearance.accounts import service as accounts
from clearance.core.enums import Bridge, Direction, Park, Role
from clearance.core.errors import HetaoError
from clearance.stations import service as stations
from clearance.web import i18n
from clearance.web import pages as web
from clearance.web.deps import ContextDep, SessionDep
from clearance.web.pages import FormAdmin, PageAdmin, PageAuth, render

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=200)]
Name = Annotated[str, Form(min_length=1, max_length=200)]


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
        roles=list(Role),
        parks=list(Park),
        bridges=list(Bridge),
        directions=list(Direction),
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

    def switch(translate: i18n.Translate) -> tuple[str, str | None]:
        kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
        if action == "rekey":
            api_key = stations.rekey_kiosk(session, kiosk=kiosk, actor=auth.actor)
            return translate(
                "Kiosk {name} has a new API key, shown only now: give it to the kiosk as --key.", name=name
            ), api_key
        stations.set_kiosk_active(
            session, kiosk=kiosk, active=action == "enable", actor=auth.actor, reason=reason
        )
        if action == "enable":
            return translate("Kiosk {name} is enabled again.", name=name), None
        return translate("Kiosk {name} is disabled: its key is refused from its next call.", name=name), None

    return _act(request, session, context, auth, switch)


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

    def switch(translate: i18n.Translate) -> tuple[str, str | None]:
        user = accounts.get_user_or_raise(session, user_id)
        if action == "password":
            password = security.generate_password()
            accounts.reset_password(session, user=user, password=password, actor=auth.actor)
            return translate(
                "New password for {name}, shown only now; their browser sessions ended.", name=user.username
            ), password
        accounts.set_user_active(
            session, user=user, active=action == "enable", actor=auth.actor, reason=reason
        )
        if action == "enable":
            return translate("{name} can sign in again.", name=user.username), None
        return translate("{name} is disabled and signed out everywhere.", name=user.username), None

    return _act(request, session, context, auth, switch)


def _act(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: PageAuth,
    action: Callable[[i18n.Translate], tuple[str, str | None]],
) -> Response:
    """Do ``action`` (which says, in the viewer's language, what it did, and gives a secret to
    show once); the page again, saying so, or saying why it could not."""
    try:
        with session.begin_nested():
            notice, secret = action(web.translator_for(request, auth.user))
    except HetaoError as exc:
        return _admin(request, session, context, auth, problem=exc.detail)
    return _admin(request, session, context, auth, notice=notice, secret=secret)


@router.post("/admin/organisations")
def admin_create_organisation(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
    park: Annotated[Park, Form()],
) -> Response:
    def create(translate: i18n.Translate) -> tuple[str, str | None]:
        made = accounts.create_organisation(session, name=name, park=park, actor=auth.actor)
        return translate("Organisation {name} created.", name=made.name), None

    return _act(request, session, context, auth, create)


@router.post("/admin/organisations/{organisation_id}")
def admin_edit_organisation(
    organisation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
    park: Annotated[Park, Form()],
) -> Response:
    def edit(translate: i18n.Translate) -> tuple[str, str | None]:
        organisation = accounts.get_organisation_or_raise(session, organisation_id)
        accounts.edit_organisation(session, organisation=organisation, name=name, park=park, actor=auth.actor)
        return translate("Saved: {name}.", name=organisation.name), None

    return _act(request, session, context, auth, edit)


def _organisation_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.post("/admin/users")
def admin_create_user(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    username: Annotated[str, Form(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")],
    role: Annotated[Role, Form()],
    organisation: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A staff account with a generated password, shown once (they change nothing: an
    administrator hands it over)."""

    def create(translate: i18n.Translate) -> tuple[str, str | None]:
        password = security.generate_password()
        organisation_id = _organisation_id(organisation) if role is Role.ENROLLER else None
        made = accounts.create_user(
            session,
            username=username,
            password=password,
            role=role,
            organisation_id=organisation_id,
            actor=auth.actor,
        )
        said = translate("Account {name} created; its password, shown only now:", name=made.username)
        return said, password

    return _act(request, session, context, auth, create)


@router.post("/admin/users/{user_id}")
def admin_edit_user(
    user_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    role: Annotated[Role, Form()],
    organisation: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    def edit(translate: i18n.Translate) -> tuple[str, str | None]:
        user = accounts.get_user_or_raise(session, user_id)
        organisation_id = _organisation_id(organisation) if role is Role.ENROLLER else None
        accounts.edit_user(session, user=user, role=role, organisation_id=organisation_id, actor=auth.actor)
        return translate("Saved: {name}.", name=user.username), None

    return _act(request, session, context, auth, edit)


@router.post("/admin/checkpoints")
def admin_create_checkpoint(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
    bridge: Annotated[Bridge, Form()],
    face_only: Annotated[bool, Form()] = False,
) -> Response:
    def create(translate: i18n.Translate) -> tuple[str, str | None]:
        made = stations.create_checkpoint(
            session,
            name=name,
            bridge=bridge,
            face_only=face_only,
            face_only_bound=context.settings.face_only_max_gallery,
            actor=auth.actor,
        )
        return translate("Checkpoint {name} created.", name=made.name), None

    return _act(request, session, context, auth, create)


@router.post("/admin/checkpoints/{checkpoint_id}")
def admin_edit_checkpoint(
    checkpoint_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
    face_only: Annotated[bool, Form()] = False,
) -> Response:
    def edit(translate: i18n.Translate) -> tuple[str, str | None]:
        checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
        stations.edit_checkpoint(
            session,
            checkpoint=checkpoint,
            name=name,
            face_only=face_only,
            face_only_bound=context.settings.face_only_max_gallery,
            actor=auth.actor,
        )
        return translate("Saved: {name}.", name=checkpoint.name), None

    return _act(request, session, context, auth, edit)


@router.post("/admin/kiosks")
def admin_create_kiosk(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    checkpoint: Annotated[uuid.UUID, Form()],
    name: Name,
    direction: Annotated[Direction, Form()],
) -> Response:
    def create(translate: i18n.Translate) -> tuple[str, str | None]:
        at = stations.get_checkpoint_or_raise(session, checkpoint)
        kiosk, api_key = stations.create_kiosk(
            session, checkpoint=at, name=name, direction=direction, actor=auth.actor
        )
        said = translate(
            "Kiosk {name} created; its API key, shown only now: give it to the kiosk as --key.",
            name=f"{at.name}/{kiosk.name}",
        )
        return said, api_key

    return _act(request, session, context, auth, create)


@router.post("/admin/kiosks/{kiosk_id}")
def admin_rename_kiosk(
    kiosk_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
) -> Response:
    def rename(translate: i18n.Translate) -> tuple[str, str | None]:
        kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
        stations.edit_kiosk(session, kiosk=kiosk, name=name, actor=auth.actor)
        return translate("Saved: {name}.", name=f"{kiosk.checkpoint.name}/{kiosk.name}"), None

    return _act(request, session, context, auth, rename)
