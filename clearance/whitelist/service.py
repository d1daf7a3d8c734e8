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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from clearance.core import vault
from clearance.core.enums import CommuterStatus
from clearance.core.wire import CREDENTIAL_COLUMNS, ENTRY_COLUMNS
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


@dataclass
class _Page:
    rows: Sequence[Any]
    """Commuter rows read raw, oldest change first."""
    credentials: dict[Any, list[Any]]
    """The credential rows of each active commuter of the page, by raw commuter id."""
    active: set[Any]
    cursor: int
    more: bool


def _read_page(session: Session, *, since: int, limit: int) -> _Page:
    """Commuters changed after ``since`` (at most ``limit``) and their credentials, as rows read
    straight off the connection: a 100,000-commuter snapshot goes through here."""
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
    credentials: dict[Any, list[Any]] = defaultdict(list)
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
            if credential.commuter_id in active:
                credentials[credential.commuter_id].append(credential)
    return _Page(rows=rows, credentials=credentials, active=active, cursor=cursor, more=more)


def _secret(data_key: vault.DataKey, credential: Any, credential_id: str) -> str | None:
    secret = credential.sealed_secret
    if not secret:
        return None
    return _b64(vault.unseal(data_key, secret, context=vault.secret_context(credential_id)))


def _template(data_key: vault.DataKey, row: Any, commuter_id: str) -> bytes:
    return vault.unseal(
        data_key, row.sealed_encoding, context=vault.template_context(commuter_id, "encoding")
    )


def changes_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[list[dict[str, Any]], int, bool]:
    """Entries (as JSON-ready dicts) for commuters changed after ``since``, oldest change first;
    the new cursor; and whether more remain. With ``since`` 0 (a fresh kiosk) removals are left
    out."""
    page = _read_page(session, since=since, limit=limit)
    entries: list[dict[str, Any]] = []
    for row in page.rows:
        commuter_id = _id_text(row.id)  # once: the id's text is the wire's and the seal's context
        if row.id not in page.active:
            if since > 0:
                entries.append({"commuter_id": commuter_id, "version": row.sync_version, "removed": True})
            continue
        credentials = []
        for credential in page.credentials[row.id]:
            credential_id = _id_text(credential.id)
            credentials.append(
                {
                    "id": credential_id,
                    "kind": credential.kind.value,
                    "revoked": credential.revoked_at is not None,
                    "expires_at": credential.expires_at.isoformat(),
                    "secret": _secret(data_key, credential, credential_id),
                }
            )
        entries.append(
            {
                "commuter_id": commuter_id,
                "version": row.sync_version,
                "removed": False,
                "valid_until": row.valid_until.isoformat(),
                "face_only": row.face_only,
                "template": _b64(_template(data_key, row, commuter_id)),
                "model": row.model,
                "credentials": credentials,
                "last_side": row.last_side.value if row.last_side else None,
                "last_crossed_at": row.last_crossed_at.isoformat() if row.last_crossed_at else None,
            }
        )
    return entries, page.cursor, page.more


def columns_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[dict[str, Any], int, bool]:
    """The same changes as ``changes_since``, as the columns of ``WhitelistColumns`` (JSON-ready);
    the new cursor; and whether more remain."""
    page = _read_page(session, since=since, limit=limit)
    names = ("commuter_id", *ENTRY_COLUMNS, "credential_id", *CREDENTIAL_COLUMNS)
    columns: dict[str, list[Any]] = {name: [] for name in names}
    templates: list[bytes] = []
    for row in page.rows:
        commuter_id = _id_text(row.id)
        removed = row.id not in page.active
        if removed and since == 0:
            continue
        owner = len(columns["commuter_id"])
        columns["commuter_id"].append(commuter_id)
        columns["version"].append(row.sync_version)
        columns["removed"].append(removed)
        if removed:
            for name in ("valid_until", "face_only", "model", "last_side", "last_crossed_at"):
                columns[name].append(None)
            columns["template_bytes"].append(0)
            continue
        template = _template(data_key, row, commuter_id)
        templates.append(template)
        columns["template_bytes"].append(len(template))
        columns["valid_until"].append(row.valid_until.isoformat())
        columns["face_only"].append(row.face_only)
        columns["model"].append(row.model)
        columns["last_side"].append(row.last_side.value if row.last_side else None)
        columns["last_crossed_at"].append(row.last_crossed_at.isoformat() if row.last_crossed_at else None)
        for credential in page.credentials[row.id]:
            credential_id = _id_text(credential.id)
            columns["credential_owner"].append(owner)
            columns["credential_id"].append(credential_id)
            columns["credential_kind"].append(credential.kind.value)
            columns["credential_revoked"].append(credential.revoked_at is not None)
            columns["credential_expires_at"].append(credential.expires_at.isoformat())
            columns["credential_secret"].append(_secret(data_key, credential, credential_id))
    return {**columns, "templates": _b64(b"".join(templates))}, page.cursor, page.more
