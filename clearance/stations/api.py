"""The administration of checkpoints and their kiosks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from clearance.core.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from clearance.db.models import Checkpoint
from clearance.stations import service as stations
from clearance.stations.schemas import CheckpointCreate, CheckpointOut, KioskCreate, KioskCreated
from clearance.web.deps import AdminActor, CurrentAdmin, SessionDep

router = APIRouter(tags=["administration"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointOut,
    responses=responses(*AUTH_ERRORS, Conflict),
)
def create_checkpoint(session: SessionDep, actor: AdminActor, body: CheckpointCreate) -> Checkpoint:
    """Create a checkpoint on the east or west footbridge."""
    return stations.create_checkpoint(
        session, name=body.name, bridge=body.bridge, face_only=body.face_only, actor=actor
    )


@router.get("/checkpoints", response_model=list[CheckpointOut], responses=responses(*AUTH_ERRORS))
def list_checkpoints(session: SessionDep, _admin: CurrentAdmin) -> list[Checkpoint]:
    """Every checkpoint, by name."""
    return stations.list_checkpoints(session)


@router.post(
    "/checkpoints/{checkpoint_id}/kiosks",
    status_code=201,
    response_model=KioskCreated,
    responses=responses(*AUTH_ERRORS, NotFound, Conflict),
)
def create_kiosk(
    checkpoint_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskCreate
) -> KioskCreated:
    """Add a kiosk facing one direction; its API key is in this answer and nowhere else."""
    checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
    kiosk, api_key = stations.create_kiosk(
        session, checkpoint=checkpoint, name=body.name, direction=body.direction, actor=actor
    )
    return KioskCreated(
        id=kiosk.id,
        checkpoint_id=kiosk.checkpoint_id,
        name=kiosk.name,
        direction=kiosk.direction,
        is_active=kiosk.is_active,
        last_seen_at=kiosk.last_seen_at,
        api_key=api_key,
    )
