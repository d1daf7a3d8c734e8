"""Travel document numbers at rest: sealed with the data key, and found by a blind index.

A document number is personal data that staff search by, so it is stored twice, neither time
in clear: sealed (AES-GCM, bound to its commuter) for display, and as an HMAC-SHA256 of the
document type and number under a separate index key, for equality lookups (duplicate checks and
"search by document"). The index reveals which rows share a number, nothing more; it cannot be
searched by part of a number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

from clearance.core import vault
from clearance.core.messages import Message

DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9()\-]{3,31}$")
HK_IDENTITY_CARD = "hk_identity_card"
MAINLAND_RESIDENT_ID = "mainland_resident_id"
_HKID = re.compile(r"^([A-Z]{1,2})([0-9]{6})\(?([0-9A])\)?$")
_MAINLAND_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_MAINLAND_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def hkid_check_digit(letters: str, digits: str) -> str:
    """The check digit of a Hong Kong identity card number: a weighted sum modulo 11 over the
    letters (A=10 ... Z=35, a missing first letter counts 36) and the six digits."""
    values = [36] * (2 - len(letters)) + [ord(c) - ord("A") + 10 for c in letters] + [int(d) for d in digits]
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def mainland_id_check_digit(first_17: str) -> str:
    """The check character of an 18-character Mainland resident identity card number (ISO 7064
    MOD 11-2): 0-9 or X."""
    total = sum(int(d) * w for d, w in zip(first_17, _MAINLAND_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def canonical(document_type: str, number: str) -> str:
    """How a number of this type is stored and compared: upper case without spaces, and a Hong
    Kong identity card number with its check digit in brackets, however it was typed."""
    number = normalise(number)
    if document_type == HK_IDENTITY_CARD and (parts := _HKID.match(number)):
        return f"{parts[1]}{parts[2]}({parts[3]})"
    return number


def number_problem(document_type: str, number: str) -> Message | None:
    """What is wrong with a (canonical) number for its document type, or None: the check digit
    where the document has one, letters, digits, brackets and hyphens, 4 to 32 of them, for the rest."""
    if document_type == HK_IDENTITY_CARD:
        parts = _HKID.match(number)
        if parts is None:
            return Message(
                "a Hong Kong identity card number is one or two letters, six digits and a check digit, "
                "like A123456(3)"
            )
        if hkid_check_digit(parts[1], parts[2]) != parts[3]:
            return Message(
                "the check digit of this Hong Kong identity card number does not match: check the number"
            )
        return None
    if document_type == MAINLAND_RESIDENT_ID:
        if not _MAINLAND_ID.match(number):
            return Message("a Mainland resident identity card number is 17 digits and a check digit or X")
        if mainland_id_check_digit(number[:17]) != number[17]:
            return Message(
                "the check digit of this Mainland resident identity card number does not match: "
                "check the number"
            )
        return None
    if not DOCUMENT_NUMBER.match(number):
        return Message("document_number must be 4 to 32 letters, digits, brackets or hyphens")
    return None


def normalise(number: str) -> str:
    """Upper case, no spaces: how a number is compared and stored."""
    return number.strip().upper().replace(" ", "")


def document_index(index_key: bytes, *, document_type: str, number: str) -> str:
    message = f"{document_type}:{canonical(document_type, number)}".encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def seal_number(data_key: vault.DataKey, *, commuter_id: uuid.UUID, number: str) -> bytes:
    return vault.seal(data_key, normalise(number).encode(), context=vault.document_context(commuter_id))


SHOWN_IN_LISTS = 4


def masked(number: str) -> str:
    """A document number as a list shows it: its last four characters, the letters and digits
    before them hidden (``A123456(3)`` -> ``••••••56(3)``); enough to tell two people apart
    at a glance, not enough to copy the number. The person's own page shows it in full."""
    shown = number[-SHOWN_IN_LISTS:]
    return (
        "".join("•" if ch.isalnum() else ch for ch in number[:-SHOWN_IN_LISTS]) + shown
        if len(number) > SHOWN_IN_LISTS
        else number
    )


def open_number(data_key: vault.DataKey, *, commuter_id: uuid.UUID, sealed: bytes) -> str:
    return vault.unseal(data_key, sealed, context=vault.document_context(commuter_id)).decode()
