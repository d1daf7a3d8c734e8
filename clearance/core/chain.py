"""The tamper-evident crossing log a kiosk keeps.

Each crossing a kiosk records carries its position ``seq`` (1, 2, 3...) and ``prev_hash``, the
hash of the record before it (64 zeros before the first). A record's hash is SHA-256 over its
fields in a canonical JSON form, so changing any field changes it. The kiosk signs each batch it
delivers (Ed25519, over the hashes of the batch's records in order) with a key that never leaves
it; the server learned the public half when the kiosk first introduced itself.

On arrival the server checks the signature, then each record against the last one it accepted
from that kiosk: the next ``seq`` must follow and point at that record's hash. A deleted record
shows as a gap, an edited one as a broken link (the next record points at the hash of what was
there before), reordered ones as both; a ``seq`` used twice is a fork. Records are stored all the
same (a crossing is never dropped), and officers get an alert saying what was found where.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearance.core.messages import Message

GENESIS = "0" * 64
HASHED_FIELDS = (
    "id",
    "decided_at",
    "decision",
    "reasons",
    "commuter_id",
    "credential_id",
    "distance",
    "duration_ms",
    "seq",
    "prev_hash",
)
OPTIONAL_HASHED_FIELDS = ("clear_ms", "previous_left_ms")
"""Fields added after kiosks were chaining records: hashed when a record carries them, so a record
from a kiosk that never sent them hashes exactly as it always did."""


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 (hex) of a record's fields, canonically encoded (sorted keys, no whitespace)."""
    fields = {field: record.get(field) for field in HASHED_FIELDS}
    fields.update({field: record[field] for field in OPTIONAL_HASHED_FIELDS if record.get(field) is not None})
    canonical = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def batch_message(hashes: list[str]) -> bytes:
    """What a kiosk signs for a batch: the hashes of its records, in the order sent."""
    return ("hetao-crossings:" + ",".join(hashes)).encode()


def link(record: dict[str, Any], *, head_seq: int, head_hash: str) -> dict[str, Any]:
    """``record`` as the next link after the chain head (``head_seq``, ``head_hash``)."""
    return {**record, "seq": head_seq + 1, "prev_hash": head_hash}


def sign_batch(key: Ed25519PrivateKey, records: list[dict[str, Any]]) -> str:
    """The base64 signature a kiosk sends with a batch of its records."""
    return base64.b64encode(key.sign(batch_message([record_hash(r) for r in records]))).decode()


def link_problem(*, head_seq: int, head_hash: str, seq: int, prev_hash: str) -> Message | None:
    """Why record ``seq`` does not follow the last accepted record (``head_seq``, ``head_hash``),
    or None if it does."""
    if seq <= head_seq:
        return Message("record {seq} repeats a position already taken (a fork: records rewritten?)", seq=seq)
    if seq > head_seq + 1:
        if seq == head_seq + 2:
            return Message("record {seq} is missing (deleted from the kiosk?)", seq=head_seq + 1)
        return Message(
            "records {first} to {last} are missing (deleted from the kiosk?)",
            first=head_seq + 1,
            last=seq - 1,
        )
    if prev_hash != head_hash:
        return Message(
            "record {seq} does not follow record {head} (edited or reordered?)", seq=seq, head=head_seq
        )
    return None
