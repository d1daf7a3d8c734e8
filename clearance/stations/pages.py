"""The administrator's page: every kiosk and when it last called, staff accounts, checkpoints and
organisations; each made and edited from it, kiosks and accounts switched off and on, re-keyed and
given new passwords. Every action is the service function the API and the CLI call (audited there)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from clearance.accounts import service as accounts
from clearance.core import security
from clearance.core.enums import Bridge, Direction, Park, Role
from clearance.core.zone import utcnow
from clearance.http import i18n
from clearance.http import pages as html
from clearance.http.deps import ContextDep, SessionDep
from clearance.http.pages import FormAdmin, PageAdmin, PageAuth, render
from clearance.stations import service as stations

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
    organisations = accounts.organisations_with_staff_counts(session)
    kiosks = stations.list_kiosks(session)
    # A kiosk that has not called for the alert's time is not shown as merely "active": it is off,
    # cut off from the network or stuck (the officers get an alert for it too).
    now = utcnow()
    silent_after = timedelta(minutes=context.settings.kiosk_silent_minutes)
    silent = {
        k.id: int((now - k.last_seen_at).total_seconds() // 60)
        for k in kiosks
        if k.is_active and k.last_seen_at is not None and now - k.last_seen_at >= silent_after
    }
    return render(
        request,
        "admin.html",
        auth=auth,
        kiosks=kiosks,
        silent=silent,
        users=accounts.list_users(session),
        organisations=organisations,
        # Most new accounts are enrolment staff, and an administrator made by a slip of the hand
        # is the costly mistake: the form starts at the least powerful role, with an organisation
        # already chosen when there is only one.
        new_user_role=Role.ENROLLER,
        new_user_organisation=organisations[0][0].id if len(organisations) == 1 else None,
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


def kiosk_command(request: Request, api_key: str) -> str:
    """The command that starts a kiosk with ``api_key`` against this server, ready to paste
    (camera 0; the README says what else ``--source`` takes)."""
    server = str(request.base_url).rstrip("/")
    return f"hetao kiosk --server {server} --key {api_key} --source 0"


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

    def switch(translate: i18n.Translate) -> html.Flash:
        kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
        if action == "rekey":
            api_key = stations.rekey_kiosk(session, kiosk=kiosk, actor=auth.actor)
            return html.Flash(
                translate(
                    "Kiosk {name} has a new API key, shown only now: give it to the kiosk as --key.",
                    name=name,
                ),
                secret=api_key,
                extra={"kiosk_command": kiosk_command(request, api_key)},
            )
        stations.set_kiosk_active(
            session, kiosk=kiosk, active=action == "enable", actor=auth.actor, reason=reason
        )
        if action == "enable":
            return html.Flash(translate("Kiosk {name} is enabled again.", name=name))
        return html.Flash(
            translate("Kiosk {name} is disabled: its key is refused from its next call.", name=name)
        )

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

    def switch(translate: i18n.Translate) -> html.Flash:
        user = accounts.get_user_or_raise(session, user_id)
        if action == "password":
            password = security.generate_password()
            accounts.reset_password(session, user=user, password=password, actor=auth.actor)
            return html.Flash(
                translate(
                    "New password for {name}, shown only now; their browser sessions ended.",
                    name=user.username,
                ),
                secret=password,
            )
        accounts.set_user_active(
            session, user=user, active=action == "enable", actor=auth.actor, reason=reason
        )
        if action == "enable":
            return html.Flash(translate("{name} can sign in again.", name=user.username))
        return html.Flash(translate("{name} is disabled and signed out everywhere.", name=user.username))

    return _act(request, session, context, auth, switch)


def _act(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: PageAuth,
    action: Callable[[i18n.Translate], html.Flash],
) -> Response:
    """Do ``action``, then back to the admin page saying what it did (and any secret, once); or the
    page again saying why it could not."""
    return html.act(
        request,
        session,
        auth,
        action,
        then="/admin",
        again=lambda problem: _admin(request, session, context, auth, problem=problem),
    )


@router.post("/admin/organisations")
def admin_create_organisation(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormAdmin,
    name: Name,
    park: Annotated[Park, Form()],
) -> Response:
    def create(translate: i18n.Translate) -> html.Flash:
        made = accounts.create_organisation(session, name=name, park=park, actor=auth.actor)
        return html.Flash(translate("Organisation {name} created.", name=made.name))

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
    def edit(translate: i18n.Translate) -> html.Flash:
        organisation = accounts.get_organisation_or_raise(session, organisation_id)
        accounts.edit_organisation(session, organisation=organisation, name=name, park=park, actor=auth.actor)
        return html.Flash(translate("Saved: {name}.", name=organisation.name))

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

    def create(translate: i18n.Translate) -> html.Flash:
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
        return html.Flash(said, secret=password)

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
    def edit(translate: i18n.Translate) -> html.Flash:
        user = accounts.get_user_or_raise(session, user_id)
        organisation_id = _organisation_id(organisation) if role is Role.ENROLLER else None
        accounts.edit_user(session, user=user, role=role, organisation_id=organisation_id, actor=auth.actor)
        return html.Flash(translate("Saved: {name}.", name=user.username))

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
    def create(translate: i18n.Translate) -> html.Flash:
        made = stations.create_checkpoint(
            session,
            name=name,
            bridge=bridge,
            face_only=face_only,
            face_only_bound=context.settings.face_only_max_gallery,
            actor=auth.actor,
        )
        return html.Flash(translate("Checkpoint {name} created.", name=made.name))

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
    def edit(translate: i18n.Translate) -> html.Flash:
        checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
        stations.edit_checkpoint(
            session,
            checkpoint=checkpoint,
            name=name,
            face_only=face_only,
            face_only_bound=context.settings.face_only_max_gallery,
            actor=auth.actor,
        )
        return html.Flash(translate("Saved: {name}.", name=checkpoint.name))

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
    def create(translate: i18n.Translate) -> html.Flash:
        at = stations.get_checkpoint_or_raise(session, checkpoint)
        kiosk, api_key = stations.create_kiosk(
            session, checkpoint=at, name=name, direction=direction, actor=auth.actor
        )
        said = translate(
            "Kiosk {name} created; its API key, shown only now: give it to the kiosk as --key.",
            name=f"{at.name}/{kiosk.name}",
        )
        return html.Flash(said, secret=api_key, extra={"kiosk_command": kiosk_command(request, api_key)})

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
    def rename(translate: i18n.Translate) -> html.Flash:
        kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
        stations.edit_kiosk(session, kiosk=kiosk, name=name, actor=auth.actor)
        return html.Flash(translate("Saved: {name}.", name=f"{kiosk.checkpoint.name}/{kiosk.name}"))

    return _act(request, session, context, auth, rename)
