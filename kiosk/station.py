"""The checkpoint station: from a stream of frames to one decision per person.

A commuter walks up holding a QR and looking at the camera. The station sees the QR in one
frame, checks the credential against its own whitelist copy (offline: signature, expiry,
revocation, dynamic code, replay), picks the best face it sees while the QR is up, encodes it
once at full resolution, applies the shared rules, writes the decision to its outbox and only
then announces it. Every usable face frame is also scored for liveness, and a picture held up
is rejected (``clearance.vision.liveness``). It then waits for the person to leave before
starting a new attempt, so a person standing in front of the camera is decided once, not once per frame.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearance.core import credentials, rules
from clearance.core.enums import DESTINATION, CommuterStatus, Decision, Direction
from clearance.core.evidence import KnownCredential, KnownHolder, Timings, credential_evidence
from clearance.core.reasons import Reason
from clearance.core.settings import Settings
from clearance.core.wire import CrossingRecord, PassageClaim
from clearance.core.zone import local_today, utcnow
from clearance.vision import faces, liveness, qr
from clearance.vision.attempt import FaceFrame, FaceTally, face_evidence
from clearance.vision.images import RGBImage
from clearance.vision.stack import face_stack
from kiosk.link import Refused, ServerLink, Unreachable
from kiosk.store import CommuterEntry, LocalStore


@dataclass(frozen=True)
class StationConfig:
    settings: Settings
    """Where the thresholds come from (``rules.Thresholds.for_template``)."""
    face_only_threshold: float
    detection_max_side: int
    min_face_px: int
    frames: int
    """Usable face frames encoded and averaged per attempt."""
    face_timeout: float = 4.0
    """Seconds (of source time) to wait for a usable face once the QR was seen."""
    leave_after: float = 0.8
    """Seconds with neither QR nor face after which the person has left."""
    face_only_frames: int = 3
    presence_timeout: float = 0.3
    outcome_hold: float = 3.0
    """Seconds an outcome stays on the screen after it was decided, though the person has
    walked on (they look back at it), unless the next person shows their QR."""

    @classmethod
    def from_settings(cls, settings: Settings) -> StationConfig:
        return cls(
            settings=settings,
            face_only_threshold=settings.face_only_threshold,
            detection_max_side=settings.detection_max_side,
            min_face_px=settings.kiosk_min_face_px,
            frames=settings.kiosk_frames,
        )


class Guidance(StrEnum):
    """What the kiosk asks of the person in front of it."""

    STARTING = "starting"
    """The kiosk is starting (whitelist, face models): nothing to show it yet."""
    SHOW_QR = "show_qr"
    LOOK = "look"
    CLEARED = "cleared"
    TRY_AGAIN = "try_again"
    """Not decided for a reason the person can fix themselves: no face, several, too far, blurred."""
    REFERRED = "referred"
    """An officer decides: the person goes to the counter."""
    NOT_CLEARED = "not_cleared"
    """Refused: the person goes to the counter."""


FIXABLE = frozenset(
    {
        Reason.NO_FACE,
        Reason.SEVERAL_FACES,
        Reason.FACE_TOO_SMALL,
        Reason.FACE_BLURRED,
        Reason.FACE_BADLY_EXPOSED,
        Reason.CODE_EXPIRED,
    }
)


def guidance_for(decision: Decision, reasons: list[Reason]) -> Guidance:
    """What the screen says after a decision: walk on; try again when every reason is one the
    person can fix (stepping back resets the kiosk for them); otherwise to the counter, saying
    whether an officer will decide (referred) or the kiosk refused."""
    if decision is Decision.CLEARED:
        return Guidance.CLEARED
    if reasons and all(reason in FIXABLE for reason in reasons):
        return Guidance.TRY_AGAIN
    return Guidance.REFERRED if decision is Decision.REFER else Guidance.NOT_CLEARED


@dataclass
class LinkStatus:
    """Whether the server answered the last time anyone asked, and how far this kiosk's clock is
    from the server's (learned from its answers)."""

    reachable: bool = False
    last_error: str | None = None
    clock_offset: float = 0.0
    """Seconds this kiosk's clock is ahead of the server's (negative: behind)."""

    def ok(self) -> None:
        self.reachable, self.last_error = True, None

    def failed(self, error: str) -> None:
        self.reachable, self.last_error = False, error

    def now(self) -> datetime:
        """The server's time, by this kiosk's clock corrected by what the server said of it: what
        credentials and codes are checked against. Records keep the kiosk's own clock, which
        the server corrects by the offset it measures at delivery."""
        try:
            return utcnow() - timedelta(seconds=self.clock_offset)
        except OverflowError:  # a clock set centuries off: nothing to correct by
            return utcnow()


class StoreBook:
    """The kiosk's answers to the credential questions (``clearance.core.evidence``), from its
    own copy of the whitelist."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def public_keys(self) -> Mapping[str, Ed25519PublicKey]:
        return {kid: credentials.public_key_from_raw(raw) for kid, raw in self.store.public_keys().items()}

    def credential(self, credential_id: uuid.UUID, *, holder_id: uuid.UUID) -> KnownCredential | None:
        entry = self.store.credential(credential_id, holder_id=holder_id)
        if entry is None:
            return None
        return KnownCredential(entry.id, entry.commuter_id, entry.revoked, entry.secret, entry.last_step)

    def holder(self, commuter_id: uuid.UUID) -> KnownHolder | None:
        # The whitelist holds active commuters with a template, and nobody else.
        entry = self.store.commuter(commuter_id)
        return KnownHolder(CommuterStatus.ACTIVE, entry.valid_until, True) if entry else None

    def was_removed(self, credential_id: uuid.UUID) -> bool:
        return self.store.was_removed(credential_id)


@dataclass
class Attempt:
    started: float
    """perf_counter() when the QR (or, face-only, the face) was first seen."""
    first_seen: float
    """Source time of that frame, for the face timeout."""
    qr_text: str | None
    evidence: rules.Evidence
    commuter: CommuterEntry | None
    credential_id: uuid.UUID | None
    dynamic_step: int | None
    timings: Timings
    faces: FaceTally


@dataclass
class StationState:
    attempt: Attempt | None = None
    decided_text: str | None = None
    """The QR text of the attempt just decided; seeing it again is the same person."""
    last_presence: float | None = None
    guidance: Guidance = Guidance.SHOW_QR
    last_decision: dict[str, Any] | None = None
    face_streak: list[FaceFrame] = field(default_factory=list)
    arrived: tuple[float, float] | None = None
    """Source time and perf_counter() of the first frame that showed the person now at the lane
    (their QR, or their face once the one before had left): where their time to clear starts."""
    frame: tuple[float, float] = (0.0, 0.0)
    """Source time and perf_counter() of the frame being looked at."""
    outcome_at: float | None = None
    """Source time at which the outcome on the screen was decided, while it is held there."""
    decided_at: float | None = None
    """Source time of the decision of the person at the lane, until they leave the view."""
    left_ms: float | None = None
    """The time to leave of the person decided last (from their decision to the last frame that
    showed them), for the next record to carry."""


class Station:
    def __init__(
        self,
        *,
        store: LocalStore,
        link: ServerLink | None,
        status: LinkStatus,
        config: StationConfig,
        direction: Direction,
        face_only: bool,
        face_only_bound: int = 0,
    ) -> None:
        self.store = store
        self.book = StoreBook(store)
        self.link = link
        self.status = status
        self.config = config
        self.direction = direction
        self.face_only = face_only
        self.face_only_bound = face_only_bound
        self.state = StationState()
        self.pool = ThreadPoolExecutor(2, thread_name_prefix="hetao-frame")
        stack = face_stack(config.settings)
        stack.load()  # before the first commuter, not during their attempt
        self.detector, self.model, self.liveness = stack.detector, stack.model, stack.liveness

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # --- per frame -----------------------------------------------------------------------

    def handle(self, image: RGBImage, t: float) -> dict[str, Any] | None:
        """Look at one frame taken at source time ``t``; a decision when an attempt ends."""
        started = time.perf_counter()
        timings = Timings()
        # Both cores: zxing and the detector (OpenVINO, or dlib's HOG) release the GIL.
        qr_future = self.pool.submit(_timed, qr.decode_qr_texts, image)
        face_future = self.pool.submit(
            _timed, self.detector.detect, image, max_side=self.config.detection_max_side
        )
        texts, qr_ms = qr_future.result()
        boxes, face_ms = face_future.result()
        timings.add("qr_decode", qr_ms)
        timings.add("face_detect", face_ms)
        text = qr.choose_qr_text(texts)
        state = self.state
        state.frame = (t, started)
        if state.outcome_at is not None and t - state.outcome_at >= self.config.outcome_hold:
            state.outcome_at = None
            if state.last_presence is None:  # the person has gone: ready for the next
                state.guidance = Guidance.SHOW_QR

        # Someone is at the lane when a QR or a face of usable size is in view: faces further back
        # (a queue) neither keep an attempt open nor start a walk-through.
        near = [box for box in boxes if box[2] - box[0] >= self.config.min_face_px]
        if state.arrived is None and (
            (text is not None and text != state.decided_text) or (near and state.decided_text is None)
        ):
            state.arrived = (t, started)
        if text is not None or near:
            state.last_presence = t
        elif state.last_presence is not None and t - state.last_presence >= self.config.leave_after:
            # The person has left: whatever was pending is decided, and the next one starts fresh.
            # An outcome they saw stays up for its time; one decided only now, as they leave, is
            # seen by nobody and is not shown.
            decided_at, last_seen = state.decided_at, state.last_presence
            decision = self._finish_pending()
            if decision is None and decided_at is not None and last_seen >= decided_at:
                state.left_ms = round((last_seen - decided_at) * 1000, 1)
            state.decided_at = None
            state.decided_text, state.last_presence, state.face_streak = None, None, []
            state.arrived = None
            if decision is not None or state.outcome_at is None:
                state.guidance, state.outcome_at = Guidance.SHOW_QR, None
            return decision

        if text is not None and text != state.decided_text:
            if state.attempt is None or state.attempt.qr_text != text:
                pending = self._finish_pending()
                state.attempt = self._begin(text, started=started, t=t, timings=timings)
                if pending is not None:
                    return pending
            else:
                state.attempt.timings.merge(timings)
        elif state.attempt is not None:
            state.attempt.timings.merge(timings)
        elif text is None and state.decided_text is None and near and self.face_only_offered():
            return self._face_only(image, boxes, started=started, timings=timings)
        else:
            return None

        attempt = state.attempt
        assert attempt is not None
        if rules.credential_rejection(attempt.evidence) is not None:
            return self._decide(attempt)
        state.guidance, state.outcome_at = Guidance.LOOK, None
        attempt.faces.observe(image, boxes, detector=self.liveness, timings=attempt.timings)
        if len(attempt.faces.best) >= self.config.frames:
            return self._decide(attempt)
        if t - attempt.first_seen >= self.config.face_timeout:
            return self._decide(attempt)
        return None

    def face_only_offered(self) -> bool:
        """Whether this checkpoint offers face-only walk-through now: it must, and no more
        commuters may have opted in than it is safe for (``face_only_max_gallery``, from the
        server); beyond that everyone is asked for their QR."""
        return self.face_only and len(self.store.face_only_gallery().commuter_ids) <= self.face_only_bound

    def finish(self) -> dict[str, Any] | None:
        """The source ended: decide what is pending."""
        return self._finish_pending()

    @property
    def reasons(self) -> list[str]:
        """The reasons of the outcome on the screen (none while it asks for a QR or a face)."""
        decided = self.state.last_decision
        if self.state.guidance in (Guidance.SHOW_QR, Guidance.LOOK) or decided is None:
            return []
        return list(decided.get("reasons") or [])

    @property
    def guidance(self) -> Guidance:
        return self.state.guidance

    # --- attempts ------------------------------------------------------------------------

    def _begin(self, text: str, *, started: float, t: float, timings: Timings) -> Attempt:
        with timings.step("credential"):
            findings = credential_evidence(text, book=self.book, now=self.status.now())
        known = findings.credential
        commuter = self.store.commuter(known.commuter_id) if known is not None else None
        claims = findings.claims
        return Attempt(
            started=started,
            first_seen=t,
            qr_text=text,
            evidence=findings.evidence,
            commuter=commuter,
            # A credential of a commuter taken off the whitelist is still named in the record.
            credential_id=known.id
            if known
            else (claims.credential_id if findings.evidence.credential_known and claims else None),
            dynamic_step=findings.dynamic_step,
            timings=timings,
            faces=self._tally(),
        )

    def _tally(self) -> FaceTally:
        return FaceTally(min_face_px=self.config.min_face_px, keep=self.config.frames)

    def _decide(self, attempt: Attempt) -> dict[str, Any]:
        evidence = attempt.evidence
        photos = 1
        if rules.credential_rejection(evidence) is None:
            assert attempt.commuter is not None
            photos = attempt.commuter.photos
            evidence = face_evidence(
                evidence,
                attempt.faces,
                template=attempt.commuter.template,
                model=self.model,
                timings=attempt.timings,
                attack_below=self.config.settings.liveness_attack_threshold,
            )
        thresholds = rules.Thresholds.for_template(self.config.settings, photos=photos)
        return self._conclude(attempt, evidence, thresholds=thresholds)

    def _conclude(
        self, attempt: Attempt, evidence: rules.Evidence, *, thresholds: rules.Thresholds
    ) -> dict[str, Any]:
        """Apply the rules; a clearance is then claimed (online when the server answers at once, from
        the local copy otherwise) and, if the passage or the code was taken, refused instead."""
        crossing_id = uuid.uuid4()

        def claim() -> Reason | None:
            with attempt.timings.step("claim"):
                return self._claim(attempt, crossing_id=crossing_id)

        outcome, evidence = rules.decide_and_claim(evidence, thresholds=thresholds, claim=claim)
        return self._record(attempt, outcome, distance=evidence.distance, crossing_id=crossing_id)

    def _claim(self, attempt: Attempt, *, crossing_id: uuid.UUID) -> Reason | None:
        """Claim the passage at the server, which sees every kiosk on both bridges, so one person
        is cleared once and a code is used once; when it does not answer in time, decide from the
        local copy (anti-passback by this kiosk's knowledge; a code replayed at another kiosk
        within its window is then not caught: README, dynamic credentials)."""
        commuter = attempt.commuter
        assert commuter is not None
        if self.link is not None and self.status.reachable:
            claim = PassageClaim(
                crossing_id=crossing_id,
                commuter_id=commuter.commuter_id,
                credential_id=attempt.credential_id,
                dynamic_step=attempt.dynamic_step,
            )
            try:
                answer = self.link.claim_passage(claim, timeout=self.config.presence_timeout)
                self.status.ok()
                return Reason(answer.reason) if not answer.granted and answer.reason else None
            except (Unreachable, Refused) as exc:
                self.status.failed(str(exc))
        if commuter.last_side == DESTINATION[self.direction].value:
            return Reason.ANTI_PASSBACK
        return None

    def _record(
        self, attempt: Attempt, outcome: rules.Outcome, *, distance: float | None, crossing_id: uuid.UUID
    ) -> dict[str, Any]:
        cleared = outcome.decision is Decision.CLEARED
        record = CrossingRecord(
            id=crossing_id,
            decided_at=utcnow(),
            decision=outcome.decision,
            reasons=[reason.value for reason in outcome.reasons],
            commuter_id=attempt.commuter.commuter_id if attempt.commuter else None,
            credential_id=attempt.credential_id,
            distance=None if distance is None else round(distance, 4),
        )
        with attempt.timings.step("local_write"):
            record.duration_ms = round((time.perf_counter() - attempt.started) * 1000, 2)
            record.clear_ms = self._clear_ms()
            record.previous_left_ms = self.state.left_ms
            self.store.record_decision(
                record,
                new_side=DESTINATION[self.direction].value if cleared else None,
                dynamic_step=attempt.dynamic_step if cleared else None,
            )
        # Only now, with the record safe on disk, is the decision announced.
        state = self.state
        state.attempt = None
        state.arrived = None
        state.decided_text = attempt.qr_text
        state.guidance = guidance_for(outcome.decision, list(outcome.reasons))
        state.outcome_at = state.decided_at = state.frame[0]
        state.left_ms = None
        decision = {
            "crossing_id": str(record.id),
            "commuter_id": str(record.commuter_id) if record.commuter_id else None,
            "decision": record.decision.value,
            "reasons": record.reasons,
            "distance": record.distance,
            "ms": round((time.perf_counter() - attempt.started) * 1000, 1),
            "clear_ms": record.clear_ms,
            "previous_left_ms": record.previous_left_ms,
            "server_reachable": self.status.reachable,
            "steps_ms": attempt.timings.rounded(),
        }
        state.last_decision = decision
        return decision

    def _clear_ms(self) -> float | None:
        """Time to clear of the person decided now: source time from the frame they appeared in to
        the frame being looked at, and the time spent on this frame so far."""
        if self.state.arrived is None:
            return None
        (appeared, _), (now, started) = self.state.arrived, self.state.frame
        return round(max(0.0, now - appeared) * 1000 + (time.perf_counter() - started) * 1000, 1)

    def _finish_pending(self) -> dict[str, Any] | None:
        attempt = self.state.attempt
        if attempt is None:
            return None
        return self._decide(attempt)

    # --- face-only walk-through ------------------------------------------------------------

    def _face_only(
        self, image: RGBImage, boxes: list[faces.Box], *, started: float, timings: Timings
    ) -> dict[str, Any] | None:
        """No QR at a checkpoint that offers walk-through: after a few frames of one face, search
        the opted-in commuters (1:N) with the stricter threshold. Only a face confidently live
        (``liveness_face_only_threshold``, over the frames) is searched for; a clear attack is
        rejected and recorded; in between the kiosk asks for the QR."""
        state = self.state
        settings = self.config.settings
        tally = self._tally()
        frame = tally.observe(image, boxes, detector=self.liveness, timings=timings)
        if tally.several_faces or not boxes:
            # Several people, or nobody: the walk-through starts again with the next face.
            state.face_streak = []
            return None
        if frame is None:
            return None
        state.face_streak.append(frame)
        if len(state.face_streak) < self.config.face_only_frames:
            return None
        streak, state.face_streak = state.face_streak, []
        live = liveness.combine([f.liveness for f in streak if f.liveness is not None])
        threshold = self.config.face_only_threshold
        thresholds = rules.Thresholds(
            match=threshold,
            refer=threshold,
            attack=settings.liveness_attack_threshold,
            live=settings.liveness_face_only_threshold,
        )
        seen = rules.Evidence(
            qr_seen=True,
            credential_known=True,
            commuter_status=CommuterStatus.ACTIVE,
            has_template=True,
            face_count=1,
            liveness=live,
        )
        commuter = None
        if live is not None and live < thresholds.attack:
            evidence = seen  # a picture held up: rejected, whoever it shows
        elif live is None or live < thresholds.live:
            # Not confidently live: no search, no record; this person is asked for their QR.
            state.decided_text = "face-only:not-confident"
            state.guidance = Guidance.SHOW_QR
            return None
        else:
            best = sorted(streak, key=lambda f: f.score, reverse=True)[: self.config.frames]
            with timings.step("face_encode"):
                encodings = np.stack([self.model.encode(frame.image, frame.box) for frame in best])
            with timings.step("search"):
                gallery = self.store.face_only_gallery()
                index, distance = gallery.index.nearest(encodings)
            if distance <= threshold:
                commuter = self.store.commuter(gallery.commuter_ids[index])
            if commuter is None:
                evidence = rules.Evidence(qr_seen=False)
            else:
                evidence = replace(
                    seen, commuter_expired=commuter.valid_until < local_today(), distance=distance
                )
        attempt = Attempt(
            started=started,
            first_seen=0.0,
            qr_text=f"face-only:{commuter.commuter_id if commuter else uuid.uuid4()}",
            evidence=evidence,
            commuter=commuter,
            credential_id=None,
            dynamic_step=None,
            timings=timings,
            faces=tally,
        )
        # No refer band in walk-through: it either recognises someone surely or asks for the QR.
        return self._conclude(attempt, evidence, thresholds=thresholds)


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000
