"""Crossing records: every attempt at a kiosk, cleared or not, and officers' overrides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clearance.alerts import service as alerts
from clearance.audit import service as audit
from clearance.core import zone
from clearance.core.enums import DESTINATION, AlertKind, AuditAction, Decision, Direction
from clearance.core.errors import InvalidInput, InvalidTransition, NotFound
from clearance.core.messages import Message, words
from clearance.core.reasons import Reason
from clearance.core.rules import Outcome
from clearance.crossings import presence
from clearance.db import events
from clearance.db.actors import Actor, UserActor
from clearance.db.models import Checkpoint, Commuter, Crossing, Kiosk, person_name


def record_crossing(
    session: Session,
    *,
    crossing_id: uuid.UUID,
    kiosk: Kiosk,
    outcome: Outcome,
    decided_at: datetime,
    commuter_id: uuid.UUID | None = None,
    credential_id: uuid.UUID | None = None,
    distance: float | None = None,
    duration_ms: float | None = None,
) -> Crossing:
    """Record an attempt the server decided itself (the online check), and let it take effect."""
    crossing = Crossing(
        id=crossing_id,
        kiosk_id=kiosk.id,
        checkpoint_id=kiosk.checkpoint_id,
        direction=kiosk.direction,
        commuter_id=commuter_id,
        credential_id=credential_id,
        decision=outcome.decision,
        reasons=[reason.value for reason in outcome.reasons],
        distance=distance,
        duration_ms=duration_ms,
        decided_at=decided_at,
    )
    session.add(crossing)
    session.flush()
    take_effect(session, [crossing], now=decided_at, how=Effect.ONLINE)
    return crossing


class Effect(StrEnum):
    """How a crossing came to count: what an anti-passback alert says of it."""

    ONLINE = "decided online"
    OFFLINE = "decided offline"
    OVERRIDE = "cleared by an officer"


def take_effect(session: Session, crossings: list[Crossing], *, now: datetime, how: Effect) -> None:
    """What newly recorded (or overridden) crossings do, in one place whichever way they came: a
    clearance moves its commuter into the park it leads to, or, where that clashes with the
    clearance before or after it, raises one anti-passback alert per clashing pair; refusals for
    the face count towards the repeated-mismatch alert; officers' live views are told.

    A clearance claimed online already moved its commuter (``presence.claim_passage``): the
    move is then a no-op. Crossings are taken in the order they were decided."""
    for crossing in sorted(crossings, key=lambda c: c.decided_at):
        if crossing.final_decision is not Decision.CLEARED or crossing.commuter_id is None:
            continue
        commuter = session.get(Commuter, crossing.commuter_id)
        assert commuter is not None
        conflict = presence.record_passage(
            session,
            commuter=commuter,
            direction=crossing.direction,
            at=crossing.decided_at,
            crossing_id=crossing.id,
        )
        if conflict is not None:
            alerts.raise_alert(
                session,
                kind=AlertKind.ANTI_PASSBACK_CONFLICT,
                commuter_id=commuter.id,
                crossing_id=crossing.id,
                kiosk_id=crossing.kiosk_id,
                detail=words(
                    "cleared {direction} into {park} next to another clearance into the same park ({how})",
                    direction=crossing.direction,
                    park=DESTINATION[crossing.direction],
                    how=how,
                ),
                dedupe_key=conflict.dedupe_key(commuter.id, crossing.id),
                incident_window=REPEAT_WINDOW,
            )
    mismatched = {
        c.credential_id
        for c in crossings
        if c.credential_id and c.override_decision is None and Reason.FACE_MISMATCH.value in c.reasons
    }
    if mismatched:
        alerts.check_face_mismatches(session, credential_ids=mismatched, now=now)
    session.flush()
    announce_crossings(session, crossings)


def describe_crossings(session: Session, crossings: list[Crossing]) -> list[dict[str, Any]]:
    """Crossings as the dashboard and the event feed show them, with the names of who and where."""
    commuter_ids = {c.commuter_id for c in crossings if c.commuter_id}
    names = {
        row.id: person_name(row.chinese_name, row.full_name)
        for row in session.execute(
            select(Commuter.id, Commuter.full_name, Commuter.chinese_name).where(
                Commuter.id.in_(commuter_ids)
            )
        )
    }
    kiosk_ids = {c.kiosk_id for c in crossings}
    places = {
        kiosk_id: (checkpoint, kiosk)
        for kiosk_id, checkpoint, kiosk in session.execute(
            select(Kiosk.id, Checkpoint.name, Kiosk.name)
            .join(Checkpoint, Kiosk.checkpoint_id == Checkpoint.id)
            .where(Kiosk.id.in_(kiosk_ids))
        )
    }
    return [
        {
            "type": "crossing",
            "id": str(c.id),
            "decided_at": c.decided_at.isoformat(),
            "recorded_at": c.recorded_at.isoformat(),
            "decision": c.decision.value,
            "final_decision": c.final_decision.value,
            "reasons": list(c.reasons),
            "distance": c.distance,
            "direction": c.direction.value,
            "checkpoint_id": str(c.checkpoint_id),
            "checkpoint": places[c.kiosk_id][0],
            "kiosk": places[c.kiosk_id][1],
            "commuter_id": str(c.commuter_id) if c.commuter_id else None,
            "commuter_name": names.get(c.commuter_id) if c.commuter_id else None,
            "override_decision": c.override_decision.value if c.override_decision else None,
            "override_reason": c.override_reason,
        }
        for c in crossings
    ]


def announce_crossings(session: Session, crossings: list[Crossing]) -> None:
    events.publish(session, *describe_crossings(session, crossings))


def crossings_recorded_after(session: Session, *, after: datetime, limit: int = 200) -> list[Crossing]:
    """Crossings recorded after ``after``, oldest first: what a reconnecting live view missed."""
    query = select(Crossing).where(Crossing.recorded_at > after).order_by(Crossing.recorded_at, Crossing.id)
    return list(session.scalars(query.limit(limit)))


def get_crossing_or_raise(session: Session, crossing_id: uuid.UUID) -> Crossing:
    crossing = session.get(Crossing, crossing_id)
    if crossing is None:
        raise NotFound(Message("no crossing with id {crossing_id}", crossing_id=crossing_id))
    return crossing


def list_referred(session: Session, *, limit: int = 200) -> list[Crossing]:
    """Attempts the kiosks referred to an officer that no officer has decided yet, newest first."""
    query = select(Crossing).where(Crossing.decision == Decision.REFER, Crossing.override_decision.is_(None))
    return list(session.scalars(query.order_by(Crossing.decided_at.desc()).limit(limit)))


REPEAT_WINDOW = timedelta(minutes=10)
"""Referrals of one person closer together than this are one incident (a looping kiosk, a person
trying again): the queue shows them as one, and one decision settles them all."""


def referral_queue(session: Session, *, limit: int = 200) -> list[list[Crossing]]:
    """What officers have to decide: undecided referrals, newest first, each incident as a group
    (the same person referred again within ``REPEAT_WINDOW`` of the previous, newest first).
    A referral is left out once the person has been cleared since (they went through)."""
    referred = list_referred(session, limit=limit)
    people = {c.commuter_id for c in referred if c.commuter_id is not None}
    cleared = or_(Crossing.decision == Decision.CLEARED, Crossing.override_decision == Decision.CLEARED)
    query = (
        select(Crossing.commuter_id, func.max(Crossing.decided_at))
        .where(Crossing.commuter_id.in_(people), cleared)
        .group_by(Crossing.commuter_id)
    )
    last_cleared: dict[uuid.UUID | None, datetime] = {person: when for person, when in session.execute(query)}  # noqa: C416
    groups: list[list[Crossing]] = []
    open_group: dict[uuid.UUID, list[Crossing]] = {}
    for crossing in referred:
        person = crossing.commuter_id
        if person is not None and person in last_cleared and last_cleared[person] > crossing.decided_at:
            continue
        group = open_group.get(person) if person is not None else None
        if group is not None and group[-1].decided_at - crossing.decided_at <= REPEAT_WINDOW:
            group.append(crossing)
            continue
        groups.append([crossing])
        if person is not None:
            open_group[person] = groups[-1]
    return groups


def decide_referral(
    session: Session,
    *,
    crossing: Crossing,
    decision: Decision,
    reason: str,
    actor: UserActor,
    now: datetime,
) -> list[Crossing]:
    """An officer's decision on a referral and on the repeats of its incident: the newest attempt
    gets the decision, the earlier ones are rejected as repeats (the person went through once, if
    at all). Each is an override of its own, audited."""
    group = next((g for g in referral_queue(session) if crossing in g), [crossing])
    latest, repeats = group[0], group[1:]
    decided = [
        override_crossing(session, crossing=latest, decision=decision, reason=reason, actor=actor, now=now)
    ]
    for repeat in repeats:
        when = zone.for_people(latest.decided_at)
        why = f"repeat of the attempt at {when}, decided {decision.value}: {reason}"
        decided.append(
            override_crossing(
                session, crossing=repeat, decision=Decision.REJECTED, reason=why, actor=actor, now=now
            )
        )
    return decided


def override_crossing(
    session: Session,
    *,
    crossing: Crossing,
    decision: Decision,
    reason: str,
    actor: UserActor,
    now: datetime,
) -> Crossing:
    """An officer's decision in place of the kiosk's, with a reason; the kiosk's is kept.

    Clearing a commuter this way moves them to the park the kiosk leads into, as if the kiosk
    had cleared them (unless a later crossing of theirs is already recorded)."""
    if crossing.override_decision is not None:
        raise InvalidTransition(
            Message(
                "this crossing was already overridden ({override_decision}) at "
                "{overridden_at:%Y-%m-%d %H:%M} UTC",
                override_decision=crossing.override_decision,
                overridden_at=crossing.overridden_at,
            )
        )
    if decision is Decision.REFER:
        raise InvalidInput("an override decides: cleared or rejected")
    if not reason.strip():
        raise InvalidInput("an override needs a reason")
    crossing.override_decision = decision
    crossing.override_reason = reason.strip()
    crossing.overridden_by_id = actor.user.id
    crossing.overridden_at = now
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.OVERRIDE_CROSSING,
        object_type="crossing",
        object_id=crossing.id,
        detail=words(
            "{before} -> {after}: {reason}",
            before=crossing.decision,
            after=decision,
            reason=crossing.override_reason,
        ),
    )
    # Clearing someone the kiosk did not clear moves them as if it had (unless a later crossing
    # of theirs is already recorded).
    take_effect(session, [crossing], now=now, how=Effect.OVERRIDE)
    return crossing


@dataclass(frozen=True)
class CrossingFilters:
    commuter_id: uuid.UUID | None = None
    checkpoint_id: uuid.UUID | None = None
    kiosk_id: uuid.UUID | None = None
    decision: Decision | None = None
    direction: Direction | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_crossings(
    session: Session,
    *,
    filters: CrossingFilters,
    limit: int,
    offset: int = 0,
    actor: Actor,
    purpose: str | None = None,
) -> list[Crossing]:
    """Crossings matching ``filters``, newest first. Reading one commuter's history is a read of
    personal data: it goes into the audit trail, with its purpose if given."""
    if filters.commuter_id is not None:
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.READ_CROSSING_HISTORY,
            object_type="commuter",
            object_id=filters.commuter_id,
            purpose=purpose,
        )
    query = select(Crossing)
    if filters.commuter_id is not None:
        query = query.where(Crossing.commuter_id == filters.commuter_id)
    if filters.checkpoint_id is not None:
        query = query.where(Crossing.checkpoint_id == filters.checkpoint_id)
    if filters.kiosk_id is not None:
        query = query.where(Crossing.kiosk_id == filters.kiosk_id)
    if filters.decision is not None:
        query = query.where(Crossing.decision == filters.decision)
    if filters.direction is not None:
        query = query.where(Crossing.direction == filters.direction)
    if filters.since is not None:
        query = query.where(Crossing.decided_at >= filters.since)
    if filters.until is not None:
        query = query.where(Crossing.decided_at < filters.until)
    query = query.order_by(Crossing.decided_at.desc(), Crossing.id).limit(limit).offset(offset)
    return list(session.scalars(query))
