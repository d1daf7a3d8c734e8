"""The audit trail is append-only: the database itself refuses to change or delete a record."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from clearance.audit import service as audit
from clearance.core.enums import AuditAction
from clearance.db.actors import PublicActor
from clearance.db.engine import session_scope
from clearance.db.models import AuditEvent


@pytest.mark.parametrize(
    "change",
    [
        update(AuditEvent).values(purpose="nothing to see"),
        delete(AuditEvent),
    ],
    ids=["update", "delete"],
)
def test_an_audit_record_cannot_be_edited_or_deleted(sessions: sessionmaker[Session], change: object) -> None:
    with session_scope(sessions) as session:
        recorded = audit.record_event(
            session,
            actor=PublicActor(ip="10.0.0.1"),
            action=AuditAction.VIEW_REFERENCE_PHOTO,
            purpose="complaint",
        )
    with pytest.raises(DBAPIError, match="append-only"), session_scope(sessions) as session:
        session.execute(change)  # type: ignore[call-overload]
    with sessions() as session:
        kept = session.get(AuditEvent, recorded.id)
        assert kept is not None and kept.purpose == "complaint"
