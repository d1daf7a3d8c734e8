"""The kiosk's online check and its view of who is in which park."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from clearance.clearing import service as clearing
from clearance.clearing.schemas import VerifyResult
from clearance.core import credentials
from clearance.core.errors import (
    Forbidden,
    InvalidImage,
    InvalidInput,
    MalformedCredential,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    responses,
)
from clearance.core.evidence import Timings
from clearance.core.messages import Message
from clearance.core.wire import PassageAnswer, PassageClaim, Presence
from clearance.core.zone import utcnow
from clearance.db.models import Commuter
from clearance.http.deps import ContextDep, KioskDep, SessionDep, read_upload
from clearance.vision import images, qr

router = APIRouter(tags=["kiosk"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.post(
    "/kiosk/verify",
    response_model=VerifyResult,
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
    timings = Timings()
    if frame is not None and (qr_payload is not None or face is not None):
        raise InvalidInput("send either a frame, or qr_payload with a face, not both")
    if frame is not None:
        with timings.step("image_decode"):
            image = images.load_upload(
                read_upload(frame, settings=settings), max_pixels=settings.max_image_pixels
            )
        with timings.step("qr_decode"):
            qr_text = qr.choose_qr_text(qr.decode_qr_texts(image))
    elif qr_payload is not None and face is not None:
        # A kiosk that sends a decoded text vouches that it read a credential: a text that is
        # not one at all is a fault of the client, not an attempt to cross, and records nothing.
        try:
            credentials.parse_payload(qr_payload)
        except credentials.MalformedPayload as exc:
            raise MalformedCredential(
                Message("qr_payload is not a Hetao credential: {exc}", exc=exc)
            ) from None
        with timings.step("image_decode"):
            image = images.load_upload(
                read_upload(face, settings=settings), max_pixels=settings.max_image_pixels
            )
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
        metrics=context.metrics,
        now=utcnow(),
    )
    return VerifyResult(
        decision=attempt.outcome.decision,
        reasons=[reason.value for reason in attempt.outcome.reasons],
        commuter_id=attempt.crossing.commuter_id,
        distance=None if attempt.distance is None else round(attempt.distance, 4),
        crossing_id=attempt.crossing.id,
        timings_ms=timings.rounded(),
    )


@router.post(
    "/kiosk/passages",
    response_model=PassageAnswer,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidInput),
)
def claim_passage(session: SessionDep, kiosk: KioskDep, body: PassageClaim) -> PassageAnswer:
    """Claim a commuter's passage (and their dynamic code's time step) before clearing them: the
    server sees every kiosk on both bridges, so one person is cleared once and a code used once."""
    return clearing.claim_for_kiosk(session, kiosk=kiosk, request=body, now=utcnow())


@router.get(
    "/kiosk/presence/{commuter_id}",
    response_model=Presence,
    responses=responses(*AUTH_ERRORS, NotFound),
)
def kiosk_presence(commuter_id: uuid.UUID, session: SessionDep, _kiosk: KioskDep) -> Presence:
    """Which park a commuter is recorded in now, for anti-passback across both bridges."""
    commuter = session.get(Commuter, commuter_id)
    if commuter is None:
        raise NotFound(Message("no commuter with id {commuter_id}", commuter_id=commuter_id))
    return Presence(
        commuter_id=commuter.id, last_side=commuter.last_side, last_crossed_at=commuter.last_crossed_at
    )
