"""Sign-in for API clients, and the administration of organisations and staff accounts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.security import OAuth2PasswordRequestForm

from clearance.accounts import service as accounts
from clearance.accounts.schemas import (
    OrganisationCreate,
    OrganisationEdit,
    OrganisationOut,
    PasswordReset,
    Token,
    UserCreate,
    UserEdit,
    UserOut,
    UserSwitch,
)
from clearance.core import security
from clearance.core.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    TooManySignIns,
    responses,
)
from clearance.core.zone import utcnow
from clearance.db.actors import PublicActor
from clearance.db.models import Organisation, User
from clearance.http.deps import AdminActor, ContextDep, CurrentAdmin, SessionDep, client_ip

router = APIRouter()
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    responses=responses(InvalidCredentials, TooManySignIns),
)
def sign_in(
    session: SessionDep,
    context: ContextDep,
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    device_token: Annotated[
        str | None,
        Header(max_length=200, description="The device_token of an earlier sign-in of this client"),
    ] = None,
) -> Token:
    """Exchange a username and password for a bearer token (OAuth2 password flow)."""
    settings = context.settings
    signed_in = accounts.sign_in(
        session,
        username=form.username,
        password=form.password,
        actor=PublicActor(ip=client_ip(request)),
        limits=accounts.SignInLimits.from_settings(settings),
        now=utcnow(),
        device_token=device_token,
        secret=settings.token_secret,
    )
    user = signed_in.user
    token = security.create_access_token(
        user_id=user.id,
        role=user.role,
        version=user.sessions_version,
        secret=settings.token_secret,
        now=utcnow(),
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )
    return Token(access_token=token, device_token=signed_in.device_token)


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, Conflict),
)
def create_organisation(session: SessionDep, actor: AdminActor, body: OrganisationCreate) -> Organisation:
    """Register a park tenant or the park operator."""
    return accounts.create_organisation(session, name=body.name, park=body.park, actor=actor)


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    tags=["administration"],
    responses=responses(*AUTH_ERRORS),
)
def list_organisations(session: SessionDep, _admin: CurrentAdmin) -> list[Organisation]:
    """Every organisation, by name."""
    return accounts.list_organisations(session)


@router.patch(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, Conflict, InvalidInput),
)
def edit_organisation(
    organisation_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: OrganisationEdit
) -> Organisation:
    """Rename an organisation or move it to the other park; only the fields sent change."""
    organisation = accounts.get_organisation_or_raise(session, organisation_id)
    return accounts.edit_organisation(
        session, organisation=organisation, name=body.name, park=body.park, actor=actor
    )


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, Conflict, NotFound, InvalidInput),
)
def create_user(session: SessionDep, actor: AdminActor, body: UserCreate) -> User:
    """Create a staff account; an enroller names its organisation."""
    return accounts.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        organisation_id=body.organisation_id,
        actor=actor,
    )


@router.get(
    "/users", response_model=list[UserOut], tags=["administration"], responses=responses(*AUTH_ERRORS)
)
def list_users(session: SessionDep, _admin: CurrentAdmin) -> list[User]:
    """Every staff account, by username, enabled or not."""
    return accounts.list_users(session)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidInput, InvalidTransition),
)
def edit_user(user_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: UserEdit) -> User:
    """Another role or (an enroller) another organisation; a change of role signs them out of every
    browser."""
    user = accounts.get_user_or_raise(session, user_id)
    return accounts.edit_user(
        session, user=user, role=body.role, organisation_id=body.organisation_id, actor=actor
    )


@router.post(
    "/users/{user_id}/disable",
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def disable_user(
    user_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: UserSwitch | None = None
) -> User:
    """Disable a staff account: its browser sessions end and its API tokens are refused at once."""
    user = accounts.get_user_or_raise(session, user_id)
    return accounts.set_user_active(
        session, user=user, active=False, actor=actor, reason=body.reason if body else ""
    )


@router.post(
    "/users/{user_id}/enable",
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def enable_user(
    user_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: UserSwitch | None = None
) -> User:
    """Enable a disabled staff account again."""
    user = accounts.get_user_or_raise(session, user_id)
    return accounts.set_user_active(
        session, user=user, active=True, actor=actor, reason=body.reason if body else ""
    )


@router.post(
    "/users/{user_id}/password",
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidInput),
)
def reset_password(user_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: PasswordReset) -> User:
    """Set a new password for a staff account; its browser sessions end."""
    user = accounts.get_user_or_raise(session, user_id)
    return accounts.reset_password(session, user=user, password=body.password, actor=actor)
