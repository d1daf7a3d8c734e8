"""Which park each commuter is in, and the anti-passback rule that follows from it.

A commuter cleared towards Hong Kong is in the Hong Kong Park until cleared towards Shenzhen;
being cleared into the park they are already in is a passback: a shared credential, a crossing
that skipped the kiosk, or a tailgate.

Two ways a clearance moves a commuter: claimed at once by whoever decides online (a kiosk asking
``POST /kiosk/passages``, or the server's own check), with one conditional UPDATE that only one
of two simultaneous claims can win; or learned later, when an offline kiosk's record arrives.
A late record is checked against its neighbours in time, so two clearances into one park are
found whichever arrives first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from clearance.core.enums import DESTINATION, Decision, Direction, Park
from clearance.db.models import Commuter, Crossing
from clearance.whitelist import service as whitelist


def is_passback(last_side: Park | None, direction: Direction) -> bool:
    return last_side is not None and last_side == DESTINATION[direction]


@dataclass(frozen=True)
class Conflict:
    """A clearance into the park the commuter was already in, and the clearance it clashes with."""

    other_crossing_id: uuid.UUID | None
    """The neighbouring clearance in the same direction; None when only the commuter's recorded
    side says so."""

    def dedupe_key(self, commuter_id: uuid.UUID, crossing_id: uuid.UUID) -> str:
        """One alert per pair of clashing crossings, whichever of the two is found first."""
        pair = sorted(str(c) for c in (crossing_id, self.other_crossing_id) if c is not None)
        return f"anti_passback:{commuter_id}:{':'.join(pair)}"


def _neighbour(
    session: Session, *, commuter: Commuter, crossing_id: uuid.UUID, at: datetime, before: bool
) -> Crossing | None:
    final_decision = func.coalesce(Crossing.override_decision, Crossing.decision)
    query = select(Crossing).where(
        Crossing.commuter_id == commuter.id,
        Crossing.id != crossing_id,
        final_decision == Decision.CLEARED.value,
    )
    if before:
        query = query.where(Crossing.decided_at < at).order_by(Crossing.decided_at.desc())
    else:
        query = query.where(Crossing.decided_at > at).order_by(Crossing.decided_at)
    return session.scalars(query.limit(1)).first()


def record_passage(
    session: Session, *, commuter: Commuter, direction: Direction, at: datetime, crossing_id: uuid.UUID
) -> Conflict | None:
    """Learn of crossing ``crossing_id``, which cleared ``commuter`` towards ``direction`` at
    ``at``: move them there unless a later crossing is already known, and say whether it clashes
    with the clearance before or after it."""
    if commuter.last_crossing_id == crossing_id:
        return None  # claimed online when it was decided: already counted
    if commuter.last_crossed_at is None or at > commuter.last_crossed_at:
        # The newest: the commuter's recorded side is what came before it.
        conflict = Conflict(commuter.last_crossing_id) if is_passback(commuter.last_side, direction) else None
        commuter.last_side = DESTINATION[direction]
        commuter.last_crossed_at = at
        commuter.last_crossing_id = crossing_id
        whitelist.touch(session, commuter)
        return conflict
    # Late: it belongs between crossings already known.
    previous = _neighbour(session, commuter=commuter, crossing_id=crossing_id, at=at, before=True)
    if previous is not None and previous.direction is direction:
        return Conflict(previous.id)
    following = _neighbour(session, commuter=commuter, crossing_id=crossing_id, at=at, before=False)
    if following is not None:
        return Conflict(following.id) if following.direction is direction else None
    # Nothing recorded after it, yet it is not the newest: the latest passage was claimed online
    # and its record is still on its way.
    claim = commuter.last_crossing_id
    if (
        claim is not None
        and session.get(Crossing, claim) is None
        and is_passback(commuter.last_side, direction)
    ):
        return Conflict(claim)
    return None


def claim_passage(
    session: Session, *, commuter: Commuter, direction: Direction, at: datetime, crossing_id: uuid.UUID
) -> bool:
    """Atomically move ``commuter`` into the park ``direction`` leads into, unless they are
    already recorded there. False means a passback.

    One conditional UPDATE decides, so two kiosks (or two server processes) clearing the same
    person at once cannot both succeed: PostgreSQL re-checks the condition after waiting for the
    row, SQLite runs one writer at a time.
    """
    destination = DESTINATION[direction]
    version = whitelist.next_version(session)
    claimed = session.execute(
        update(Commuter)
        .where(
            Commuter.id == commuter.id,
            or_(Commuter.last_side.is_(None), Commuter.last_side != destination),
        )
        .values(
            last_side=destination, last_crossed_at=at, last_crossing_id=crossing_id, sync_version=version
        ),
        execution_options={"synchronize_session": False},
    )
    session.refresh(commuter)
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
