"""The vocabulary every part of the system shares: parks, roles, directions, statuses, decisions.

Plain string enums, so the kiosk, the server and the database hold the same values; the models in
``clearance.db.models`` store them as strings.
"""

from __future__ import annotations

from enum import StrEnum


class Park(StrEnum):
    HK = "hk"
    SZ = "sz"


class CsvEncoding(StrEnum):
    """How an imported CSV's text is written: UTF-8, or what Excel saves in Chinese on the
    mainland (GB18030, which reads GBK) and in Hong Kong or Taiwan (Big5 with the Hong Kong
    characters)."""

    UTF8 = "utf-8"
    GB18030 = "gb18030"
    BIG5 = "big5hkscs"


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


class AuditAction(StrEnum):
    """Every action the audit trail records, in the order the audit page offers them to search by.
    The audit page, its translations and the tests read this one list."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_REFUSED = "sign_in_refused"
    SIGN_OUT = "sign_out"
    SET_LANGUAGE = "set_language"
    CREATE_ORGANISATION = "create_organisation"
    EDIT_ORGANISATION = "edit_organisation"
    CREATE_USER = "create_user"
    EDIT_USER = "edit_user"
    DISABLE_USER = "disable_user"
    ENABLE_USER = "enable_user"
    RESET_PASSWORD = "reset_password"
    CREATE_CHECKPOINT = "create_checkpoint"
    EDIT_CHECKPOINT = "edit_checkpoint"
    CREATE_KIOSK = "create_kiosk"
    EDIT_KIOSK = "edit_kiosk"
    DISABLE_KIOSK = "disable_kiosk"
    ENABLE_KIOSK = "enable_kiosk"
    REKEY_KIOSK = "rekey_kiosk"
    REGISTER_KIOSK_KEY = "register_kiosk_key"
    REGISTER_COMMUTER = "register_commuter"
    ADD_PHOTO = "add_photo"
    APPROVE_COMMUTER = "approve_commuter"
    SUSPEND_COMMUTER = "suspend_commuter"
    REINSTATE_COMMUTER = "reinstate_commuter"
    REVOKE_COMMUTER = "revoke_commuter"
    REMAKE_TEMPLATE = "remake_template"
    SEARCH_COMMUTERS = "search_commuters"
    READ_COMMUTER = "read_commuter"
    VIEW_REFERENCE_PHOTO = "view_reference_photo"
    READ_CROSSING_HISTORY = "read_crossing_history"
    ISSUE_CREDENTIAL = "issue_credential"
    REVOKE_CREDENTIAL = "revoke_credential"
    READ_CREDENTIALS = "read_credentials"
    READ_CREDENTIAL = "read_credential"
    READ_CREDENTIAL_QR = "read_credential_qr"
    PRINT_CARD = "print_card"
    ACTIVATE_PASS = "activate_pass"
    READ_PASS_STATUS = "read_pass_status"
    DATA_ACCESS_REQUEST = "data_access_request"
    START_IMPORT = "start_import"
    READ_IMPORT = "read_import"
    ABANDON_IMPORT = "abandon_import"
    DELIVER_CROSSINGS = "deliver_crossings"
    OVERRIDE_CROSSING = "override_crossing"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    ROTATE_DATA_KEY = "rotate_data_key"
    ROTATE_SIGNING_KEY = "rotate_signing_key"
    BACKUP = "backup"
    RESTORE = "restore"
    PURGE = "purge"
    EXPORT_AUDIT = "export_audit"
