"""The administration of checkpoints and their kiosks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from clearance.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    responses,
)
from clearance.db.models import Checkpoint, Kiosk
from clearance.http.deps import AdminActor, ContextDep, CurrentAdmin, SessionDep
from clearance.stations import service as stations
from clearance.stations.schemas import (
    CheckpointCreate,
    CheckpointEdit,
    CheckpointOut,
    KioskCreate,
    KioskCreated,
    KioskEdit,
    KioskOut,
    KioskRekey,
    KioskSwitch,
)

router = APIRouter(tags=["administration"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointOut,
    responses=responses(*AUTH_ERRORS, Conflict, InvalidInput),
)
def create_checkpoint(
    session: SessionDep, context: ContextDep, actor: AdminActor, body: CheckpointCreate
) -> Checkpoint:
    """Create a checkpoint on the east or west footbridge (face-only only while few enough opted in)."""
    return stations.create_checkpoint(
        session,
        name=body.name,
        bridge=body.bridge,
        face_only=body.face_only,
        face_only_bound=context.settings.face_only_max_gallery,
        actor=actor,
    )


@router.get("/checkpoints", response_model=list[CheckpointOut], responses=responses(*AUTH_ERRORS))
def list_checkpoints(session: SessionDep, _admin: CurrentAdmin) -> list[Checkpoint]:
    """Every checkpoint, by name."""
    return stations.list_checkpoints(session)


@router.patch(
    "/checkpoints/{checkpoint_id}",
    response_model=CheckpointOut,
    responses=responses(*AUTH_ERRORS, NotFound, Conflict, InvalidInput),
)
def edit_checkpoint(
    checkpoint_id: uuid.UUID,
    session: SessionDep,
    context: ContextDep,
    actor: AdminActor,
    body: CheckpointEdit,
) -> Checkpoint:
    """Rename a checkpoint or switch its face-only walk-through; only the fields sent change."""
    checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
    return stations.edit_checkpoint(
        session,
        checkpoint=checkpoint,
        name=body.name,
        face_only=body.face_only,
        face_only_bound=context.settings.face_only_max_gallery,
        actor=actor,
    )


@router.post(
    "/checkpoints/{checkpoint_id}/kiosks",
    status_code=201,
    response_model=KioskCreated,
    responses=responses(*AUTH_ERRORS, NotFound, Conflict, InvalidInput),
)
def create_kiosk(
    checkpoint_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskCreate
) -> KioskCreated:
    """Add a kiosk facing one direction; its API key is in this answer and nowhere else."""
    checkpoint = stations.get_checkpoint_or_raise(session, checkpoint_id)
    kiosk, api_key = stations.create_kiosk(
        session,
        checkpoint=checkpoint,
        name=body.name,
        direction=body.direction,
        actor=actor,
        public_key=stations.kiosk_public_key(body.public_key) if body.public_key else None,
    )
    return created(kiosk, api_key)


def created(kiosk: Kiosk, api_key: str) -> KioskCreated:
    return KioskCreated(
        id=kiosk.id,
        checkpoint_id=kiosk.checkpoint_id,
        name=kiosk.name,
        direction=kiosk.direction,
        is_active=kiosk.is_active,
        last_seen_at=kiosk.last_seen_at,
        api_key=api_key,
    )


@router.get("/kiosks", response_model=list[KioskOut], responses=responses(*AUTH_ERRORS))
def list_kiosks(session: SessionDep, _admin: CurrentAdmin) -> list[Kiosk]:
    """Every kiosk, by checkpoint and name, with when it last called."""
    return stations.list_kiosks(session)


@router.patch(
    "/kiosks/{kiosk_id}",
    response_model=KioskOut,
    responses=responses(*AUTH_ERRORS, NotFound, Conflict, InvalidInput),
)
def edit_kiosk(kiosk_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskEdit) -> Kiosk:
    """Rename a kiosk."""
    kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
    return stations.edit_kiosk(session, kiosk=kiosk, name=body.name, actor=actor)


@router.post(
    "/kiosks/{kiosk_id}/rekey",
    response_model=KioskCreated,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidInput),
)
def rekey_kiosk(
    kiosk_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskRekey | None = None
) -> KioskCreated:
    """A reinstalled or replaced kiosk: a new API key (shown once; the old one stops at once) and a
    fresh crossing log, bound to the given signing key or to the first the kiosk presents."""
    kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
    public_key = stations.kiosk_public_key(body.public_key) if body and body.public_key else None
    return created(kiosk, stations.rekey_kiosk(session, kiosk=kiosk, actor=actor, public_key=public_key))


@router.post(
    "/kiosks/{kiosk_id}/disable",
    response_model=KioskOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def disable_kiosk(
    kiosk_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskSwitch | None = None
) -> Kiosk:
    """Refuse the kiosk's key from its next call (a stolen or retired kiosk): 401, no whitelist,
    no crossings. Audited with the reason given."""
    kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
    return stations.set_kiosk_active(
        session, kiosk=kiosk, active=False, actor=actor, reason=body.reason if body else ""
    )


@router.post(
    "/kiosks/{kiosk_id}/enable",
    response_model=KioskOut,
    responses=responses(*AUTH_ERRORS, NotFound, InvalidTransition),
)
def enable_kiosk(
    kiosk_id: uuid.UUID, session: SessionDep, actor: AdminActor, body: KioskSwitch | None = None
) -> Kiosk:
    """Accept a disabled kiosk's key again (re-key it instead if the key may have been copied)."""
    kiosk = stations.get_kiosk_or_raise(session, kiosk_id)
    return stations.set_kiosk_active(
        session, kiosk=kiosk, active=True, actor=actor, reason=body.reason if body else ""
    )
