"""The enrolment staff's pages, and the commuter pages officers share with them: registering with
a photo checked at once, the organisation's commuters, bulk import with progress, credential
cards, and a commuter's page with its workflow actions. Every change and every read of personal
data goes through the same action as the API (``enrolment.commuters``, ``enrolment.issuing``),
which writes the audit record."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from clearance.accounts import service as accounts
from clearance.audit.service import PURPOSES
from clearance.core.enums import CommuterStatus, CredentialKind, CsvEncoding, DocumentType, Park, Role
from clearance.core.errors import (
    FaceCheckFailed,
    Forbidden,
    HetaoError,
    InvalidImage,
    InvalidInput,
    PayloadTooLarge,
)
from clearance.core.messages import Message
from clearance.core.zone import local_today, utcnow
from clearance.crossings import service as crossings
from clearance.dashboard import service as dashboard
from clearance.dashboard.pages import queue_page
from clearance.db.models import Commuter, Organisation, User
from clearance.http import i18n
from clearance.http import pages as html
from clearance.http.deps import ContextDep, SessionDep, get_context, read_upload
from clearance.http.pages import FormOfficer, FormStaff, PageOfficer, PageStaff, render
from clearance.vision import qr
from clearance.whitelist import biometrics, documents
from enrolment import commuters, imports, issuing, photos
from enrolment.api import ImportRunnerDep, activation_link, card_response, start_import
from enrolment.commuters import Registration

router = APIRouter(include_in_schema=False)

HISTORY_ROWS = 100
# What an enroller can do about each failed photo check.
PHOTO_ADVICE = {
    "no_face": "Photograph the face from the front, fully visible, with nothing covering it.",
    "several_faces": "Only the commuter may be in the photo: crop or retake it.",
    "face_too_small": "Move closer or crop: the face must fill more of the photo.",
    "face_blurred": "Hold the camera still and focus on the face.",
    "face_badly_exposed": "Use even light on the face: no strong backlight, no flash glare.",
    "invalid_image": "Upload a JPEG or PNG photo.",
    "too_large": "Use a smaller photo (at most 10 MB and 40 megapixels).",
}


@router.get("/commuters")
def commuter_list(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: PageStaff,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    chosen = CommuterStatus(status) if status in {s.value for s in CommuterStatus} else None
    keyring = context.keyring
    found = commuters.list_commuters(
        session, actor=auth.actor, status=chosen, q=q, index_key=keyring.index_key, limit=200
    )
    # Masked in the list (the person's page shows the number in full).
    numbers = {c.id: documents.masked(commuters.document_number(c, data_key=keyring.data_key)) for c in found}
    organisation = auth.user.organisation if auth.user.role is Role.ENROLLER else None
    return render(
        request,
        "commuters.html",
        auth=auth,
        commuters=found,
        numbers=numbers,
        q=q,
        status=chosen.value if chosen else "",
        statuses=[s.value for s in CommuterStatus],
        organisation=organisation,
    )


def _commuter_page(
    request: Request, session: SessionDep, auth: html.PageAuth, commuter: Commuter, **extra: Any
) -> Response:
    commuters.read_commuter(session, commuter=commuter, actor=auth.actor, purpose=None)
    history: list[dict[str, Any]] = []
    if auth.user.role is Role.OFFICER:
        rows = crossings.list_crossings(
            session,
            filters=crossings.CrossingFilters(commuter_id=commuter.id),
            limit=HISTORY_ROWS,
            actor=auth.actor,
        )
        history = crossings.describe_crossings(session, rows)
    flash = html.recall(request, auth)
    if flash is not None:
        extra = {"notice": flash.notice, "secret": flash.secret, "problem": flash.problem, **extra}
        link = flash.extra.get("activation_link")
        if link:
            qr_png = base64.b64encode(qr.render_qr_png(link, box_size=6)).decode()
            extra["activation"] = {
                "link": link,
                "qr": f"data:image/png;base64,{qr_png}",
                "expires_at": datetime.fromisoformat(flash.extra["activation_expires"]),
            }
    enrolled_by = session.get(User, commuter.enrolled_by_id)
    data_key = request.app.state.context.keyring.data_key
    return render(
        request,
        "commuter.html",
        auth=auth,
        commuter=commuter,
        credentials=issuing.list_credentials(session, commuter=commuter, actor=auth.actor),
        history=history,
        enrolled_by=enrolled_by.username if enrolled_by else "",
        document_number=commuters.document_number(commuter, data_key=data_key),
        template_photos=biometrics.photo_count(commuter.template) if commuter.template else 0,
        max_photos=request.app.state.context.settings.max_enrolment_photos,
        purposes=PURPOSES,
        now=utcnow(),
        **extra,
    )


@router.get("/commuters/{commuter_id}")
def commuter_page(
    commuter_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: PageStaff,
    photo: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The commuter's page; with ``photo=<purpose>`` (where the form to see it sends the
    browser), their reference photo too, the view recorded in the audit trail with that purpose."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)
    translate = html.translator_for(request, auth.user)
    extra: dict[str, Any] = {}
    if request.query_params.get("registered") and commuter.status is CommuterStatus.PENDING:
        extra["notice"] = translate(
            "Registered. Next, an officer other than you approves it; then issue a credential here."
        )
    if photo is not None:
        if photo not in PURPOSES:
            extra["problem"] = translate("Choose why you need to see the photo.")
        else:
            try:
                with session.begin_nested():
                    jpeg = commuters.view_reference_photo(
                        session,
                        commuter=commuter,
                        data_key=context.keyring.data_key,
                        actor=auth.actor,
                        purpose=photo,
                    )
                extra["photo"] = base64.b64encode(jpeg).decode()
            except HetaoError as exc:
                extra["problem"] = html.problem_of(request, auth, exc)
    response = _commuter_page(request, session, auth, commuter, **extra)
    if "photo" in extra:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/commuters/{commuter_id}/photo")
def commuter_photo(
    commuter_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    auth: FormStaff,
    purpose: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Ask to see the reference photo for a stated purpose: the commuter's page shows it (and
    records the view)."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)
    return RedirectResponse(
        f"/commuters/{commuter.id}?{urlencode({'photo': purpose})}#photo", status_code=303
    )


def _on_commuter_page(
    request: Request,
    session: SessionDep,
    auth: html.PageAuth,
    commuter: Commuter,
    action: Callable[[i18n.Translate], html.Flash],
) -> Response:
    """Do a change from the commuter's page, then back to it; or the page again saying why not
    ("Give a reason." where the reason was missing)."""

    def again(problem: str) -> Response:
        session.refresh(commuter)
        return _commuter_page(request, session, auth, commuter, problem=problem)

    def checked(translate: i18n.Translate) -> html.Flash:
        try:
            return action(translate)
        except InvalidInput as exc:
            if exc.extra.get("field") == "reason":
                raise InvalidInput(Message("Give a reason."), field="reason") from None
            raise

    return html.act(request, session, auth, checked, then=f"/commuters/{commuter.id}", again=again)


@router.post("/commuters/{commuter_id}/photos")
def commuter_add_photo(
    commuter_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormStaff,
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Another enrolment photo (the commuter returns to pending until approved again)."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)

    def add(translate: i18n.Translate) -> html.Flash:
        commuters.add_photo(
            session,
            commuter=commuter,
            photo=read_upload(photo, settings=context.settings) if photo else b"",
            actor=auth.actor,
            keyring=context.keyring,
            settings=context.settings,
            metrics=context.metrics,
        )
        return html.Flash(translate("Photo added. An officer other than you approves the commuter again."))

    return _on_commuter_page(request, session, auth, commuter, add)


@router.post("/commuters/{commuter_id}/credentials")
def commuter_credential(
    commuter_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormStaff,
    kind: Annotated[CredentialKind, Form()] = CredentialKind.STATIC,
) -> Response:
    """Issue a card, or a phone pass: its one-time activation link is shown on the page that
    follows only (as a QR code to scan with the commuter's phone), never again."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)

    def issue(translate: i18n.Translate) -> html.Flash:
        issued = issuing.issue_credential(
            session,
            commuter=commuter,
            kind=kind,
            actor=auth.actor,
            keyring=context.keyring,
            lifetime=timedelta(days=context.settings.credential_days),
            now=utcnow(),
            activation=kind is CredentialKind.DYNAMIC,
        )
        return _issued(request, translate, issued)

    return _on_commuter_page(request, session, auth, commuter, issue)


def _issued(request: Request, translate: i18n.Translate, issued: issuing.Issued) -> html.Flash:
    """What the commuter's page says after a credential was issued; for a phone pass, its
    activation link, shown there once."""
    link = activation_link(request, issued)
    if link is None:
        return html.Flash(translate("Credential issued."))
    expires = issued.credential.activation_expires_at
    assert expires is not None
    return html.Flash(extra={"activation_link": link, "activation_expires": expires.isoformat()})


@router.post("/credentials/{credential_id}/{change}")
def credential_change(
    credential_id: uuid.UUID,
    change: Literal["revoke", "replace"],
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormStaff,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A lost card or phone, from the commuter's page: revoke the credential, or replace it with a
    new one of the same kind; the reason is required and recorded."""
    credential = issuing.get_credential_or_raise(session, credential_id, user=auth.user)

    def apply(translate: i18n.Translate) -> html.Flash:
        if not reason.strip():
            raise InvalidInput("give a reason", field="reason")
        if change == "revoke":
            issuing.revoke_credential(
                session, credential=credential, actor=auth.actor, now=utcnow(), reason=reason
            )
            return html.Flash(translate("Credential revoked: kiosks refuse it from their next sync."))
        issued = issuing.replace_credential(
            session,
            credential=credential,
            reason=reason,
            actor=auth.actor,
            keyring=context.keyring,
            lifetime=timedelta(days=context.settings.credential_days),
            now=utcnow(),
            activation=credential.kind is CredentialKind.DYNAMIC,
        )
        return _issued(request, translate, issued)

    return _on_commuter_page(request, session, auth, credential.commuter, apply)


@router.post("/commuters/{commuter_id}/{action}")
def commuter_action(
    commuter_id: uuid.UUID,
    action: Literal["approve", "suspend", "reinstate", "revoke"],
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The approval workflow from the commuter's page; a refusal is shown on the page."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)

    def apply(translate: i18n.Translate) -> html.Flash:
        if action == "approve":
            commuters.approve_commuter(session, commuter=commuter, actor=auth.actor)
        elif action == "suspend":
            commuters.suspend_commuter(session, commuter=commuter, reason=reason, actor=auth.actor)
        elif action == "reinstate":
            commuters.reinstate_commuter(session, commuter=commuter, actor=auth.actor)
        else:
            commuters.revoke_commuter(
                session, commuter=commuter, reason=reason.strip() or None, actor=auth.actor
            )
        return html.Flash(translate("Saved: {name}.", name=translate(commuter.status.value)))

    return _on_commuter_page(request, session, auth, commuter, apply)


def _next_to_approve(session: SessionDep, user: User, *, after: Commuter | None = None) -> Commuter | None:
    """The oldest pending registration ``user`` may approve (not one they put something in),
    other than ``after``."""
    for pending in dashboard.pending_registrations(session):
        if pending is not after and user.id not in pending.contributors():
            return pending
    return None


@router.get("/queue/registrations/{commuter_id}")
def registration_evidence(
    commuter_id: uuid.UUID, request: Request, session: SessionDep, context: ContextDep, auth: PageOfficer
) -> Response:
    """One pending registration with what to compare before approving it: its photos, document,
    organisation and who entered it (the view is recorded, purpose "approval")."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)
    try:
        evidence = commuters.evidence_for_approval(
            session, commuter=commuter, data_key=context.keyring.data_key, actor=auth.actor
        )
    except HetaoError as exc:
        return queue_page(request, session, auth, problem=html.problem_of(request, auth, exc))
    response = render(
        request,
        "approve.html",
        auth=auth,
        evidence=evidence,
        photos=[base64.b64encode(photo).decode() for photo in evidence.photos],
        unjudged=commuters.unjudged_photos(commuter),
        own=auth.user.id in commuter.contributors(),
        following=_next_to_approve(session, auth.user, after=commuter),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/queue/registrations/{commuter_id}/approve")
def approve_registration(
    commuter_id: uuid.UUID, request: Request, session: SessionDep, auth: FormOfficer
) -> Response:
    """Approve the registration whose evidence is on the screen, then on to the next one."""
    commuter = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)
    following = _next_to_approve(session, auth.user, after=commuter)

    def approve(translate: i18n.Translate) -> html.Flash:
        commuters.approve_commuter(session, commuter=commuter, actor=auth.actor)
        return html.Flash(translate("Approved: {name}.", name=commuter.display_name))

    return html.act(
        request,
        session,
        auth,
        approve,
        then=f"/queue/registrations/{following.id}" if following else "/queue",
        again=lambda problem: queue_page(request, session, auth, problem=problem),
    )


@router.post("/queue/registrations/approve")
def approve_registrations(
    request: Request,
    session: SessionDep,
    auth: FormOfficer,
    commuter: Annotated[list[uuid.UUID], Form()],
) -> Response:
    """Approve several pending registrations from the queue at once, each only if this officer
    opened its evidence since it last changed; each is approved (four eyes still holding) or not
    on its own, and the queue says which were not and why."""

    def approve(translate: i18n.Translate) -> html.Flash:
        approved, refused = 0, []
        for commuter_id in commuter[:200]:
            try:
                with session.begin_nested():
                    found = commuters.get_commuter_or_raise(session, commuter_id, user=auth.user)
                    if not commuters.evidence_seen(session, commuter=found, user=auth.user):
                        raise Forbidden(
                            Message("{name}: open it and compare its photos first", name=found.display_name)
                        )
                    commuters.approve_commuter(session, commuter=found, actor=auth.actor)
                approved += 1
            except HetaoError as exc:
                refused.append(i18n.said(translate, exc.message))
        return html.Flash(
            notice=translate("Approved: {n}.", n=approved) if approved else None,
            problem=translate("Not approved: {why}", why="; ".join(refused)) if refused else None,
        )

    return html.act(
        request,
        session,
        auth,
        approve,
        then="/queue",
        again=lambda problem: queue_page(request, session, auth, problem=problem),
    )


@router.get("/credentials/{credential_id}/card.{fmt}")
def card(
    credential_id: uuid.UUID,
    fmt: Literal["png", "pdf"],
    session: SessionDep,
    context: ContextDep,
    auth: PageStaff,
) -> Response:
    credential = issuing.get_credential_or_raise(session, credential_id, user=auth.user)
    return card_response(session, context=context, credential=credential, fmt=fmt, actor=auth.actor)


def _organisations(session: SessionDep, user: User) -> list[Organisation]:
    if user.role is Role.ENROLLER:
        return [user.organisation] if user.organisation else []
    return accounts.list_organisations(session)


def _register_page(
    request: Request,
    session: SessionDep,
    auth: html.PageAuth,
    *,
    form: dict[str, Any],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "register.html",
        auth=auth,
        form=form,
        organisations=_organisations(session, auth.user),
        document_types=[d.value for d in DocumentType],
        default_valid_until=(local_today() + timedelta(days=365)).isoformat(),
        status_code=status_code,
        **extra,
    )


@router.get("/register")
def register_form(request: Request, session: SessionDep, auth: PageStaff) -> Response:
    return _register_page(request, session, auth, form={})


def photo_problem(exc: HetaoError, translate: i18n.Translate) -> dict[str, str]:
    """A failed photo as the form shows it: which check failed, what was found and how to fix it."""
    check = str(exc.extra.get("check", "too_large" if isinstance(exc, PayloadTooLarge) else "invalid_image"))
    return {
        "check": check,
        "title": translate(check),
        "detail": i18n.said(translate, exc.message),
        "advice": translate(PHOTO_ADVICE.get(check, PHOTO_ADVICE["invalid_image"])),
    }


PHOTO_FAILURES = (PayloadTooLarge, InvalidImage, FaceCheckFailed)
"""How a photo is refused: shown beside the photo, with advice."""


@router.post("/register/check-photo")
def check_photo(
    request: Request,
    context: ContextDep,
    auth: FormStaff,
    photo: Annotated[UploadFile, File()],
) -> JSONResponse:
    """The photo checks alone, run as soon as a photo is chosen; nothing is stored."""
    translate = html.translator_for(request, auth.user)
    try:
        template = photos.template_from_upload(
            read_upload(photo, settings=context.settings), settings=context.settings, metrics=context.metrics
        )
    except PHOTO_FAILURES as exc:
        return JSONResponse({"ok": False, **photo_problem(exc, translate)})
    quality = template.quality_report()
    measured = translate(
        "Face {px} px high, sharpness {sharp}, brightness {bright}.",
        px=round(quality["face_px"]),
        sharp=round(quality["sharpness"]),
        bright=round(quality["brightness"]),
    )
    if template.liveness is None:
        return JSONResponse(
            {
                "ok": True,
                "title": translate("Accepted as an ID-style photo."),
                "detail": measured,
                "advice": translate(
                    "The face fills most of the photo, so the liveness check cannot judge it: the "
                    "approving officer will be asked to compare it with the person and the document. "
                    "A photo showing the head and shoulders avoids that."
                ),
            }
        )
    return JSONResponse({"ok": True, "title": translate("The photo passes every check."), "detail": measured})


@router.post("/register")
def register(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    auth: FormStaff,
    document_type: Annotated[str, Form(max_length=40)],
    document_number: Annotated[str, Form(max_length=64)],
    organisation_id: Annotated[str, Form(max_length=40)],
    home_park: Annotated[str, Form(max_length=4)],
    valid_until: Annotated[str, Form(max_length=10)],
    photo: Annotated[list[UploadFile], File()],
    face_only: Annotated[bool, Form()] = False,
    full_name: Annotated[str, Form(max_length=200)] = "",
    chinese_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = {
        "full_name": full_name,
        "chinese_name": chinese_name,
        "document_type": document_type,
        "document_number": document_number,
        "organisation_id": organisation_id,
        "home_park": home_park,
        "valid_until": valid_until,
        "face_only": face_only,
    }
    translate = html.translator_for(request, auth.user)
    try:
        registration = Registration(
            full_name=full_name,
            chinese_name=chinese_name,
            document_type=DocumentType(document_type),
            document_number=document_number,
            organisation_id=uuid.UUID(organisation_id),
            home_park=Park(home_park),
            valid_until=date.fromisoformat(valid_until),
            face_only=face_only,
        )
    except ValueError:
        return _register_page(
            request,
            session,
            auth,
            form=form,
            status_code=422,
            problem=translate("Check the form: a field is not valid."),
        )
    try:
        with session.begin_nested():
            commuter = commuters.register_commuter(
                session,
                registration=registration,
                photos=[
                    read_upload(upload, settings=context.settings) for upload in photo if upload.filename
                ],
                actor=auth.actor,
                keyring=context.keyring,
                settings=context.settings,
                metrics=context.metrics,
            )
    except HetaoError as exc:
        if isinstance(exc, PHOTO_FAILURES):
            return _register_page(
                request,
                session,
                auth,
                form=form,
                status_code=422,
                photo_problem=photo_problem(exc, translate),
            )
        return _register_page(
            request,
            session,
            auth,
            form=form,
            status_code=exc.status_code,
            problem=html.problem_of(request, auth, exc),
        )
    return RedirectResponse(f"/commuters/{commuter.id}?registered=1", status_code=303)


def _import_form(
    request: Request,
    session: SessionDep,
    auth: html.PageAuth,
    *,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    return render(
        request,
        "import_new.html",
        auth=auth,
        status_code=status_code,
        problem=problem,
        jobs=imports.list_jobs(session, user=auth.user),
        document_types=list(DocumentType),
        parks=list(Park),
        settings=get_context(request).settings,
    )


@router.get("/imports/new")
def import_form(request: Request, session: SessionDep, auth: PageStaff) -> Response:
    return _import_form(request, session, auth)


@router.get("/imports/template.csv")
def import_template(auth: PageStaff) -> Response:
    """A CSV to fill in: the columns an import reads and one example row."""
    return Response(
        imports.template_csv(officer=auth.user.role is Role.OFFICER),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hetao-import-template.csv"'},
    )


@router.post("/imports")
def import_upload(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    runner: ImportRunnerDep,
    auth: FormStaff,
    photos: Annotated[UploadFile, File()],
    csv: Annotated[UploadFile | None, File()] = None,
    encoding: Annotated[CsvEncoding, Form()] = CsvEncoding.UTF8,
) -> Response:
    try:
        with session.begin_nested():
            job = start_import(
                session, context, runner, auth.actor, csv_upload=csv, zip_upload=photos, encoding=encoding
            )
    except HetaoError as exc:
        return _import_form(
            request, session, auth, status_code=exc.status_code, problem=html.problem_of(request, auth, exc)
        )
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


@router.get("/imports/{job_id}")
def import_page(job_id: uuid.UUID, request: Request, session: SessionDep, auth: PageStaff) -> Response:
    job = imports.get_job_or_raise(session, job_id, user=auth.user)
    rows = imports.read_job_report(session, job=job, actor=auth.actor)
    return render(request, "import_job.html", auth=auth, job=job, rows=rows)


@router.get("/imports/{job_id}/failed.csv")
def import_failed_rows(
    job_id: uuid.UUID, session: SessionDep, context: ContextDep, auth: PageStaff
) -> Response:
    """The rows that were not enrolled, as uploaded, with the field at fault and why (audited)."""
    job = imports.get_job_or_raise(session, job_id, user=auth.user)
    return Response(
        imports.failed_rows_csv(session, job=job, actor=auth.actor, data_key=context.keyring.data_key),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="failed-rows-{job.id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/imports/{job_id}/progress")
def import_progress(
    job_id: uuid.UUID, request: Request, session: SessionDep, auth: PageStaff
) -> JSONResponse:
    job = imports.get_job_or_raise(session, job_id, user=auth.user)
    translate = html.translator_for(request, auth.user)
    return JSONResponse(
        {
            "status": job.status.value,
            "status_label": translate(job.status.value),
            "total": job.total,
            "processed": job.processed,
            "enrolled": job.enrolled,
            "failed": job.failed,
        },
        headers={"Cache-Control": "no-store"},
    )
