"""Which park each commuter is in, and the anti-passback rule that follows from it.

A commuter cleared towards Hong Kong is in the Hong Kong Park until cleared towards Shenzhen;
being cleared into the park they are already in is a passback: a shared credential, a crossing
that skipped the kiosk, or a tailgate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from clearance.core.enums import DESTINATION, Direction, Park
from clearance.db.models import Commuter
from clearance.whitelist import service as whitelist


def is_passback(last_side: Park | None, direction: Direction) -> bool:
    return last_side is not None and last_side == DESTINATION[direction]


def record_passage(session: Session, *, commuter: Commuter, direction: Direction, at: datetime) -> bool:
    """Move ``commuter`` to the park ``direction`` leads into, unless a later crossing is already
    recorded (records can arrive late from an offline kiosk). True if this passage conflicts
    with the side recorded before it."""
    if commuter.last_crossed_at is not None and at <= commuter.last_crossed_at:
        return False
    conflict = is_passback(commuter.last_side, direction)
    commuter.last_side = DESTINATION[direction]
    commuter.last_crossed_at = at
    whitelist.touch(session, commuter)
    return conflict


def claim_passage(session: Session, *, commuter: Commuter, direction: Direction, at: datetime) -> bool:
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
        .values(last_side=destination, last_crossed_at=at, sync_version=version),
        execution_options={"synchronize_session": False},
    )
    session.refresh(commuter)
    return bool(claimed.rowcount)  # type: ignore[attr-defined]
