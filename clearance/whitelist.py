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
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from clearance import templates, vault
from clearance.models import Commuter, CommuterStatus, Credential, CredentialKind, FaceTemplate, SyncCounter

COUNTER = "whitelist"


def next_version(session: Session) -> int:
    bumped = session.execute(
        update(SyncCounter)
        .where(SyncCounter.name == COUNTER)
        .values(value=SyncCounter.value + 1)
        .returning(SyncCounter.value),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if bumped is None:
        session.execute(insert(SyncCounter).values(name=COUNTER, value=1))
        return 1
    return int(bumped)


def touch(session: Session, commuter: Commuter) -> None:
    """Put ``commuter`` at the head of the feed: kiosks fetch their entry at the next sync."""
    commuter.sync_version = next_version(session)


@dataclass(frozen=True)
class CredentialEntry:
    id: uuid.UUID
    kind: CredentialKind
    revoked: bool
    expires_at: datetime
    secret: bytes | None


@dataclass(frozen=True)
class Entry:
    commuter_id: uuid.UUID
    version: int
    active: bool
    full_name: str = ""
    valid_until: date | None = None
    face_only: bool = False
    encoding: bytes | None = None
    credentials: tuple[CredentialEntry, ...] = ()
    last_side: str | None = None
    last_crossed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        if not self.active:
            return {"commuter_id": str(self.commuter_id), "version": self.version, "removed": True}
        return {
            "commuter_id": str(self.commuter_id),
            "version": self.version,
            "removed": False,
            "full_name": self.full_name,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "face_only": self.face_only,
            "template": base64.b64encode(self.encoding or b"").decode(),
            "credentials": [
                {
                    "id": str(c.id),
                    "kind": c.kind.value,
                    "revoked": c.revoked,
                    "expires_at": c.expires_at.isoformat(),
                    "secret": base64.b64encode(c.secret).decode() if c.secret else None,
                }
                for c in self.credentials
            ],
            "last_side": self.last_side,
            "last_crossed_at": self.last_crossed_at.isoformat() if self.last_crossed_at else None,
        }


def changes_since(
    session: Session, *, since: int, limit: int, data_key: vault.DataKey
) -> tuple[list[Entry], int, bool]:
    """Entries for commuters changed after ``since`` (oldest change first), the new cursor and
    whether more remain. With ``since`` 0 (a fresh kiosk) removals are left out."""
    rows = session.execute(
        select(
            Commuter.id,
            Commuter.sync_version,
            Commuter.status,
            Commuter.full_name,
            Commuter.valid_until,
            Commuter.face_only,
            Commuter.last_side,
            Commuter.last_crossed_at,
            FaceTemplate.sealed_encoding,
        )
        .outerjoin(FaceTemplate, FaceTemplate.commuter_id == Commuter.id)
        .where(Commuter.sync_version > since)
        .order_by(Commuter.sync_version)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1].sync_version if rows else since
    active_ids = [row.id for row in rows if row.status is CommuterStatus.ACTIVE and row.sealed_encoding]
    by_commuter: dict[uuid.UUID, list[CredentialEntry]] = defaultdict(list)
    if active_ids:
        for credential in session.execute(
            select(
                Credential.id,
                Credential.commuter_id,
                Credential.kind,
                Credential.revoked_at,
                Credential.expires_at,
                Credential.sealed_secret,
            ).where(Credential.commuter_id.in_(active_ids))
        ):
            secret = (
                vault.unseal(data_key, credential.sealed_secret, context=secret_context(credential.id))
                if credential.sealed_secret
                else None
            )
            by_commuter[credential.commuter_id].append(
                CredentialEntry(
                    id=credential.id,
                    kind=credential.kind,
                    revoked=credential.revoked_at is not None,
                    expires_at=credential.expires_at,
                    secret=secret,
                )
            )
    entries = []
    for row in rows:
        if row.status is not CommuterStatus.ACTIVE or not row.sealed_encoding:
            if since > 0:
                entries.append(Entry(commuter_id=row.id, version=row.sync_version, active=False))
            continue
        entries.append(
            Entry(
                commuter_id=row.id,
                version=row.sync_version,
                active=True,
                full_name=row.full_name,
                valid_until=row.valid_until,
                face_only=row.face_only,
                encoding=templates.open_encoding_blob(data_key, row.sealed_encoding, commuter_id=row.id),
                credentials=tuple(by_commuter[row.id]),
                last_side=row.last_side.value if row.last_side else None,
                last_crossed_at=row.last_crossed_at,
            )
        )
    return entries, cursor, more


def secret_context(credential_id: uuid.UUID) -> bytes:
    return f"credentials.secret:{credential_id}".encode()
