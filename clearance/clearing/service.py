"""Clearing one attempt on the server: from a QR text and a face image to a recorded crossing.

The steps are timed one by one (milliseconds) because the kiosk's promise is a decision in well
under 0.2 s of compute, and the split says where the time goes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from clearance import credentials, faces, keys, presence, rules, templates, vault, whitelist
from clearance.credentials import CredentialCheck
from clearance.crossings import record_crossing
from clearance.models import Commuter, Credential, Crossing, Decision, Kiosk
from clearance.settings import Settings
from clearance.zone import local_today


@dataclass
class Timings:
    """Milliseconds per step, in the order they ran."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + (time.perf_counter() - start) * 1000

    @property
    def total(self) -> float:
        return sum(self.steps.values())


@dataclass(frozen=True)
class FaceFindings:
    face_count: int
    quality_failures: tuple[str, ...]
    distance: float | None


def examine_face(
    image: faces.RGBImage,
    template: faces.Encoding,
    *,
    limits: faces.QualityLimits,
    max_side: int,
    timings: Timings,
) -> FaceFindings:
    """Detect the face at the working size, check its size, encode it at full resolution and
    measure its distance to ``template``. No encoding is made unless exactly one usable face."""
    with timings.step("face_detect"):
        boxes = faces.detect_faces(image, max_side=max_side)
    if len(boxes) != 1:
        return FaceFindings(len(boxes), (), None)
    failures = tuple(
        code for code, _ in faces.quality_failures(faces.measure_quality(image, boxes[0]), limits)
    )
    if failures:
        return FaceFindings(1, failures, None)
    with timings.step("face_encode"):
        encoding = faces.encode_face(image, boxes[0])
    return FaceFindings(1, (), faces.face_distance(encoding, template))


def choose_qr_text(texts: list[str]) -> str | None:
    """Of the QR codes in a frame, ours if there is one, else whatever was shown."""
    for text in texts:
        if text.startswith(credentials.PREFIX):
            return text
    return texts[0] if texts else None


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
    face_image: faces.RGBImage,
    settings: Settings,
    keyring: keys.Keyring,
    timings: Timings,
    now: datetime,
) -> Attempt:
    """Decide an attempt at ``kiosk`` and record it as a crossing.

    A would-be clearance then consumes the dynamic code (if any) and claims the passage into
    the next park, each with one atomic update, so a replayed code or a second clearance of the
    same person elsewhere loses even when both arrive at once.
    """
    with timings.step("credential"):
        evidence, credential, verification = _credential_evidence(
            session, qr_text=qr_text, keyring=keyring, now=now
        )
    commuter = credential.commuter if credential is not None else None
    distance = None
    # The face is examined only when the credential leaves it to the face to decide.
    if rules.credential_rejection(evidence) is None:
        assert commuter is not None and commuter.template is not None
        findings = examine_face(
            face_image,
            templates.open_encoding(keyring.data_key, commuter.template),
            limits=faces.QualityLimits.for_kiosk(settings),
            max_side=settings.detection_max_side,
            timings=timings,
        )
        distance = findings.distance
        evidence = replace(
            evidence,
            face_count=findings.face_count,
            face_quality_failures=findings.quality_failures,
            distance=findings.distance,
        )
    thresholds = rules.Thresholds(match=settings.match_threshold, refer=settings.refer_threshold)
    outcome = rules.decide(evidence, thresholds=thresholds)
    with timings.step("record"):
        if outcome.decision is Decision.CLEARED:
            assert commuter is not None and credential is not None
            if verification.dynamic is not None and not consume_code(
                session, credential=credential, step=verification.dynamic.step
            ):
                evidence = replace(evidence, replayed=True)
            elif not presence.claim_passage(session, commuter=commuter, direction=kiosk.direction, at=now):
                evidence = replace(evidence, passback=True)
            outcome = rules.decide(evidence, thresholds=thresholds)
        crossing = record_crossing(
            session,
            crossing_id=uuid.uuid4(),
            kiosk=kiosk,
            outcome=outcome,
            decided_at=now,
            commuter_id=commuter.id if commuter is not None else None,
            credential_id=credential.id if credential is not None else None,
            distance=distance,
            duration_ms=round(timings.total, 3),
        )
    return Attempt(crossing=crossing, outcome=outcome, distance=distance)


def consume_code(session: Session, *, credential: Credential, step: int) -> bool:
    """Mark a dynamic code's time step as used; False if it (or a later one) already was."""
    used = session.execute(
        update(Credential)
        .where(
            Credential.id == credential.id,
            or_(Credential.last_counter.is_(None), Credential.last_counter < step),
        )
        .values(last_counter=step),
        execution_options={"synchronize_session": False},
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]


def _credential_evidence(
    session: Session, *, qr_text: str | None, keyring: keys.Keyring, now: datetime
) -> tuple[rules.Evidence, Credential | None, credentials.Verification]:
    if qr_text is None:
        return (
            rules.Evidence(credential=None),
            None,
            credentials.Verification(CredentialCheck.MALFORMED, None),
        )
    verification = credentials.verify_credential(qr_text, public_keys=keys.load_public_keys(session), now=now)
    if verification.check is not CredentialCheck.VALID or verification.claims is None:
        return rules.Evidence(credential=verification.check), None, verification
    credential = session.get(Credential, verification.claims.credential_id)
    if credential is None or credential.commuter_id != verification.claims.commuter_id:
        return rules.Evidence(credential=verification.check), None, verification
    check: CredentialCheck = verification.check
    replayed = False
    # A revoked credential has lost its secret; it is refused as revoked, code unchecked.
    if verification.dynamic is not None and credential.sealed_secret is not None:
        secret = vault.unseal(
            keyring.data_key, credential.sealed_secret, context=whitelist.secret_context(credential.id)
        )
        check = credentials.check_dynamic_code(verification, secret=secret, now=now)
        last = credential.last_counter
        replayed = last is not None and verification.dynamic.step <= last
    commuter: Commuter = credential.commuter
    evidence = rules.Evidence(
        credential=check,
        credential_known=True,
        credential_revoked=credential.revoked_at is not None,
        replayed=replayed,
        commuter_status=commuter.status,
        commuter_expired=commuter.valid_until < local_today(now),
        has_template=commuter.template is not None,
    )
    return evidence, credential, verification
