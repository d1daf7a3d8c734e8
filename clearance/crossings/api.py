"""The server's own endpoints: sign-in, administration, the kiosk API and the officers' API."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import text

from clearance import (
    accounts,
    alerts,
    audit,
    clearing,
    credentials,
    crossings,
    events,
    keys,
    qr,
    schema,
    security,
    stations,
    whitelist,
)
from clearance import stats as statistics
from clearance.crossings import (
    CrossingFilters,
    crossings_recorded_after,
    describe_crossings,
    get_crossing_or_raise,
    ingest_crossings,
    list_crossings,
    override_crossing,
)
from clearance.db import utcnow
from clearance.deps import (
    ContextDep,
    CurrentAdmin,
    CurrentOfficer,
    KioskDep,
    SessionDep,
    client_ip,
    read_upload,
)
from clearance.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidImage,
    InvalidInput,
    InvalidTransition,
    MalformedCredential,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    TooManySignIns,
    responses,
)
from clearance.errors import InvalidSignature as InvalidSignatureError
from clearance.models import Commuter, Crossing, Decision, Direction, Organisation, User
from clearance.schemas import (
    AlertAcknowledge,
    AlertOut,
    AuditEventOut,
    CheckpointCreate,
    CheckpointOut,
    CrossingBatch,
    CrossingOut,
    CrossingOverridden,
    CrossingOverride,
    CrossingUploadResult,
    CrossingUploadResults,
    Health,
    KioskCreate,
    KioskCreated,
    KioskIdentity,
    OrganisationCreate,
    OrganisationOut,
    PresenceOut,
    Stats,
    Token,
    UserCreate,
    UserOut,
    VerifyResult,
    WhitelistPage,
)
from enrolment.photos import load_photo

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
) -> Token:
    """Exchange a username and password for a bearer token (OAuth2 password flow)."""
    try:
        user = accounts.sign_in(
            session,
            username=form.username,
            password=form.password,
            actor=audit.Actor(None, client_ip(request)),
            limits=accounts.SignInLimits.from_settings(context.settings),
            now=utcnow(),
        )
    except (InvalidCredentials, TooManySignIns):
        # A refused sign-in still leaves its audit record: it is how the next one is refused.
        session.commit()
        raise
    settings = context.settings
    token = security.create_access_token(
        user_id=user.id,
        role=user.role,
        secret=settings.token_secret,
        now=utcnow(),
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )
    return Token(access_token=token)


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, Conflict),
)
def create_organisation(session: SessionDep, _admin: CurrentAdmin, body: OrganisationCreate) -> Organisation:
    """Register a park tenant or the park operator."""
    return accounts.create_organisation(session, name=body.name, park=body.park)


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    tags=["administration"],
    responses=responses(*AUTH_ERRORS),
)
def list_organisations(session: SessionDep, _admin: CurrentAdmin) -> list[Organisation]:
    """Every organisation, by name."""
    return accounts.list_organisations(session)


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, Conflict, NotFound, InvalidInput),
)
def create_user(session: SessionDep, _admin: CurrentAdmin, body: UserCreate) -> User:
    """Create a staff account; an enroller names its organisation."""
    return accounts.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        organisation_id=body.organisation_id,
    )


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointOut,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, Conflict),
)
def create_checkpoint(session: SessionDep, _admin: CurrentAdmin, body: CheckpointCreate) -> object:
    """Create a checkpoint on the east or west footbridge."""
    return stations.create_checkpoint(session, name=body.name, bridge=body.bridge, face_only=body.face_only)


@router.get(
    "/checkpoints",
    response_model=list[CheckpointOut],
    tags=["administration"],
    responses=responses(*AUTH_ERRORS),
)
def list_checkpoints(session: SessionDep, _admin: CurrentAdmin) -> object:
    """Every checkpoint, by name."""
    return stations.list_checkpoints(session)


@router.post(
    "/checkpoints/{checkpoint_id}/kiosks",
    status_code=201,
    response_model=KioskCreated,
    tags=["administration"],
    responses=responses(*AUTH_ERRORS, NotFound, Conflict),
)
def create_kiosk(
    checkpoint_id: uuid.UUID, session: SessionDep, _admin: CurrentAdmin, body: KioskCreate
) -> KioskCreated:
    """Add a kiosk facing one direction; its API key is in this answer and nowhere else."""
    checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
    kiosk, api_key = stations.create_kiosk(
        session, checkpoint=checkpoint, name=body.name, direction=body.direction
    )
    return KioskCreated(
        id=kiosk.id,
        checkpoint_id=kiosk.checkpoint_id,
        name=kiosk.name,
        direction=kiosk.direction,
        is_active=kiosk.is_active,
        last_seen_at=kiosk.last_seen_at,
        api_key=api_key,
    )


@router.post(
    "/kiosk/verify",
    response_model=VerifyResult,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, PayloadTooLarge, InvalidImage, MalformedCredential, InvalidInput),
)
def verify(
    session: SessionDep,
    context: ContextDep,
    kiosk: KioskDep,
    frame: Annotated[
        UploadFile | None, File(description="A camera frame holding the QR and the face")
    ] = None,
    qr_payload: Annotated[
        str | None, Form(max_length=credentials.MAX_TEXT_CHARS, description="A QR text the kiosk decoded")
    ] = None,
    face: Annotated[UploadFile | None, File(description="The face image, sent with qr_payload")] = None,
) -> VerifyResult:
    """Decide one attempt online from a frame, or from a decoded QR text plus a face image."""
    settings = context.settings
    timings = clearing.Timings()
    if frame is not None and (qr_payload is not None or face is not None):
        raise InvalidInput("send either a frame, or qr_payload with a face, not both")
    if frame is not None:
        with timings.step("image_decode"):
            image = load_photo(read_upload(frame, settings=settings), settings=settings)
        with timings.step("qr_decode"):
            qr_text = clearing.choose_qr_text(qr.decode_qr_texts(image))
    elif qr_payload is not None and face is not None:
        # A kiosk that sends a decoded text vouches that it read a credential: a text that is
        # not one at all is a fault of the client, not an attempt to cross, and records nothing.
        try:
            credentials.parse_payload(qr_payload)
        except credentials.MalformedPayload as exc:
            raise MalformedCredential(f"qr_payload is not a Hetao credential: {exc}") from None
        with timings.step("image_decode"):
            image = load_photo(read_upload(face, settings=settings), settings=settings)
        qr_text = qr_payload
    else:
        raise InvalidInput("send a frame, or qr_payload together with a face image")
    attempt = clearing.clear_attempt(
        session,
        kiosk=kiosk,
        qr_text=qr_text,
        face_image=image,
        settings=settings,
        keyring=context.keyring,
        timings=timings,
        now=utcnow(),
    )
    for step, ms in timings.steps.items():
        context.metrics.verify_seconds.labels(step=step).observe(ms / 1000)
    context.metrics.decisions.labels(
        decision=attempt.outcome.decision.value, direction=kiosk.direction.value
    ).inc()
    return VerifyResult(
        decision=attempt.outcome.decision,
        reasons=[reason.value for reason in attempt.outcome.reasons],
        commuter_id=attempt.crossing.commuter_id,
        distance=None if attempt.distance is None else round(attempt.distance, 4),
        crossing_id=attempt.crossing.id,
        timings_ms={step: round(ms, 2) for step, ms in timings.steps.items()},
    )


@router.get(
    "/crossings", response_model=list[CrossingOut], tags=["officers"], responses=responses(*AUTH_ERRORS)
)
def read_crossings(
    session: SessionDep,
    officer: CurrentOfficer,
    request: Request,
    commuter_id: uuid.UUID | None = None,
    checkpoint_id: uuid.UUID | None = None,
    kiosk_id: uuid.UUID | None = None,
    decision: Decision | None = None,
    direction: Direction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    purpose: Annotated[
        str | None,
        Query(pattern=audit.PURPOSE_PATTERN, description="Why, for one commuter's history (audited)"),
    ] = None,
) -> list[Crossing]:
    """Crossing records, newest first, filtered by commuter, place, decision and time. Reading
    one commuter's history is recorded in the audit trail, with its purpose if given."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone, for example 2026-11-22T08:00:00+08:00")
    filters = CrossingFilters(
        commuter_id=commuter_id,
        checkpoint_id=checkpoint_id,
        kiosk_id=kiosk_id,
        decision=decision,
        direction=direction,
        since=since,
        until=until,
    )
    if commuter_id is not None:
        audit.record_event(
            session,
            actor=audit.Actor(officer, client_ip(request)),
            action="read_crossing_history",
            object_type="commuter",
            object_id=commuter_id,
            purpose=purpose,
        )
    return list_crossings(session, filters=filters, limit=limit, offset=offset)


@router.post(
    "/crossings/{crossing_id}/override",
    response_model=CrossingOverridden,
    tags=["officers"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition, InvalidInput),
)
def override(
    crossing_id: uuid.UUID,
    body: CrossingOverride,
    session: SessionDep,
    officer: CurrentOfficer,
    request: Request,
) -> Crossing:
    """Decide an attempt in place of the kiosk, with a reason; the kiosk's decision is kept."""
    return override_crossing(
        session,
        crossing=get_crossing_or_raise(session, crossing_id),
        decision=body.decision,
        reason=body.reason,
        actor=audit.Actor(officer, client_ip(request)),
        now=utcnow(),
    )


@router.get("/alerts", response_model=list[AlertOut], tags=["officers"], responses=responses(*AUTH_ERRORS))
def read_alerts(session: SessionDep, _officer: CurrentOfficer) -> list[object]:
    """Alerts no officer has acknowledged yet, newest first."""
    return list(alerts.list_open_alerts(session))


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    tags=["officers"],
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def acknowledge(
    alert_id: uuid.UUID, session: SessionDep, officer: CurrentOfficer, body: AlertAcknowledge | None = None
) -> object:
    """Acknowledge an alert, with an optional note."""
    return alerts.acknowledge_alert(
        session,
        alert=alerts.get_alert_or_raise(session, alert_id),
        officer=officer,
        note=body.note if body else None,
        now=utcnow(),
    )


@router.get("/stats", response_model=Stats, tags=["officers"], responses=responses(*AUTH_ERRORS))
def read_stats(
    session: SessionDep, _officer: CurrentOfficer, hours: Annotated[int, Query(ge=1, le=72)] = 12
) -> dict[str, object]:
    """Commuters in each park now, crossings per checkpoint and direction by hour, today's refusals."""
    return statistics.overview(session, now=utcnow(), hours=hours)


def replay_since(context: ContextDep, last_event_id: str | None) -> list[dict[str, object]]:
    """What a reconnecting browser missed: crossings recorded after the last event it saw."""
    try:
        after = datetime.fromisoformat(last_event_id) if last_event_id else None
    except ValueError:
        after = None
    if after is None or after.tzinfo is None:
        return []
    with context.sessions() as session:
        return describe_crossings(session, crossings_recorded_after(session, after=after))


@router.get(
    "/events",
    tags=["officers"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **responses(*AUTH_ERRORS)},
)
def event_stream(context: ContextDep, _officer: CurrentOfficer, request: Request) -> StreamingResponse:
    """Server-sent events: each crossing (event ``crossing``) and alert (``alert``) as it happens."""
    last_event_id = request.headers.get("last-event-id")

    def encode(item: dict[str, object]) -> str:
        event_id = str(item["recorded_at"]) if item["type"] == "crossing" else None
        return events.format_sse(orjson.dumps(item).decode(), name=str(item["type"]), event_id=event_id)

    return StreamingResponse(
        events.stream(context.events, replay=lambda: replay_since(context, last_event_id), encode=encode),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/audit",
    response_model=list[AuditEventOut],
    tags=["officers"],
    responses=responses(*AUTH_ERRORS, InvalidInput),
)
def read_audit(
    session: SessionDep,
    _officer: CurrentOfficer,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="Only events at or after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[object]:
    """The audit trail, newest first: who did or looked at what, when, from where and why."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a time zone, for example 2026-11-22T08:00:00+08:00")
    found = audit.list_events(
        session, object_id=object_id, username=username, action=action, since=since, limit=limit
    )
    return list(found)


health_router = APIRouter(tags=["operations"])


@health_router.get("/healthz", response_model=Health)
def healthz(session: SessionDep) -> Health:
    """Liveness and readiness: the database answers and its schema is current."""
    session.execute(text("SELECT 1"))
    revision = schema.current_revision(session.connection())
    ok = revision == schema.head_revision()
    return Health(status="ok" if ok else "schema_outdated", database="ok", schema_revision=revision)


@router.get(
    "/kiosk/whitelist",
    response_model=WhitelistPage,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS),
)
def kiosk_whitelist(
    session: SessionDep,
    context: ContextDep,
    kiosk: KioskDep,
    since: Annotated[
        int, Query(ge=0, le=2**62, description="The cursor of the last page applied; 0 for a snapshot")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2_000,
) -> Response:
    """Whitelist changes after a cursor (removals included), oldest first, with the public keys."""
    entries, cursor, more = whitelist.changes_since(
        session, since=since, limit=limit, data_key=context.keyring.data_key
    )
    body = {
        "cursor": cursor,
        "more": more,
        "kiosk": {
            "id": str(kiosk.id),
            "checkpoint_id": str(kiosk.checkpoint_id),
            "direction": kiosk.direction.value,
            "face_only": kiosk.checkpoint.face_only,
        },
        "keys": [
            {"kid": kid, "algorithm": keys.ALGORITHM, "public_key": base64.b64encode(raw).decode()}
            for kid, raw in keys.load_public_key_bytes(session).items()
        ],
        "entries": entries,
    }
    # Serialised by hand: a 100,000-commuter snapshot is too large for response models.
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/kiosk/identity",
    status_code=204,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, Conflict, InvalidInput),
)
def kiosk_identity(session: SessionDep, kiosk: KioskDep, body: KioskIdentity) -> Response:
    """Register the kiosk's own batch-signing public key, once; a different key later is refused."""
    try:
        public_key = base64.b64decode(body.public_key, validate=True)
    except ValueError:
        raise InvalidInput("public_key must be base64") from None
    if len(public_key) != 32:
        raise InvalidInput("public_key must be a raw 32-byte Ed25519 key")
    try:
        crossings.register_kiosk_key(session, kiosk=kiosk, public_key=public_key)
    except Conflict:
        session.commit()  # the refusal leaves its alert
        raise
    return Response(status_code=204)


@router.post(
    "/kiosk/crossings",
    response_model=CrossingUploadResults,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, InvalidSignatureError),
)
def kiosk_crossings(
    session: SessionDep, context: ContextDep, kiosk: KioskDep, body: CrossingBatch
) -> CrossingUploadResults:
    """Deliver crossings decided at the kiosk; each is created, a duplicate, or invalid."""
    try:
        results = ingest_crossings(
            session, kiosk=kiosk, items=body.crossings, now=utcnow(), signature=body.signature
        )
    except InvalidSignatureError:
        session.commit()  # the refused batch leaves its alert
        raise
    for result in results:
        context.metrics.crossings_delivered.labels(status=result.status.value).inc()
    return CrossingUploadResults(
        results=[CrossingUploadResult(id=r.id, status=r.status.value, detail=r.detail) for r in results]
    )


@router.get(
    "/kiosk/presence/{commuter_id}",
    response_model=PresenceOut,
    tags=["kiosk"],
    responses=responses(*AUTH_ERRORS, NotFound),
)
def kiosk_presence(commuter_id: uuid.UUID, session: SessionDep, _kiosk: KioskDep) -> PresenceOut:
    """Which park a commuter is recorded in now, for anti-passback across both bridges."""
    commuter = session.get(Commuter, commuter_id)
    if commuter is None:
        raise NotFound(f"no commuter with id {commuter_id}")
    return PresenceOut(
        commuter_id=commuter.id, last_side=commuter.last_side, last_crossed_at=commuter.last_crossed_at
    )
