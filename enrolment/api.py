"""Enrolment endpoints: commuters, their photos and approval, and their credentials."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from clearance import audit, credentials, qr, vault, whitelist
from clearance.db import after_commit, utcnow
from clearance.deps import (
    ContextDep,
    CurrentOfficer,
    CurrentStaff,
    SessionDep,
    client_ip,
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
from clearance.models import Commuter, CommuterStatus, Credential, ImportJob, Park, User
from enrolment import cards, commuters, imports, issuing, photos
from enrolment.commuters import DocumentType, Registration
from enrolment.schemas import (
    CommuterOut,
    CredentialCreate,
    CredentialIssued,
    CredentialOut,
    ImportJobOut,
    ImportRowOut,
    ReasonRequired,
    StatusChange,
)

router = APIRouter(tags=["enrolment"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


def commuter_out(commuter: Commuter, *, data_key: vault.DataKey) -> CommuterOut:
    return CommuterOut.model_validate(
        {
            **{
                field: getattr(commuter, field)
                for field in CommuterOut.model_fields
                if hasattr(commuter, field)
            },
            "document_number": commuters.document_number(commuter, data_key=data_key),
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
        index_key=context.keyring.index_key,
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
        keyring=context.keyring,
    )
    context.metrics.enrolments.labels(outcome="enrolled").inc()
    return commuter_out(commuter, data_key=context.keyring.data_key)


@router.get("/commuters", response_model=list[CommuterOut], responses=responses(*AUTH_ERRORS))
def list_commuters(
    session: SessionDep,
    context: ContextDep,
    user: CurrentStaff,
    status: CommuterStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name or document number")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CommuterOut]:
    """Commuters the caller may see (an enroller: their organisation's), newest first."""
    found = commuters.list_commuters(
        session,
        user=user,
        status=status,
        q=q,
        index_key=context.keyring.index_key,
        limit=limit,
        offset=offset,
    )
    return [commuter_out(c, data_key=context.keyring.data_key) for c in found]


@router.get(
    "/commuters/{commuter_id}", response_model=CommuterOut, responses=responses(*AUTH_ERRORS, NotFound)
)
def read_commuter(
    commuter: CommuterDep,
    context: ContextDep,
    session: SessionDep,
    user: CurrentStaff,
    request: Request,
    purpose: Annotated[str | None, Query(pattern=audit.PURPOSE_PATTERN, description="Why (audited)")] = None,
) -> CommuterOut:
    """One commuter; the read is recorded in the audit trail, with its purpose if given."""
    audit.record_event(
        session,
        actor=audit.Actor(user, client_ip(request)),
        action="read_commuter",
        object_type="commuter",
        object_id=commuter.id,
        purpose=purpose,
    )
    return commuter_out(commuter, data_key=context.keyring.data_key)


@router.get(
    "/commuters/{commuter_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **responses(*AUTH_ERRORS, NotFound)},
)
def read_reference_photo(
    commuter: CommuterDep,
    context: ContextDep,
    session: SessionDep,
    user: CurrentStaff,
    request: Request,
    purpose: Annotated[str, Query(description="Why it is needed: " + ", ".join(audit.PURPOSES))],
) -> Response:
    """The downscaled reference photo, for a manual check; each view is audited with its purpose."""
    jpeg = commuters.view_reference_photo(
        session,
        commuter=commuter,
        data_key=context.keyring.data_key,
        actor=audit.Actor(user, client_ip(request)),
        purpose=purpose,
    )
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post(
    "/commuters/{commuter_id}/approve",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def approve(
    officer: CurrentOfficer, commuter: CommuterDep, session: SessionDep, context: ContextDep
) -> CommuterOut:
    """Approve a pending registration (never one you entered): the commuter joins the whitelist."""
    return commuter_out(
        commuters.approve_commuter(session, commuter=commuter, officer=officer),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/suspend",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def suspend(
    _officer: CurrentOfficer,
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    body: ReasonRequired,
) -> CommuterOut:
    """Suspend an active commuter, with a reason; they are off the whitelist until reinstated."""
    return commuter_out(
        commuters.suspend_commuter(session, commuter=commuter, reason=body.reason),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/reinstate",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def reinstate(
    _officer: CurrentOfficer, commuter: CommuterDep, session: SessionDep, context: ContextDep
) -> CommuterOut:
    """Reinstate a suspended commuter."""
    return commuter_out(
        commuters.reinstate_commuter(session, commuter=commuter), data_key=context.keyring.data_key
    )


@router.post(
    "/commuters/{commuter_id}/revoke",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def revoke(
    _officer: CurrentOfficer,
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    body: StatusChange | None = None,
) -> CommuterOut:
    """Revoke for good: erases the face template and reference photo, revokes every credential."""
    reason = body.reason if body else None
    return commuter_out(
        commuters.revoke_commuter(session, commuter=commuter, reason=reason),
        data_key=context.keyring.data_key,
    )


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


def get_import_runner(request: Request) -> imports.ImportRunner:
    runner: imports.ImportRunner = request.app.state.imports
    return runner


ImportRunnerDep = Annotated[imports.ImportRunner, Depends(get_import_runner)]


def start_import(
    session: SessionDep,
    context: ContextDep,
    runner: imports.ImportRunner,
    user: User,
    *,
    csv_upload: UploadFile | None,
    zip_upload: UploadFile,
) -> ImportJob:
    """Check an upload whole, store its job and hand it to the import worker after the commit."""
    limit = context.settings.max_import_bytes
    zip_bytes = zip_upload.file.read(limit + 1)
    if len(zip_bytes) > limit:
        raise PayloadTooLarge(f"the zip is over the {limit // (1024 * 1024)} MiB import limit")
    csv_bytes = (
        read_upload(csv_upload, settings=context.settings) if csv_upload and csv_upload.filename else None
    )
    request = imports.read_upload(
        csv_bytes=csv_bytes,
        zip_bytes=zip_bytes,
        filename=(csv_upload.filename if csv_bytes is not None and csv_upload else zip_upload.filename)
        or "import",
        user=user,
        settings=context.settings,
    )
    job = imports.create_job(session, request=request, user=user)
    # The worker reads the job in its own transaction: it may start only once this one commits.
    after_commit(session, lambda: runner.submit(job_id=job.id, user_id=user.id, request=request))
    return job


@router.post(
    "/commuters/import",
    status_code=202,
    response_model=ImportJobOut,
    responses=responses(*AUTH_ERRORS, InvalidInput, PayloadTooLarge),
)
def import_commuters(
    session: SessionDep,
    context: ContextDep,
    runner: ImportRunnerDep,
    user: CurrentStaff,
    photos: Annotated[
        UploadFile, File(description="A zip of the photos the CSV names (it may hold the CSV)")
    ],
    csv: Annotated[UploadFile | None, File(description="The CSV, if it is not inside the zip")] = None,
) -> ImportJob:
    """Start a bulk import; follow its progress and per-row report at /imports/{id}."""
    return start_import(session, context, runner, user, csv_upload=csv, zip_upload=photos)


@router.get("/imports/{job_id}", response_model=ImportJobOut, responses=responses(*AUTH_ERRORS, NotFound))
def read_import(job_id: uuid.UUID, session: SessionDep, user: CurrentStaff) -> ImportJobOut:
    """An import's progress and, row by row, what was enrolled and what failed and why."""
    job = imports.get_job_or_raise(session, job_id, user=user)
    out = ImportJobOut.model_validate(job)
    out.rows = [ImportRowOut.model_validate(row) for row in imports.job_rows(session, job)]
    return out


@router.get(
    "/credentials/{credential_id}/card.{fmt}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "application/pdf": {}}},
        **responses(*AUTH_ERRORS, NotFound, InvalidInput, InvalidTransition),
    },
)
def credential_card(
    credential: CredentialDep,
    fmt: Literal["png", "pdf"],
    context: ContextDep,
    session: SessionDep,
    user: CurrentStaff,
    request: Request,
) -> Response:
    """A printable card (85.6 x 54 mm) with name, photo and QR, as PNG or PDF."""
    return card_response(
        credential,
        fmt=fmt,
        context=context,
        session=session,
        actor=audit.Actor(user, client_ip(request)),
    )


def card_response(
    credential: Credential, *, fmt: str, context: ContextDep, session: SessionDep, actor: audit.Actor
) -> Response:
    card = cards.render_card(cards.card_content(credential, data_key=context.keyring.data_key))
    audit.record_event(
        session,
        actor=actor,
        action="print_card",
        object_type="commuter",
        object_id=credential.commuter_id,
        purpose="card_printing",
        detail=f"credential {credential.id} as {fmt}",
    )
    if fmt == "pdf":
        return Response(
            cards.card_pdf(card), media_type="application/pdf", headers={"Cache-Control": "no-store"}
        )
    return Response(cards.card_png(card), media_type="image/png", headers={"Cache-Control": "no-store"})
