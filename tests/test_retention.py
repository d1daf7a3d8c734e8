"""Retention: old crossings lose what ties them to a person (or go), recent ones stay whole,
and running the purge again changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.zone import utcnow
from clearance.custody import retention
from clearance.db.models import AuditEvent, Crossing
from tests.support import SETUP, World, enrol_active

A = SAMPLE_COMMUTERS[0]


def deliver_aged(
    client: TestClient, world: World, commuter: dict[str, str], credential: dict[str, str]
) -> dict[int, str]:
    """Crossings of ``commuter`` decided 400, 200 and 1 day(s) ago; their ids by age."""
    ids = {}
    for days in (400, 200, 1):
        ids[days] = str(uuid.uuid4())
        item = {
            "id": ids[days],
            "decided_at": (utcnow() - timedelta(days=days)).isoformat(),
            "decision": "refer",
            "reasons": ["face_uncertain"],
            "commuter_id": commuter["id"],
            "credential_id": credential["id"],
            "distance": 0.6,
        }
        answer = world.signer.deliver(client, "", [item])
        assert answer.json()["results"][0]["status"] == "created"
    return ids


def test_old_crossings_are_anonymised_once_and_recent_ones_kept(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, credential = enrol_active(client, world, A)
    ids = deliver_aged(client, world, commuter, credential)
    done = retention.purge(
        sessions, now=utcnow(), retention_days=180, action=retention.RetentionAction.ANONYMISE, actor=SETUP
    )
    assert done.crossings == 2
    with sessions() as session:
        rows = {
            str(c.id): c
            for c in session.scalars(select(Crossing).where(Crossing.id.in_(map(uuid.UUID, ids.values()))))
        }
        for days in (400, 200):
            old = rows[ids[days]]
            assert (old.commuter_id, old.credential_id, old.distance) == (None, None, None)
            assert (old.decision.value, old.reasons) == ("refer", ["face_uncertain"])  # still counted
        recent = rows[ids[1]]
        assert str(recent.commuter_id) == commuter["id"] and recent.distance == 0.6
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "purge")).all() == [
            "purge"
        ]
    again = retention.purge(
        sessions, now=utcnow(), retention_days=180, action=retention.RetentionAction.ANONYMISE, actor=SETUP
    )
    assert again.crossings == 0


def test_the_delete_policy_removes_old_crossings(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, credential = enrol_active(client, world, A)
    ids = deliver_aged(client, world, commuter, credential)
    dry = retention.purge(
        sessions,
        now=utcnow(),
        retention_days=300,
        action=retention.RetentionAction.DELETE,
        dry_run=True,
        actor=SETUP,
    )
    assert dry.crossings == 1
    done = retention.purge(
        sessions, now=utcnow(), retention_days=300, action=retention.RetentionAction.DELETE, actor=SETUP
    )
    assert done.crossings == 1
    with sessions() as session:
        left = {str(i) for i in session.scalars(select(Crossing.id))}
        assert ids[400] not in left and {ids[200], ids[1]} <= left
