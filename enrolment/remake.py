"""Templates made again by the face model in use, from the reference photos kept with them.

When the operator installs another face model (``HETAO_FACE_MODEL``), templates made by the old
one cannot be compared with the new model's encodings: until they are made again, an attempt
against one is referred to an officer (``template_outdated``). ``hetao models reencode`` makes them
again in batches, each batch one transaction, while the servers keep serving; every template made
again is one audited action and puts its commuter at the head of the whitelist feed, so kiosks
fetch the new template at their next sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.audit import service as audit
from clearance.core.enums import AuditAction
from clearance.core.errors import FaceCheckFailed
from clearance.core.messages import Message
from clearance.core.settings import Settings
from clearance.db.actors import Actor
from clearance.db.engine import session_scope
from clearance.db.keyring import Keyring
from clearance.db.models import Commuter, FaceTemplate
from clearance.vision import faces, images
from clearance.vision.models import FaceModel
from clearance.vision.stack import FaceStack
from clearance.whitelist import biometrics
from clearance.whitelist import service as whitelist


def encode_references(jpegs: list[bytes], *, stack: FaceStack, settings: Settings) -> faces.Encoding:
    """One encoding per reference photo (the face crops kept at enrolment), by ``stack``'s model."""
    rows = []
    for position, jpeg in enumerate(jpegs, 1):
        image = images.decode_image(jpeg, max_pixels=settings.max_image_pixels)
        boxes = stack.detector.detect(image, max_side=faces.ENROLMENT_DETECTION_SIDE)
        if not boxes:
            raise FaceCheckFailed(
                Message(
                    "no face was found in reference photo {position}: add a new photo of the commuter",
                    position=position,
                ),
                check="no_face",
            )
        rows.append(stack.model.encode(image, boxes[0]))
    return np.stack(rows).astype(np.float32)


def remake_template(
    session: Session,
    *,
    commuter: Commuter,
    stack: FaceStack,
    keyring: Keyring,
    settings: Settings,
    actor: Actor,
) -> None:
    """Make ``commuter``'s template again with ``stack``'s model from their reference photos."""
    template = commuter.template
    if template is None:
        return
    old = template.model
    references = biometrics.open_reference_photos(keyring.data_key, template)
    encodings = encode_references(references, stack=stack, settings=settings)
    biometrics.reseal(
        keyring.sealing_key(session),
        template,
        encodings=encodings,
        reference_jpegs=references,
        model=stack.model.name,
    )
    whitelist.touch(session, commuter)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.REMAKE_TEMPLATE,
        object_type="commuter",
        object_id=commuter.id,
        detail=f"{old} -> {stack.model.name}",
    )


def count_outdated(session: Session, *, model: FaceModel) -> int:
    """Templates not made by ``model``."""
    return int(
        session.scalar(select(func.count()).select_from(FaceTemplate).where(FaceTemplate.model != model.name))
        or 0
    )


@dataclass
class Remade:
    remade: int = 0
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    """Commuters whose reference photos no longer give a face: they need a new photo."""
    remaining: int = 0


def remake_templates(
    sessions: sessionmaker[Session],
    *,
    stack: FaceStack,
    keyring: Keyring,
    settings: Settings,
    actor: Actor,
    batch: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> Remade:
    """Every template not made by ``stack``'s model, made again, ``batch`` commuters per transaction.
    ``progress(done, total)`` after each batch."""
    result = Remade()
    with session_scope(sessions) as session:
        total = count_outdated(session, model=stack.model)
    while True:
        with session_scope(sessions) as session:
            query = (
                select(Commuter)
                .join(FaceTemplate, FaceTemplate.commuter_id == Commuter.id)
                .where(FaceTemplate.model != stack.model.name)
                .order_by(Commuter.id)
                .limit(batch)
            )
            if result.failed:
                query = query.where(Commuter.id.not_in(list(result.failed)))
            commuters = list(session.scalars(query.with_for_update(of=FaceTemplate)))
            for commuter in commuters:
                # Every check that can fail does before the template is touched.
                try:
                    remake_template(
                        session,
                        commuter=commuter,
                        stack=stack,
                        keyring=keyring,
                        settings=settings,
                        actor=actor,
                    )
                    result.remade += 1
                except (FaceCheckFailed, images.ImageRejected) as error:
                    result.failed[commuter.id] = str(error)
        if not commuters:
            break
        if progress:
            progress(result.remade + len(result.failed), total)
    with session_scope(sessions) as session:
        result.remaining = count_outdated(session, model=stack.model)
    return result
