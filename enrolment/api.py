"""Enrolment endpoints: commuters, their photos and approval, and their credentials."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response

from clearance import credentials, qr, vault, whitelist
from clearance.db import utcnow
from clearance.deps import (
    ContextDep,
    CurrentOfficer,
    CurrentStaff,
    SessionDep,
    read_upload,
)
from clearance.errors import (
    Conflict,
    FaceCheckFailed,
    Forbidden,
    InvalidImage,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    responses,
)
from clearance.models import Commuter, CommuterStatus, Credential, Park
from enrolment import commuters, issuing, photos
from enrolment.commuters import DocumentType, Registration
from enrolment.schemas import (
    CommuterOut,
    CredentialCreate,
    CredentialIssued,
    CredentialOut,
    ReasonRequired,
    StatusChange,
)

router = APIRouter(tags=["enrolment"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


def commuter_out(commuter: Commuter) -> CommuterOut:
    return CommuterOut.model_validate(
        {
            **{
                field: getattr(commuter, field)
                for field in CommuterOut.model_fields
                if hasattr(commuter, field)
            },
            "has_biometrics": commuter.template is not None,
            "photo_quality": commuter.template.quality if commuter.template else None,
        }
    )


def get_commuter(commuter_id: uuid.UUID, session: SessionDep, user: CurrentStaff) -> Commuter:
    return commuters.get_commuter_or_raise(session, commuter_id, user=user)


CommuterDep = Annotated[Commuter, Depends(get_commuter)]


def get_credential(credential_id: uuid.UUID, session: SessionDep, user: CurrentStaff) -> Credential:
    return issuing.get_credential_or_raise(session, credential_id, user=user)


CredentialDep = Annotated[Credential, Depends(get_credential)]


@router.post(
    "/commuters",
    status_code=201,
    response_model=CommuterOut,
    responses=responses(
        *AUTH_ERRORS, NotFound, Conflict, PayloadTooLarge, InvalidImage, FaceCheckFailed, InvalidInput
    ),
)
def create_commuter(
    session: SessionDep,
    context: ContextDep,
    user: CurrentStaff,
    full_name: Annotated[str, Form(max_length=200)],
    document_type: Annotated[DocumentType, Form()],
    document_number: Annotated[str, Form(max_length=64)],
    organisation_id: Annotated[uuid.UUID, Form()],
    home_park: Annotated[Park, Form()],
    valid_until: Annotated[date, Form()],
    photo: Annotated[UploadFile, File(description="JPEG or PNG with the commuter's face alone")],
    face_only: Annotated[bool, Form(description="Opted in to face-only walk-through")] = False,
) -> CommuterOut:
    """Pre-register a commuter from their details and one photo; they start pending approval."""
    registration = commuters.validate_registration(
        session,
        registration=Registration(
            full_name=full_name,
            document_type=document_type,
            document_number=document_number,
            organisation_id=organisation_id,
            home_park=home_park,
            valid_until=valid_until,
            face_only=face_only,
        ),
        enroller=user,
    )
    settings = context.settings
    try:
        image = photos.load_photo(read_upload(photo, settings=settings), settings=settings)
        template = photos.make_template(image, settings=settings)
    except (PayloadTooLarge, InvalidImage, FaceCheckFailed) as exc:
        context.metrics.enrolments.labels(outcome=exc.extra.get("check", exc.name)).inc()
        raise
    commuter = commuters.enrol_commuter(
        session,
        registration=registration,
        template=template,
        enroller=user,
        data_key=context.keyring.data_key,
    )
    context.metrics.enrolments.labels(outcome="enrolled").inc()
    return commuter_out(commuter)


@router.get("/commuters", response_model=list[CommuterOut], responses=responses(*AUTH_ERRORS))
def list_commuters(
    session: SessionDep,
    user: CurrentStaff,
    status: CommuterStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name or document number")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CommuterOut]:
    """Commuters the caller may see (an enroller: their organisation's), newest first."""
    found = commuters.list_commuters(session, user=user, status=status, q=q, limit=limit, offset=offset)
    return [commuter_out(c) for c in found]


@router.get(
    "/commuters/{commuter_id}", response_model=CommuterOut, responses=responses(*AUTH_ERRORS, NotFound)
)
def read_commuter(commuter: CommuterDep) -> CommuterOut:
    """One commuter."""
    return commuter_out(commuter)


@router.get(
    "/commuters/{commuter_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **responses(*AUTH_ERRORS, NotFound)},
)
def read_reference_photo(commuter: CommuterDep, context: ContextDep) -> Response:
    """The downscaled reference photo, for a manual check by an officer."""
    jpeg = commuters.reference_photo(commuter, data_key=context.keyring.data_key)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post(
    "/commuters/{commuter_id}/approve",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def approve(commuter: CommuterDep, session: SessionDep, officer: CurrentOfficer) -> CommuterOut:
    """Approve a pending registration (never one you entered): the commuter joins the whitelist."""
    return commuter_out(commuters.approve_commuter(session, commuter=commuter, officer=officer))


@router.post(
    "/commuters/{commuter_id}/suspend",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def suspend(
    commuter: CommuterDep, session: SessionDep, _officer: CurrentOfficer, body: ReasonRequired
) -> CommuterOut:
    """Suspend an active commuter, with a reason; they are off the whitelist until reinstated."""
    return commuter_out(commuters.suspend_commuter(session, commuter=commuter, reason=body.reason))


@router.post(
    "/commuters/{commuter_id}/reinstate",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def reinstate(commuter: CommuterDep, session: SessionDep, _officer: CurrentOfficer) -> CommuterOut:
    """Reinstate a suspended commuter."""
    return commuter_out(commuters.reinstate_commuter(session, commuter=commuter))


@router.post(
    "/commuters/{commuter_id}/revoke",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def revoke(
    commuter: CommuterDep, session: SessionDep, _officer: CurrentOfficer, body: StatusChange | None = None
) -> CommuterOut:
    """Revoke for good: erases the face template and reference photo, revokes every credential."""
    reason = body.reason if body else None
    return commuter_out(commuters.revoke_commuter(session, commuter=commuter, reason=reason))


@router.post(
    "/commuters/{commuter_id}/credentials",
    status_code=201,
    response_model=CredentialIssued,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition, InvalidInput),
)
def create_credential(
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    user: CurrentStaff,
    body: CredentialCreate | None = None,
) -> CredentialIssued:
    """Issue a signed credential to an active commuter (a dynamic one comes with its code key)."""
    issued = issuing.issue_credential(
        session,
        commuter=commuter,
        kind=(body or CredentialCreate()).kind,
        issued_by=user,
        keyring=context.keyring,
        lifetime=timedelta(days=context.settings.credential_days),
        now=utcnow(),
    )
    out = CredentialIssued.model_validate(issued.credential)
    out.secret = base64.b64encode(issued.secret).decode() if issued.secret else None
    return out


@router.get(
    "/commuters/{commuter_id}/credentials",
    response_model=list[CredentialOut],
    responses=responses(*AUTH_ERRORS, NotFound),
)
def list_credentials(commuter: CommuterDep, session: SessionDep) -> list[Credential]:
    """A commuter's credentials, newest first."""
    return issuing.list_credentials(session, commuter=commuter)


@router.get(
    "/credentials/{credential_id}", response_model=CredentialOut, responses=responses(*AUTH_ERRORS, NotFound)
)
def read_credential(credential: CredentialDep) -> Credential:
    """One credential."""
    return credential


@router.get(
    "/credentials/{credential_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **responses(*AUTH_ERRORS, NotFound)},
)
def credential_qr(credential: CredentialDep, context: ContextDep) -> Response:
    """The credential as a QR code (PNG); for a dynamic one, the code of the current 30 s."""
    text = credential.payload
    if credential.sealed_secret is not None:
        secret = vault.unseal(
            context.keyring.data_key,
            credential.sealed_secret,
            context=whitelist.secret_context(credential.id),
        )
        text = credentials.dynamic_qr_text(text, secret=secret, now=utcnow())
    return Response(qr.render_qr_png(text), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/credentials/{credential_id}/revoke",
    response_model=CredentialOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def revoke_credential(credential: CredentialDep, session: SessionDep) -> Credential:
    """Revoke one credential (lost card, new phone); the commuter stays whitelisted."""
    return issuing.revoke_credential(session, credential=credential, now=utcnow())
