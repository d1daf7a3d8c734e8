"""The clearance decision: a pure function from the evidence gathered at a kiosk to an outcome.

- ``cleared``: the gate opens.
- ``rejected``: the gate stays closed because the credential or the person is not entitled to
  cross (no or invalid credential, not whitelisted, a different face, a picture held up).
- ``refer``: the gate stays closed because the evidence is not good enough to decide either way
  (no usable face, several faces, a distance too close to the threshold, a face not clearly
  live); an officer decides.

Reasons are machine-readable codes, most important first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from clearance.core.enums import CommuterStatus, Decision
from clearance.core.reasons import Reason
from clearance.core.settings import Settings


@dataclass(frozen=True)
class Thresholds:
    match: float
    """Largest face distance that clears (lower is stricter)."""
    refer: float
    """Largest distance that is referred to an officer rather than rejected."""
    attack: float = 0.0
    """Liveness below this is a presentation attack (rejected)."""
    live: float = 0.0
    """Liveness at or above this is live; between ``attack`` and this, an officer decides."""

    @classmethod
    def for_template(cls, settings: Settings, *, photos: int) -> Thresholds:
        """The thresholds for a template of ``photos`` enrolment photos: with several, the
        distance is an average and may be a little larger at the same false accept rate."""
        attack, live = settings.liveness_attack_threshold, settings.liveness_threshold
        if photos > 1:
            return cls(settings.match_threshold_several, settings.refer_threshold_several, attack, live)
        return cls(settings.match_threshold, settings.refer_threshold, attack, live)


@dataclass(frozen=True)
class Evidence:
    qr_seen: bool
    """False when no QR was seen."""
    credential_problem: Reason | None = None
    """What is wrong with the QR text as a credential (form, signature, expiry, code); None if nothing."""
    credential_known: bool = False
    """The credential id is one the server issued (or the kiosk's whitelist holds)."""
    credential_revoked: bool = False
    replayed: bool = False
    """A dynamic code at or before the newest one already cleared for this credential."""
    commuter_status: CommuterStatus | None = None
    commuter_expired: bool = False
    """The commuter's registration ended (valid_until passed) though the credential has not."""
    has_template: bool = False
    face_count: int | None = None
    """None when the face was not examined because the credential already failed."""
    face_quality_failures: tuple[Reason, ...] = ()
    distance: float | None = None
    liveness: float | None = None
    """How live the face looks over the attempt's frames, 0 (a picture) to 1; None if unscored."""
    template_outdated: bool = False
    """The template was made by another face model: the face cannot be compared with it."""
    passback: bool = False
    """The commuter is already recorded in the park this crossing leads into."""


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    reasons: tuple[Reason, ...]


def decide_and_claim(
    evidence: Evidence, *, thresholds: Thresholds, claim: Callable[[], Reason | None]
) -> tuple[Outcome, Evidence]:
    """Decide; an attempt that would clear then ``claim``s its passage (and its dynamic code) from
    whoever keeps them, which answers why not if either was taken (``replayed``,
    ``anti_passback``), and is decided again with that known. The kiosk and the server clear
    people this one way. The evidence returned is what the final decision was made on."""
    outcome = decide(evidence, thresholds=thresholds)
    if outcome.decision is not Decision.CLEARED:
        return outcome, evidence
    refusal = claim()
    if refusal is None:
        return outcome, evidence
    evidence = replace(
        evidence, replayed=refusal is Reason.REPLAYED, passback=refusal is Reason.ANTI_PASSBACK
    )
    return decide(evidence, thresholds=thresholds), evidence


def decide(evidence: Evidence, *, thresholds: Thresholds) -> Outcome:
    """Decide one attempt. Credential problems reject before the face is considered."""
    return credential_rejection(evidence) or decide_face(evidence, thresholds=thresholds)


def credential_rejection(evidence: Evidence) -> Outcome | None:
    """The rejection the credential and whitelist alone call for, or None if they are good
    and the face decides."""
    if not evidence.qr_seen:
        return Outcome(Decision.REJECTED, (Reason.NO_QR,))
    if evidence.credential_problem is not None:
        return Outcome(Decision.REJECTED, (evidence.credential_problem,))
    if not evidence.credential_known:
        return Outcome(Decision.REJECTED, (Reason.UNKNOWN_CREDENTIAL,))
    if evidence.credential_revoked:
        return Outcome(Decision.REJECTED, (Reason.REVOKED,))
    if evidence.replayed:
        return Outcome(Decision.REJECTED, (Reason.REPLAYED,))
    if evidence.commuter_expired:
        return Outcome(Decision.REJECTED, (Reason.EXPIRED,))
    if evidence.commuter_status is not CommuterStatus.ACTIVE or not evidence.has_template:
        return Outcome(Decision.REJECTED, (Reason.NOT_WHITELISTED,))
    return None


def decide_face(evidence: Evidence, *, thresholds: Thresholds) -> Outcome:
    """The face part of the decision, for a credential already found good."""
    if not evidence.face_count:
        return Outcome(Decision.REFER, (Reason.NO_FACE,))
    if evidence.face_count > 1:
        return Outcome(Decision.REFER, (Reason.SEVERAL_FACES,))
    if evidence.face_quality_failures:
        return Outcome(Decision.REFER, evidence.face_quality_failures)
    # A picture held up is an attack whoever it shows: rejected before the face is compared.
    live = evidence.liveness is not None and evidence.liveness >= thresholds.live
    if evidence.liveness is not None and evidence.liveness < thresholds.attack:
        return Outcome(Decision.REJECTED, (Reason.PRESENTATION_ATTACK,))
    if evidence.template_outdated:
        return Outcome(Decision.REFER, (Reason.TEMPLATE_OUTDATED,))
    if evidence.distance is None:
        return Outcome(Decision.REFER, (Reason.NO_FACE,))
    if evidence.distance > thresholds.refer:
        return Outcome(Decision.REJECTED, (Reason.FACE_MISMATCH,))
    doubts: tuple[Reason, ...] = ()
    if not live:
        doubts += (Reason.LIVENESS_UNCERTAIN,)
    if evidence.distance > thresholds.match:
        doubts += (Reason.FACE_UNCERTAIN,)
    if doubts:
        return Outcome(Decision.REFER, doubts)
    if evidence.passback:
        # The right person, but the record says they are already on the other side:
        # a shared credential, a missed exit or a tailgate. An officer looks.
        return Outcome(Decision.REFER, (Reason.ANTI_PASSBACK,))
    return Outcome(Decision.CLEARED, ())
