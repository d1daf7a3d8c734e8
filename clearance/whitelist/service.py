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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement

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


def _driver_rows(session: Session, statement: ClauseElement) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` (whose only parameters are integers) as the database driver gives
    them, in the session's transaction: tuples of raw values, without SQLAlchemy's result objects
    and conversions (a snapshot of 100,000 spent most of its time making objects only to print
    them). Ids are to be read as text (``cast(id, String)``): their form differs by driver. On
    PostgreSQL the rows come in binary form."""
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    # psycopg sends results as text unless asked: a template then travels as hex, twice its size,
    # encoded by the server and decoded here (0.4 s of a 100,000 snapshot).
    binary = {"binary": True} if connection.dialect.driver == "psycopg" else {}
    cursor = connection.connection.cursor(**binary)
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _id_texts(raw: Sequence[Any]) -> list[str]:
    """Ids read as text (``CAST(id AS VARCHAR)``), as the wire and the seals write them: PostgreSQL
    gives them so, SQLite keeps 32 hex digits."""
    return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" if len(h) == 32 else h for h in raw]


def _iso_dates(raw: Sequence[Any]) -> list[str | None]:
    """Dates read raw as ISO text: SQLite keeps the text, PostgreSQL's driver gives dates."""
    return [None if d is None else d if isinstance(d, str) else d.isoformat() for d in raw]


def _iso_instants(raw: Sequence[Any]) -> list[str | None]:
    """UTC timestamps read raw as ISO text with their offset: SQLite keeps ``YYYY-MM-DD
    HH:MM:SS.ffffff`` in UTC (see ``UTCDateTime``), PostgreSQL's driver gives aware datetimes."""
    return [
        None
        if t is None
        else f"{t[:10]}T{t[11:]}+00:00"
        if isinstance(t, str)
        else t.astimezone(UTC).isoformat()
        for t in raw
    ]


@dataclass
class _Page:
    """One page of the feed, column by column: position i of each list is one commuter, oldest
    change first. Every value is as the wire writes it."""

    commuter_id: list[str]
    version: list[int]
    removed: list[bool]
    """No longer whitelisted (not active, or no template): the kiosk drops the commuter."""
    valid_until: list[str | None]
    face_only: list[bool]
    last_side: list[str | None]
    last_crossed_at: list[str | None]
    model: list[str | None]
    sealed_template: list[bytes | None]
    credentials: dict[str, list[Any]]
    """The active commuters' credentials, a column each (``credential_owner`` is the position of
    the commuter)."""
    cursor: int
    more: bool


def _read_page(session: Session, *, since: int, limit: int) -> _Page:
    """Commuters changed after ``since`` (at most ``limit``) and their credentials. A snapshot of
    100,000 goes through here, so the rows are read raw and turned into columns whole."""
    rows = _driver_rows(
        session,
        select(
            cast(Commuter.id, String),
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
        .where(Commuter.sync_version > int(since))
        .order_by(Commuter.sync_version)
        .limit(int(limit) + 1),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1][1] if rows else since
    ids, versions, statuses, valid_until, face_only, last_side, last_crossed_at, sealed, model = [
        list(column) for column in zip(*rows, strict=True)
    ] or [[] for _ in range(9)]
    active = CommuterStatus.ACTIVE.value
    removed = [status != active or not blob for status, blob in zip(statuses, sealed, strict=True)]
    credentials: dict[str, list[Any]] = {name: [] for name in ("credential_owner", *_CREDENTIAL_READ)}
    if not all(removed):
        position = {raw: i for i, raw in enumerate(ids) if not removed[i]}
        found = _driver_rows(
            session,
            select(
                cast(Credential.commuter_id, String),
                cast(Credential.id, String),
                Credential.kind,
                Credential.revoked_at.is_not(None),
                Credential.expires_at,
                Credential.sealed_secret,
            )
            .join(Commuter, Commuter.id == Credential.commuter_id)
            .where(Commuter.sync_version > int(since), Commuter.sync_version <= int(cursor)),
        )
        owned = [(position[row[0]], *row[1:]) for row in found if row[0] in position]
        for name, column in zip(credentials, zip(*owned, strict=True), strict=False):
            credentials[name] = list(column)
        credentials["credential_id"] = _id_texts(credentials["credential_id"])
        credentials["credential_expires_at"] = _iso_instants(credentials["credential_expires_at"])
    return _Page(
        commuter_id=_id_texts(ids),
        version=versions,
        removed=removed,
        valid_until=_iso_dates(valid_until),
        face_only=[bool(flag) for flag in face_only],
        last_side=last_side,
        last_crossed_at=_iso_instants(last_crossed_at),
        model=model,
        sealed_template=sealed,
        credentials=credentials,
        cursor=cursor,
        more=more,
    )


_CREDENTIAL_READ = (
    "credential_id",
    "credential_kind",
    "credential_revoked",
    "credential_expires_at",
    "credential_sealed_secret",
)


def columns_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[dict[str, Any], int, bool]:
    """Changes after ``since`` as the columns of ``WhitelistColumns`` (JSON-ready but for
    ``templates``, the raw block), oldest change first; the new cursor; and whether more remain.
    With ``since`` 0 (a fresh kiosk) removals are left out."""
    page = _read_page(session, since=since, limit=limit)
    keep = [i for i, gone in enumerate(page.removed) if not (gone and since == 0)]
    if len(keep) < len(page.removed):  # a snapshot: only the whitelisted, so owners move up
        page = _only(page, keep)
    whitelisted = [i for i, gone in enumerate(page.removed) if not gone]
    templates = vault.unseal_many(
        data_key,
        [page.sealed_template[i] or b"" for i in whitelisted],
        contexts=[vault.template_context(page.commuter_id[i], "encoding") for i in whitelisted],
    )
    template_bytes = [0] * len(page.removed)
    for i, template in zip(whitelisted, templates, strict=True):
        template_bytes[i] = len(template)
    credentials = page.credentials
    secrets = [
        _b64(vault.unseal(data_key, sealed, context=vault.secret_context(credential_id))) if sealed else None
        for credential_id, sealed in zip(
            credentials["credential_id"], credentials["credential_sealed_secret"], strict=True
        )
    ]

    def blank_removed(values: list[Any]) -> list[Any]:
        return [None if gone else value for value, gone in zip(values, page.removed, strict=True)]

    columns = {
        "commuter_id": page.commuter_id,
        "version": page.version,
        "removed": page.removed,
        "valid_until": blank_removed(page.valid_until),
        "face_only": blank_removed(page.face_only),
        "model": blank_removed(page.model),
        "last_side": blank_removed(page.last_side),
        "last_crossed_at": blank_removed(page.last_crossed_at),
        "template_bytes": template_bytes,
        "templates": b"".join(templates),
        "credential_owner": credentials["credential_owner"],
        "credential_id": credentials["credential_id"],
        "credential_kind": credentials["credential_kind"],
        "credential_revoked": [bool(revoked) for revoked in credentials["credential_revoked"]],
        "credential_expires_at": credentials["credential_expires_at"],
        "credential_secret": secrets,
    }
    return columns, page.cursor, page.more


def _only(page: _Page, keep: list[int]) -> _Page:
    """``page`` with only the commuters at positions ``keep`` (every credential's owner is one)."""
    moved = {old: new for new, old in enumerate(keep)}
    credentials = dict(page.credentials)
    credentials["credential_owner"] = [moved[owner] for owner in credentials["credential_owner"]]
    return _Page(
        commuter_id=[page.commuter_id[i] for i in keep],
        version=[page.version[i] for i in keep],
        removed=[page.removed[i] for i in keep],
        valid_until=[page.valid_until[i] for i in keep],
        face_only=[page.face_only[i] for i in keep],
        last_side=[page.last_side[i] for i in keep],
        last_crossed_at=[page.last_crossed_at[i] for i in keep],
        model=[page.model[i] for i in keep],
        sealed_template=[page.sealed_template[i] for i in keep],
        credentials=credentials,
        cursor=page.cursor,
        more=page.more,
    )


def changes_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[list[dict[str, Any]], int, bool]:
    """The same changes as ``columns_since``, one JSON-ready dict per commuter (the layout kiosks
    before 2026-12 ask for)."""
    columns, cursor, more = columns_since(session, since=since, limit=limit, data_key=data_key)
    templates = columns["templates"]
    credentials: list[list[dict[str, Any]]] = [[] for _ in columns["commuter_id"]]
    for owner, credential_id, kind, revoked, expires_at, secret in zip(
        columns["credential_owner"],
        columns["credential_id"],
        columns["credential_kind"],
        columns["credential_revoked"],
        columns["credential_expires_at"],
        columns["credential_secret"],
        strict=True,
    ):
        credentials[owner].append(
            {
                "id": credential_id,
                "kind": kind,
                "revoked": revoked,
                "expires_at": expires_at,
                "secret": secret,
            }
        )
    entries: list[dict[str, Any]] = []
    offset = 0
    for i, commuter_id in enumerate(columns["commuter_id"]):
        if columns["removed"][i]:
            entries.append({"commuter_id": commuter_id, "version": columns["version"][i], "removed": True})
            continue
        start, offset = offset, offset + columns["template_bytes"][i]
        entries.append(
            {
                "commuter_id": commuter_id,
                "version": columns["version"][i],
                "removed": False,
                **{name: columns[name][i] for name in _ENTRY_FIELDS},
                "template": _b64(templates[start:offset]),
                "credentials": credentials[i],
            }
        )
    return entries, cursor, more


_ENTRY_FIELDS = ("valid_until", "face_only", "model", "last_side", "last_crossed_at")
