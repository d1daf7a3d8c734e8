"""Clearing one attempt on the server: from a QR text and a face image to a recorded crossing.

The evidence is gathered exactly as a kiosk gathers it (``clearance.core.evidence`` and
``clearance.vision.attempt``); the server answers the credential questions from its database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from clearance.core import credentials, rules, vault
from clearance.core.enums import Direction
from clearance.core.errors import InvalidInput, NotFound
from clearance.core.evidence import (
    KnownCredential,
    KnownHolder,
    Timings,
    credential_evidence,
)
from clearance.core.messages import Message
from clearance.core.metrics import Metrics
from clearance.core.reasons import Reason
from clearance.core.settings import Settings
from clearance.core.wire import PassageAnswer, PassageClaim
from clearance.crossings import presence
from clearance.crossings import service as crossings
from clearance.custody import keys
from clearance.db.keyring import Keyring
from clearance.db.models import Commuter, Credential, Crossing, Kiosk
from clearance.vision.attempt import FaceTally, face_evidence
from clearance.vision.images import RGBImage
from clearance.vision.stack import face_stack
from clearance.whitelist import biometrics


class DatabaseBook:
    """The server's answers to the credential questions (``clearance.core.evidence``)."""

    def __init__(self, session: Session, *, data_key: vault.DataKey) -> None:
        self.session = session
        self.data_key = data_key

    def public_keys(self) -> Mapping[str, Ed25519PublicKey]:
        return keys.load_public_keys(self.session)

    def credential(self, credential_id: uuid.UUID, *, holder_id: uuid.UUID) -> KnownCredential | None:
        row = self.session.get(Credential, credential_id)
        if row is None:
            return None
        secret = (
            vault.unseal(self.data_key, row.sealed_secret, context=vault.secret_context(row.id))
            if row.sealed_secret is not None
            else None
        )
        return KnownCredential(
            id=row.id,
            commuter_id=row.commuter_id,
            revoked=row.revoked_at is not None,
            secret=secret,
            last_step=row.last_counter,
        )

    def holder(self, commuter_id: uuid.UUID) -> KnownHolder | None:
        commuter = self.session.get(Commuter, commuter_id)
        if commuter is None:
            return None
        return KnownHolder(commuter.status, commuter.valid_until, commuter.template is not None)

    def was_removed(self, credential_id: uuid.UUID) -> bool:
        return False  # the server keeps every credential it issued


@dataclass(frozen=True)
class Attempt:
    crossing: Crossing
    outcome: rules.Outcome
    distance: float | None


def clear_attempt(
    session: Session,
    *,
    kiosk: Kiosk,
    qr_text: str | None,
    face_image: RGBImage,
    settings: Settings,
    keyring: Keyring,
    timings: Timings,
    metrics: Metrics,
    now: datetime,
) -> Attempt:
    """Decide an attempt at ``kiosk`` and record it as a crossing (counted in ``metrics``).

    A would-be clearance then consumes the dynamic code (if any) and claims the passage into
    the next park, each with one atomic update, so a replayed code or a second clearance of the
    same person elsewhere loses even when both arrive at once.
    """
    with timings.step("credential"):
        findings = credential_evidence(
            qr_text, book=DatabaseBook(session, data_key=keyring.data_key), now=now
        )
    evidence = findings.evidence
    commuter = session.get(Commuter, findings.credential.commuter_id) if findings.credential else None
    # The face is examined only when the credential leaves it to the face to decide.
    thresholds = rules.Thresholds.for_template(settings, photos=1)
    if rules.credential_rejection(evidence) is None:
        assert commuter is not None and commuter.template is not None
        stack = face_stack(settings)
        model = stack.model
        template = (
            biometrics.open_encodings(keyring.data_key, commuter.template, size=model.size)
            if commuter.template.model == model.name
            else None
        )
        thresholds = rules.Thresholds.for_template(settings, photos=biometrics.photo_count(commuter.template))
        tally = FaceTally(min_face_px=settings.kiosk_min_face_px)
        with timings.step("face_detect"):
            boxes = stack.detector.detect(face_image, max_side=settings.detection_max_side)
        tally.observe(face_image, boxes, detector=stack.liveness, timings=timings)
        evidence = face_evidence(
            evidence,
            tally,
            template=template,
            model=model,
            timings=timings,
            attack_below=settings.liveness_attack_threshold,
        )
        if evidence.liveness is not None:
            metrics.liveness.observe(evidence.liveness)
    crossing_id = uuid.uuid4()

    def claim_now() -> Reason | None:
        assert commuter is not None and findings.credential is not None
        return claim(
            session,
            commuter=commuter,
            direction=kiosk.direction,
            credential_id=findings.credential.id,
            dynamic_step=findings.dynamic_step,
            crossing_id=crossing_id,
            now=now,
        )

    with timings.step("record"):
        outcome, evidence = rules.decide_and_claim(evidence, thresholds=thresholds, claim=claim_now)
        crossing = crossings.record_crossing(
            session,
            crossing_id=crossing_id,
            kiosk=kiosk,
            outcome=outcome,
            decided_at=now,
            commuter_id=commuter.id if commuter is not None else None,
            credential_id=findings.credential.id if findings.credential is not None else None,
            distance=evidence.distance,
            duration_ms=round(timings.total, 3),
        )
    for step, ms in timings.steps.items():
        metrics.verify_seconds.labels(step=step).observe(ms / 1000)
    metrics.decisions.labels(decision=outcome.decision.value, direction=kiosk.direction.value).inc()
    for reason in outcome.reasons:
        metrics.reasons.labels(reason=reason.value, source="server").inc()
    return Attempt(crossing=crossing, outcome=outcome, distance=evidence.distance)


def claim(
    session: Session,
    *,
    commuter: Commuter,
    direction: Direction,
    credential_id: uuid.UUID | None,
    dynamic_step: int | None,
    crossing_id: uuid.UUID,
    now: datetime,
) -> Reason | None:
    """For an attempt the rules would clear: consume its dynamic code (if any) and claim the
    passage, each atomically; why not, if either was already taken (``replayed`` or
    ``anti_passback``)."""
    if (
        credential_id is not None
        and dynamic_step is not None
        and not consume_code(session, credential_id=credential_id, step=dynamic_step, now=now)
    ):
        return Reason.REPLAYED
    if not presence.claim_passage(
        session, commuter=commuter, direction=direction, at=now, crossing_id=crossing_id
    ):
        return Reason.ANTI_PASSBACK
    return None


def claim_for_kiosk(session: Session, *, kiosk: Kiosk, request: PassageClaim, now: datetime) -> PassageAnswer:
    """A kiosk about to clear someone claims the passage online (see ``PassageClaim``); it clears
    only if granted, and records the crossing under the id it claimed with."""
    commuter = session.get(Commuter, request.commuter_id)
    if commuter is None:
        raise NotFound(Message("no commuter with id {commuter_id}", commuter_id=request.commuter_id))
    if request.credential_id is not None:
        credential = session.get(Credential, request.credential_id)
        if credential is None or credential.commuter_id != commuter.id:
            raise InvalidInput("credential_id is not a credential of this commuter", field="credential_id")
    refusal = claim(
        session,
        commuter=commuter,
        direction=kiosk.direction,
        credential_id=request.credential_id,
        dynamic_step=request.dynamic_step,
        crossing_id=request.crossing_id,
        now=now,
    )
    return PassageAnswer(
        granted=refusal is None, reason=refusal.value if refusal else None, last_side=commuter.last_side
    )


CLAIM_STEPS = 2
"""How far from now (in 30 s steps) a code's step may be when it is claimed: a code is accepted
one step either side of now, and a claim follows its check within the second."""


def consume_code(session: Session, *, credential_id: uuid.UUID, step: int, now: datetime) -> bool:
    """Mark a dynamic code's time step as used; False if it (or a later one) already was. A step
    time does not allow is refused (InvalidInput): consuming a far future step would make every
    genuine code of the credential a replay until then."""
    if abs(step - credentials.time_step(now)) > CLAIM_STEPS:
        raise InvalidInput(
            Message(
                "dynamic_step {step} is not a step of now ({now_step} ± {steps})",
                step=step,
                now_step=credentials.time_step(now),
                steps=CLAIM_STEPS,
            ),
            field="dynamic_step",
        )
    used = session.execute(
        update(Credential)
        .where(
            Credential.id == credential_id,
            or_(Credential.last_counter.is_(None), Credential.last_counter < step),
        )
        .values(last_counter=step),
        execution_options={"synchronize_session": False},
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]
