"""Enrolment endpoints: commuters, their photos and approval, their credentials, bulk import."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from clearance.audit.service import PURPOSE_PATTERN, PURPOSES
from clearance.core import vault
from clearance.core.enums import CommuterStatus, CsvEncoding, DocumentType, Park
from clearance.core.errors import (
    Conflict,
    FaceCheckFailed,
    Forbidden,
    InvalidImage,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServerBusy,
    responses,
)
from clearance.core.messages import Message
from clearance.core.zone import local_today, utcnow
from clearance.db.actors import UserActor
from clearance.db.models import Commuter, Credential, ImportJob
from clearance.http import i18n
from clearance.http import pages as html
from clearance.http.deps import (
    ContextDep,
    CurrentStaff,
    OfficerActor,
    SessionDep,
    StaffActor,
    client_ip,
    read_upload,
)
from clearance.vision import qr
from clearance.whitelist import biometrics
from enrolment import cards, commuters, imports, issuing, passes
from enrolment.commuters import Registration
from enrolment.schemas import (
    CommuterOut,
    CredentialChange,
    CredentialCreate,
    CredentialIssued,
    CredentialOut,
    ImportJobOut,
    ImportRowOut,
    PassActivate,
    PassOut,
    PassProof,
    PassStatusOut,
    ReasonRequired,
    StatusChange,
)

router = APIRouter(tags=["enrolment"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)
PHOTO_ERRORS = (PayloadTooLarge, InvalidImage, FaceCheckFailed, InvalidInput)
NO_STORE = {"Cache-Control": "no-store"}


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
            "template_photos": biometrics.photo_count(commuter.template) if commuter.template else 0,
            "face_model": commuter.template.model if commuter.template else None,
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
    actor: StaffActor,
    document_type: Annotated[DocumentType, Form()],
    document_number: Annotated[str, Form(max_length=64)],
    organisation_id: Annotated[uuid.UUID, Form()],
    home_park: Annotated[Park, Form()],
    valid_until: Annotated[date, Form()],
    photo: Annotated[
        list[UploadFile],
        File(
            description="JPEG or PNG with the commuter's face alone; send two (or three) to enrol from "
            "several photos, which refuses far fewer genuine commuters at the kiosk"
        ),
    ],
    face_only: Annotated[bool, Form(description="Opted in to face-only walk-through")] = False,
    full_name: Annotated[str, Form(max_length=200, description="The name in Latin letters")] = "",
    chinese_name: Annotated[str, Form(max_length=100, description="The name in Chinese characters")] = "",
) -> CommuterOut:
    """Pre-register a commuter from their details and one or more photos; they start pending approval."""
    commuter = commuters.register_commuter(
        session,
        registration=Registration(
            full_name=full_name,
            chinese_name=chinese_name,
            document_type=document_type,
            document_number=document_number,
            organisation_id=organisation_id,
            home_park=home_park,
            valid_until=valid_until,
            face_only=face_only,
        ),
        photos=[read_upload(upload, settings=context.settings) for upload in photo],
        actor=actor,
        keyring=context.keyring,
        settings=context.settings,
        metrics=context.metrics,
    )
    return commuter_out(commuter, data_key=context.keyring.data_key)


@router.get("/commuters", response_model=list[CommuterOut], responses=responses(*AUTH_ERRORS))
def list_commuters(
    session: SessionDep,
    context: ContextDep,
    actor: StaffActor,
    status: CommuterStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name or document number")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CommuterOut]:
    """Commuters the caller may see (an enroller: their organisation's), newest first."""
    found = commuters.list_commuters(
        session,
        actor=actor,
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
    actor: StaffActor,
    purpose: Annotated[str | None, Query(pattern=PURPOSE_PATTERN, description="Why (audited)")] = None,
) -> CommuterOut:
    """One commuter; the read is recorded in the audit trail, with its purpose if given."""
    commuters.read_commuter(session, commuter=commuter, actor=actor, purpose=purpose)
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
    actor: StaffActor,
    purpose: Annotated[str, Query(description="Why it is needed: " + ", ".join(PURPOSES))],
) -> Response:
    """The downscaled reference photo, for a manual check; each view is audited with its purpose."""
    jpeg = commuters.view_reference_photo(
        session, commuter=commuter, data_key=context.keyring.data_key, actor=actor, purpose=purpose
    )
    return Response(jpeg, media_type="image/jpeg", headers=NO_STORE)


@router.post(
    "/commuters/{commuter_id}/photos",
    response_model=CommuterOut,
    responses=responses(
        *AUTH_ERRORS,
        NotFound,
        InvalidTransition,
        PayloadTooLarge,
        InvalidImage,
        FaceCheckFailed,
        InvalidInput,
    ),
)
def add_photo(
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    actor: StaffActor,
    photo: Annotated[UploadFile, File(description="Another JPEG or PNG of the commuter's face alone")],
) -> CommuterOut:
    """Add an enrolment photo; an approved commuter goes back to pending until another officer approves."""
    return commuter_out(
        commuters.add_photo(
            session,
            commuter=commuter,
            photo=read_upload(photo, settings=context.settings),
            actor=actor,
            keyring=context.keyring,
            settings=context.settings,
            metrics=context.metrics,
        ),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/approve",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def approve(
    actor: OfficerActor, commuter: CommuterDep, session: SessionDep, context: ContextDep
) -> CommuterOut:
    """Approve a pending registration (never one you entered): the commuter joins the whitelist."""
    return commuter_out(
        commuters.approve_commuter(session, commuter=commuter, actor=actor), data_key=context.keyring.data_key
    )


@router.post(
    "/commuters/{commuter_id}/suspend",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def suspend(
    actor: OfficerActor, commuter: CommuterDep, session: SessionDep, context: ContextDep, body: ReasonRequired
) -> CommuterOut:
    """Suspend an active commuter, with a reason; they are off the whitelist until reinstated."""
    return commuter_out(
        commuters.suspend_commuter(session, commuter=commuter, reason=body.reason, actor=actor),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/reinstate",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def reinstate(
    actor: OfficerActor, commuter: CommuterDep, session: SessionDep, context: ContextDep
) -> CommuterOut:
    """Reinstate a suspended commuter."""
    return commuter_out(
        commuters.reinstate_commuter(session, commuter=commuter, actor=actor),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/revoke",
    response_model=CommuterOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def revoke(
    actor: OfficerActor,
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    body: StatusChange | None = None,
) -> CommuterOut:
    """Revoke for good: erases the face template and reference photo, revokes every credential."""
    return commuter_out(
        commuters.revoke_commuter(
            session, commuter=commuter, reason=body.reason if body else None, actor=actor
        ),
        data_key=context.keyring.data_key,
    )


@router.post(
    "/commuters/{commuter_id}/credentials",
    status_code=201,
    response_model=CredentialIssued,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition, InvalidInput),
)
def create_credential(
    request: Request,
    commuter: CommuterDep,
    session: SessionDep,
    context: ContextDep,
    actor: StaffActor,
    body: CredentialCreate | None = None,
) -> CredentialIssued:
    """Issue a signed credential to an active commuter (a dynamic one comes with its code key, or
    as a phone pass with its activation link)."""
    wanted = body or CredentialCreate()
    issued = issuing.issue_credential(
        session,
        commuter=commuter,
        kind=wanted.kind,
        actor=actor,
        keyring=context.keyring,
        lifetime=timedelta(days=context.settings.credential_days),
        now=utcnow(),
        activation=wanted.phone_pass,
    )
    return issued_out(issued, request)


def activation_link(request: Request, issued: issuing.Issued) -> str | None:
    """The link a phone pass is activated from, on this server (the token after ``#``)."""
    if issued.activation_token is None:
        return None
    fragment = passes.activation_fragment(issued.credential.id, issued.activation_token)
    return f"{str(request.base_url).rstrip('/')}/pass/#{fragment}"


def issued_out(issued: issuing.Issued, request: Request) -> CredentialIssued:
    out = CredentialIssued.model_validate(issued.credential)
    out.secret = base64.b64encode(issued.secret).decode() if issued.secret else None
    out.activation_link = activation_link(request, issued)
    return out


@router.get(
    "/commuters/{commuter_id}/credentials",
    response_model=list[CredentialOut],
    responses=responses(*AUTH_ERRORS, NotFound),
)
def list_credentials(commuter: CommuterDep, session: SessionDep, actor: StaffActor) -> list[Credential]:
    """A commuter's credentials, newest first."""
    return issuing.list_credentials(session, commuter=commuter, actor=actor)


@router.get(
    "/credentials/{credential_id}", response_model=CredentialOut, responses=responses(*AUTH_ERRORS, NotFound)
)
def read_credential(credential: CredentialDep, session: SessionDep, actor: StaffActor) -> Credential:
    """One credential."""
    return issuing.read_credential(session, credential=credential, actor=actor)


@router.get(
    "/credentials/{credential_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **responses(*AUTH_ERRORS, NotFound, InvalidTransition)},
)
def credential_qr(
    credential: CredentialDep, session: SessionDep, context: ContextDep, actor: StaffActor
) -> Response:
    """A static credential as a QR code (PNG); a dynamic one's code is its holder's phone's only (409)."""
    text = issuing.credential_qr_text(
        session, credential=credential, data_key=context.keyring.data_key, actor=actor, now=utcnow()
    )
    return Response(qr.render_qr_png(text), media_type="image/png", headers=NO_STORE)


@router.post(
    "/credentials/{credential_id}/revoke",
    response_model=CredentialOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def revoke_credential(
    credential: CredentialDep, session: SessionDep, actor: StaffActor, body: CredentialChange | None = None
) -> Credential:
    """Revoke one credential (lost card, lost phone), with the reason; the commuter stays
    whitelisted."""
    reason = body.reason if body else ""
    return issuing.revoke_credential(session, credential=credential, actor=actor, now=utcnow(), reason=reason)


@router.post(
    "/credentials/{credential_id}/replace",
    status_code=201,
    response_model=CredentialIssued,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition, InvalidInput),
)
def replace_credential(
    request: Request,
    credential: CredentialDep,
    session: SessionDep,
    context: ContextDep,
    actor: StaffActor,
    body: CredentialChange,
) -> CredentialIssued:
    """Revoke one credential and issue a new one of the same kind in one step (a lost card or
    phone); a reason is required. A dynamic one comes with its new code key, a phone pass with
    its new activation link."""
    issued = issuing.replace_credential(
        session,
        credential=credential,
        reason=body.reason,
        actor=actor,
        keyring=context.keyring,
        lifetime=timedelta(days=context.settings.credential_days),
        now=utcnow(),
    )
    return issued_out(issued, request)


def refuse_staff(request: Request) -> None:
    """A phone pass answers its holder's phone only: a request carrying a member of staff's
    sign-in (a session, a bearer token) or coming from a browser staff signed in from is refused,
    so staff can neither activate a pass they hand over nor read a holder's crossings through one."""
    if (
        request.headers.get("authorization")
        or request.cookies.get(html.SESSION_COOKIE)
        or request.cookies.get(html.DEVICE_COOKIE)
    ):
        raise Forbidden(
            "a phone pass is the commuter's: activate and use it on their own phone, "
            "not in a browser staff signed in from"
        )


NotStaff = Annotated[None, Depends(refuse_staff)]


@router.post(
    "/pass/activate", response_model=PassOut, responses=responses(NotFound, InvalidTransition, InvalidInput)
)
def activate_pass(
    body: PassActivate, request: Request, session: SessionDep, context: ContextDep, _phone: NotStaff
) -> dict[str, Any]:
    """The commuter's phone activates its pass with the token from the activation link and the
    code and proof keys it made (no sign-in: the token is the proof). Works once."""
    keys = {}
    for name in ("key", "proof_key"):
        try:
            keys[name] = base64.b64decode(getattr(body, name), validate=True)
        except ValueError:
            raise InvalidInput(Message("the {name} is not base64", name=name), field=name) from None
    view = passes.activate_pass(
        session,
        credential_id=body.credential_id,
        token=body.token,
        key=keys["key"],
        proof_key=keys["proof_key"],
        ip=client_ip(request),
        keyring=context.keyring,
        now=utcnow(),
    )
    return view.as_dict()


def _proven(body: PassProof, purpose: passes.Purpose, session: SessionDep, context: ContextDep) -> Credential:
    try:
        proof = base64.b64decode(body.proof, validate=True)
    except ValueError:
        raise InvalidInput("the proof is not base64", field="proof") from None
    return passes.check_proof(
        session,
        credential_id=body.credential_id,
        purpose=purpose,
        at=body.time,
        proof=proof,
        data_key=context.keyring.data_key,
        now=utcnow(),
    )


@router.post(
    "/pass/status",
    response_model=PassStatusOut,
    response_model_exclude_none=True,
    responses=responses(NotFound, InvalidInput),
)
def pass_status(
    body: PassProof, request: Request, session: SessionDep, context: ContextDep, _phone: NotStaff
) -> dict[str, Any]:
    """What the pass shows beside its code: validity and the holder's recent crossings, for the
    phone that proves it holds the pass's proof key. A revoked pass learns that it was revoked,
    and when, and nothing else (its phone then erases what it holds)."""
    credential = _proven(body, "status", session, context)
    if credential.revoked_at is not None:
        return {
            "credential_id": str(credential.id),
            "state": "revoked",
            "revoked_at": credential.revoked_at.isoformat(),
        }
    return passes.pass_status(session, credential=credential, ip=client_ip(request), now=utcnow())


@router.post("/pass/data", responses=responses(NotFound, InvalidInput, InvalidTransition, Forbidden))
def pass_personal_data(
    body: PassProof,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    _phone: NotStaff,
    format: Annotated[
        Literal["json", "html"],
        Query(description="json: for machines; html: a page the holder can read, in `lang`"),
    ] = "json",
    lang: Annotated[str | None, Query(max_length=10, description="en, zh-Hant or zh-Hans")] = None,
) -> Response:
    """A data access request: everything held about the pass's holder, as a JSON file or a page
    to read, for the phone that proves it holds the pass's proof key (a revoked pass no longer
    may)."""
    credential = _proven(body, "data", session, context)
    if credential.revoked_at is not None:
        raise InvalidTransition("this pass was revoked: ask enrolment staff for your data", why="revoked")
    data = passes.personal_data(
        session, credential=credential, ip=client_ip(request), data_key=context.keyring.data_key, now=utcnow()
    )
    if format == "html":
        return Response(
            readable_personal_data(data, language=lang or html.request_language(request, None)),
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="hetao-my-data.html"'},
        )
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="hetao-my-data.json"'},
    )


def readable_personal_data(data: dict[str, Any], *, language: str) -> str:
    """A data access request's answer as a page its holder can read (in ``language``, else
    English), photos included; the JSON is the machine-readable copy."""
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    return html.templates.get_template("pass_data.html").render(
        data=data, html_lang=i18n.HTML_LANG[language], _=i18n.translator(language)
    )


def get_import_runner(request: Request) -> imports.ImportRunner:
    runner: imports.ImportRunner = request.app.state.imports
    return runner


ImportRunnerDep = Annotated[imports.ImportRunner, Depends(get_import_runner)]


def start_import(
    session: SessionDep,
    context: ContextDep,
    runner: imports.ImportRunner,
    actor: UserActor,
    *,
    csv_upload: UploadFile | None,
    zip_upload: UploadFile,
    encoding: CsvEncoding = CsvEncoding.UTF8,
) -> ImportJob:
    """Read an upload (the API's and the page's), check it whole and start its job."""
    runner.check_room()
    limit = context.settings.max_import_bytes
    zip_bytes = zip_upload.file.read(limit + 1)
    if len(zip_bytes) > limit:
        raise PayloadTooLarge(
            Message("the zip is over the {limit} MiB import limit", limit=limit // (1024 * 1024))
        )
    csv_bytes = (
        read_upload(csv_upload, settings=context.settings) if csv_upload and csv_upload.filename else None
    )
    request = imports.read_upload(
        csv_bytes=csv_bytes,
        zip_bytes=zip_bytes,
        filename=(csv_upload.filename if csv_bytes is not None and csv_upload else zip_upload.filename)
        or "import",
        user=actor.user,
        settings=context.settings,
        encoding=encoding,
    )
    try:
        return imports.start_import(
            session, request=request, actor=actor, submit=runner.submitter(user_id=actor.user.id, ip=actor.ip)
        )
    except BaseException:
        request.close()
        raise


@router.post(
    "/commuters/import",
    status_code=202,
    response_model=ImportJobOut,
    responses=responses(*AUTH_ERRORS, InvalidInput, PayloadTooLarge, ServerBusy),
)
def import_commuters(
    session: SessionDep,
    context: ContextDep,
    runner: ImportRunnerDep,
    actor: StaffActor,
    photos: Annotated[
        UploadFile, File(description="A zip of the photos the CSV names (it may hold the CSV)")
    ],
    csv: Annotated[UploadFile | None, File(description="The CSV, if it is not inside the zip")] = None,
    encoding: Annotated[
        CsvEncoding,
        Form(description="How the CSV's text is written: UTF-8, or as Excel saves Chinese (GB18030, Big5)"),
    ] = CsvEncoding.UTF8,
) -> ImportJob:
    """Start a bulk import; follow its progress and per-row report at /imports/{id}."""
    return start_import(session, context, runner, actor, csv_upload=csv, zip_upload=photos, encoding=encoding)


@router.get("/imports/{job_id}", response_model=ImportJobOut, responses=responses(*AUTH_ERRORS, NotFound))
def read_import(job_id: uuid.UUID, session: SessionDep, actor: StaffActor) -> ImportJobOut:
    """An import's progress and, row by row, what was enrolled and what failed and why."""
    job = imports.get_job_or_raise(session, job_id, user=actor.user)
    out = ImportJobOut.model_validate(job)
    out.rows = [
        ImportRowOut.model_validate(row) for row in imports.read_job_report(session, job=job, actor=actor)
    ]
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
    actor: StaffActor,
) -> Response:
    """A printable card (85.6 x 54 mm) with name, photo and QR, as PNG or PDF."""
    return card_response(session, context=context, credential=credential, fmt=fmt, actor=actor)


def card_response(
    session: SessionDep, *, context: ContextDep, credential: Credential, fmt: str, actor: UserActor
) -> Response:
    """The printed card as the API and the page send it."""
    content = cards.print_card(
        session, credential=credential, fmt=fmt, data_key=context.keyring.data_key, actor=actor
    )
    media_type = "application/pdf" if fmt == "pdf" else "image/png"
    return Response(
        content,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": card_filename(credential, fmt)},
    )


def card_filename(credential: Credential, fmt: str) -> str:
    """The card's download name: whose card it is and when it was issued (cards printed for a
    morning's registrations are told apart), in UTF-8 for Chinese names with a Latin fallback."""
    commuter = credential.commuter
    issued = local_today(credential.issued_at).isoformat()
    latin = re.sub(r"[^A-Za-z0-9]+", "-", commuter.full_name).strip("-") or str(credential.id)[:8]
    full = re.sub(r"[\s/\\:*?\"<>|]+", "-", commuter.display_name).strip("-")
    return (
        f'attachment; filename="hetao-card-{latin}-{issued}.{fmt}"; '
        f"filename*=UTF-8''{quote(f'hetao-card-{full}-{issued}.{fmt}')}"
    )
