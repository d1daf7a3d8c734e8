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

DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9()\-]{3,31}$")


def normalise(number: str) -> str:
    """Upper case, no spaces: how a number is compared and stored."""
    return number.strip().upper().replace(" ", "")


def document_index(index_key: bytes, *, document_type: str, number: str) -> str:
    message = f"{document_type}:{normalise(number)}".encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def context(commuter_id: uuid.UUID) -> bytes:
    return f"commuters.document_number:{commuter_id}".encode()


def seal_number(data_key: vault.DataKey, *, commuter_id: uuid.UUID, number: str) -> bytes:
    return vault.seal(data_key, normalise(number).encode(), context=context(commuter_id))


def open_number(data_key: vault.DataKey, *, commuter_id: uuid.UUID, sealed: bytes) -> str:
    return vault.unseal(data_key, sealed, context=context(commuter_id)).decode()
