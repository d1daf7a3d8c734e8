"""Re-sealing every sealed field with the current data key, after ``hetao keys rotate``.

The rotation itself only swaps files: the new key seals from then on, the old one stays as a
retired key so everything it sealed still opens. Servers notice the change in the keys folder on
their next use of a key, so nothing stops. Then this walks every sealed column in batches (each
its own transaction), opening each blob not sealed with the current key and sealing it again
under the same context, until a pass finds none left: a server that sealed with the old key a
moment after the rotation is caught by the next pass. Afterwards the retired key opens nothing
and can be deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from clearance.audit import service as audit
from clearance.core import vault
from clearance.core.enums import AuditAction
from clearance.core.messages import words
from clearance.core.settings import Settings
from clearance.custody import keys
from clearance.db.actors import Actor
from clearance.db.engine import session_scope
from clearance.db.keyring import Keyring, load_keyring, name_sealing_key
from clearance.db.models import Commuter, Credential, FaceTemplate, ImportRow

BATCH = 500


@dataclass(frozen=True)
class SealedField:
    column: InstrumentedAttribute[Any]
    context: Callable[[Any], bytes]


SEALED_FIELDS = (
    SealedField(
        FaceTemplate.sealed_encoding, lambda row: vault.template_context(row.commuter_id, "encoding")
    ),
    SealedField(
        FaceTemplate.sealed_reference_photo, lambda row: vault.template_context(row.commuter_id, "photo")
    ),
    SealedField(Credential.sealed_secret, lambda row: vault.secret_context(row.id)),
    SealedField(Credential.sealed_proof_key, lambda row: vault.proof_key_context(row.id)),
    SealedField(Commuter.sealed_document_number, lambda row: vault.document_context(row.id)),
    SealedField(ImportRow.sealed_values, lambda row: row.values_context),
)


def field_name(field: SealedField) -> str:
    return f"{field.column.class_.__tablename__}.{field.column.key}"


def count_stale(session: Session, *, key_id: bytes) -> dict[str, int]:
    """How many blobs of each sealed field are not sealed with ``key_id``."""
    return {
        field_name(field): session.scalar(
            select(func.count()).where(field.column.is_not(None), func.substr(field.column, 2, 4) != key_id)
        )
        or 0
        for field in SEALED_FIELDS
    }


def reseal_all(
    sessions: sessionmaker[Session], keyring: Keyring, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Re-seal every blob not sealed with the current data key; the counts per field."""
    done = {field_name(field): 0 for field in SEALED_FIELDS}
    for field in SEALED_FIELDS:
        model = field.column.class_
        while True:
            with session_scope(sessions) as session:
                data_key = keyring.sealing_key(session)
                rows = session.scalars(
                    select(model)
                    .where(field.column.is_not(None), func.substr(field.column, 2, 4) != data_key.key_id)
                    .limit(BATCH)
                    .with_for_update()
                ).all()
                for row in rows:
                    context = field.context(row)
                    plain = vault.unseal(data_key, getattr(row, field.column.key), context=context)
                    setattr(row, field.column.key, vault.seal(data_key, plain, context=context))
            if not rows:
                break
            done[field_name(field)] += len(rows)
            if progress is not None:
                progress(field_name(field), done[field_name(field)])
    return done


@dataclass(frozen=True)
class Rotation:
    old_key_id: bytes
    new_key_id: bytes
    resealed: dict[str, int]
    stale: dict[str, int]
    """Blobs still sealed with an older key after the pass (none, unless something raced it)."""


def rotate(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    actor: Actor,
    progress: Callable[[str, int], None] | None = None,
) -> Rotation:
    """Make a new data key the one that seals, re-seal everything with it while servers keep
    running, and record the rotation in the audit trail."""
    keyring = load_keyring(settings)  # in development, makes the keys of a fresh data directory
    with session_scope(sessions) as session:
        keyring.sealing_key(session)  # names the current key in the database if nothing does yet
    old_id, new_id = keys.rotate_data_key(settings)
    # From this commit on, every server seals with the new key; whatever was sealed with the old
    # one has committed before it (Keyring.sealing_key), so the pass below finds all of it.
    with session_scope(sessions) as session:
        name_sealing_key(session, key_id=new_id)
    resealed = reseal_all(sessions, load_keyring(settings), progress=progress)
    with session_scope(sessions) as session:
        stale = {field: n for field, n in count_stale(session, key_id=new_id).items() if n}
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.ROTATE_DATA_KEY,
            detail=words(
                "{old} -> {new}; re-sealed {counts}",
                old=old_id.hex(),
                new=new_id.hex(),
                counts=", ".join(f"{count} {field}" for field, count in resealed.items()),
            ),
        )
    return Rotation(old_id, new_id, resealed, stale)
