"""The whitelist change feed kiosks synchronise from.

Every change a kiosk must learn of (approval, suspension, revocation, a credential issued or
revoked, a new last side) gives the commuter the next value of one counter, ``sync_version``.
A kiosk keeps the highest version it has applied as its cursor and asks for what is newer; a
commuter who is no longer active comes back as a removal. Taking the next value updates the
counter row, which stays locked until the transaction commits, so versions become visible in
the order they were handed out and a cursor never steps over a change still being committed.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from clearance.core import vault
from clearance.core.enums import CommuterStatus
from clearance.db.engine import dialect_insert
from clearance.db.models import Commuter, Credential, FaceTemplate, SyncCounter

COUNTER = "whitelist"


def next_version(session: Session) -> int:
    # One statement whether or not the counter exists yet: two first changes at once must not
    # both try to create it.
    insert = dialect_insert(session)
    statement = (
        insert(SyncCounter)
        .values(name=COUNTER, value=1)
        .on_conflict_do_update(index_elements=[SyncCounter.name], set_={"value": SyncCounter.value + 1})
        .returning(SyncCounter.value)
    )
    return int(session.execute(statement).scalar_one())


def touch(session: Session, commuter: Commuter) -> None:
    """Put ``commuter`` at the head of the feed: kiosks fetch their entry at the next sync."""
    commuter.sync_version = next_version(session)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _raw(column: Any) -> Any:
    """``column`` read as the driver gives it, without the ORM's conversion."""
    return type_coerce(column, String).label(column.key)


def _id_text(raw: Any) -> str:
    """An id read raw, as the wire and the seals write it: SQLite keeps 32 hex digits, PostgreSQL's
    driver gives a UUID. (A snapshot of 100,000 spent a fifth of its time making UUID objects only
    to print them.)"""
    if isinstance(raw, str):
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}" if len(raw) == 32 else raw
    return str(raw)


def changes_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[list[dict[str, Any]], int, bool]:
    """Entries (as JSON-ready dicts) for commuters changed after ``since``, oldest change first;
    the new cursor; and whether more remain. With ``since`` 0 (a fresh kiosk) removals are left
    out. Built as plain dicts from rows read straight off the connection: a 100,000-commuter
    snapshot goes through here."""
    connection = session.connection()
    rows = connection.execute(
        select(
            _raw(Commuter.id),
            Commuter.sync_version,
            Commuter.status,
            Commuter.valid_until,
            Commuter.face_only,
            Commuter.last_side,
            Commuter.last_crossed_at,
            FaceTemplate.sealed_encoding,
            FaceTemplate.model,
        )
        .outerjoin(FaceTemplate, FaceTemplate.commuter_id == Commuter.id)
        .where(Commuter.sync_version > since)
        .order_by(Commuter.sync_version)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1].sync_version if rows else since
    active = {row.id for row in rows if row.status is CommuterStatus.ACTIVE and row.sealed_encoding}
    by_commuter: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    if active:
        for credential in connection.execute(
            select(
                _raw(Credential.id),
                _raw(Credential.commuter_id),
                Credential.kind,
                Credential.revoked_at,
                Credential.expires_at,
                Credential.sealed_secret,
            )
            .join(Commuter, Commuter.id == Credential.commuter_id)
            .where(Commuter.sync_version > since, Commuter.sync_version <= cursor)
        ):
            if credential.commuter_id not in active:
                continue
            secret = credential.sealed_secret
            credential_id = _id_text(credential.id)
            by_commuter[credential.commuter_id].append(
                {
                    "id": credential_id,
                    "kind": credential.kind.value,
                    "revoked": credential.revoked_at is not None,
                    "expires_at": credential.expires_at.isoformat(),
                    "secret": _b64(
                        vault.unseal(data_key, secret, context=vault.secret_context(credential_id))
                    )
                    if secret
                    else None,
                }
            )
    entries: list[dict[str, Any]] = []
    for row in rows:
        commuter_id = _id_text(row.id)  # once: the id's text is the wire's and the seal's context
        if row.id not in active:
            if since > 0:
                entries.append({"commuter_id": commuter_id, "version": row.sync_version, "removed": True})
            continue
        encoding = vault.unseal(
            data_key, row.sealed_encoding, context=vault.template_context(commuter_id, "encoding")
        )
        entries.append(
            {
                "commuter_id": commuter_id,
                "version": row.sync_version,
                "removed": False,
                "valid_until": row.valid_until.isoformat(),
                "face_only": row.face_only,
                "template": _b64(encoding),
                "model": row.model,
                "credentials": by_commuter[row.id],
                "last_side": row.last_side.value if row.last_side else None,
                "last_crossed_at": row.last_crossed_at.isoformat() if row.last_crossed_at else None,
            }
        )
    return entries, cursor, more
