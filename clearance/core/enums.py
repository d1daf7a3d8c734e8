"""The vocabulary every part of the system shares: parks, roles, directions, statuses, decisions.

Plain string enums, so the kiosk, the server and the database hold the same values; the models in
``clearance.db.models`` store them as strings.
"""

from __future__ import annotations

from enum import StrEnum


class Park(StrEnum):
    HK = "hk"
    SZ = "sz"


class Role(StrEnum):
    ADMIN = "admin"
    ENROLLER = "enroller"
    OFFICER = "officer"


class Bridge(StrEnum):
    EAST = "east"
    WEST = "west"


class Direction(StrEnum):
    TO_HK = "to_hk"
    TO_SZ = "to_sz"


DESTINATION = {Direction.TO_HK: Park.HK, Direction.TO_SZ: Park.SZ}
"""The park each direction leads into."""


class CommuterStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class CredentialKind(StrEnum):
    STATIC = "static"
    DYNAMIC = "dynamic"


class Decision(StrEnum):
    CLEARED = "cleared"
    REJECTED = "rejected"
    REFER = "refer"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    HK_IDENTITY_CARD = "hk_identity_card"
    HOME_RETURN_PERMIT = "home_return_permit"
    """Mainland Travel Permit for Hong Kong and Macao Residents."""
    EXIT_ENTRY_PERMIT = "exit_entry_permit"
    """Exit-entry Permit for Travelling to and from Hong Kong and Macao."""
    MAINLAND_RESIDENT_ID = "mainland_resident_id"
    """Resident Identity Card of the People's Republic of China."""


class AlertKind(StrEnum):
    ANTI_PASSBACK_CONFLICT = "anti_passback_conflict"
    REPEATED_FACE_MISMATCH = "repeated_face_mismatch"
    KIOSK_SILENT = "kiosk_silent"
    KIOSK_CLOCK = "kiosk_clock_skew"
    """A kiosk's clock is off: its crossings were recorded at the server's time."""
    DISABLED_KIOSK_CALLED = "disabled_kiosk_called"
    """A disabled kiosk's key was used: the kiosk (or whoever holds its key) is still calling."""
    CROSSING_LOG_TAMPERED = "crossing_log_tampered"
    """A kiosk's chain of crossings has a gap, a fork or a broken link, or a batch's signature
    does not verify, or the kiosk presented a signing key other than the one it registered."""


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
