"""The reasons a clearance decision gives, declared once: the credential checks, the face checks
and the rules all speak in these codes, and the pages, metrics and kiosk screen translate them."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # The credential (checked offline from the QR text alone)
    NO_QR = "no_qr"
    MALFORMED_QR = "malformed_qr"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    CODE_MISSING = "code_missing"
    """A dynamic credential shown without its time-based code."""
    CODE_EXPIRED = "code_expired"
    """The time-based code is outside its window: a screenshot, or a phone with a wrong clock."""
    BAD_CODE = "bad_code"
    # The credential against the whitelist
    REPLAYED = "replayed"
    REVOKED = "revoked"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    NOT_WHITELISTED = "not_whitelisted"
    # The face
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_TOO_SMALL = "face_too_small"
    FACE_BLURRED = "face_blurred"
    FACE_BADLY_EXPOSED = "face_badly_exposed"
    FACE_UNCERTAIN = "face_uncertain"
    FACE_MISMATCH = "face_mismatch"
    TEMPLATE_OUTDATED = "template_outdated"
    """The template was made by another face model than the one in use: nothing to compare the
    face with until it is made again (`hetao models reencode`), so an officer looks."""
    PRESENTATION_ATTACK = "presentation_attack"
    """The face is a picture held up to the camera (a screen or a print), not a live person."""
    LIVENESS_UNCERTAIN = "liveness_uncertain"
    """The face may be a picture: not live enough to clear, not clearly an attack; an officer looks."""
    # The crossing
    ANTI_PASSBACK = "anti_passback"
