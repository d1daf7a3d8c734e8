"""Pre-registering commuters and the approval workflow around them.

Every change here is one action (registering, approving, suspending, reinstating, revoking) and
every read of a commuter's personal data is one function: each writes its own audit record, so
the API, the pages, the bulk import and the command line leave the same trail.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clearance.accounts import service as accounts
from clearance.audit import service as audit
from clearance.core import hanzi, vault
from clearance.core.enums import AuditAction, CommuterStatus, DocumentType, Park, Role
from clearance.core.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from clearance.core.messages import Message, Words, words
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import local_today, utcnow
from clearance.dashboard import service as dashboard
from clearance.db.actors import Actor, UserActor
from clearance.db.engine import after_commit, release_deleted_pages
from clearance.db.keyring import Keyring
from clearance.db.models import Commuter, Credential, User
from clearance.vision.stack import face_stack
from clearance.whitelist import biometrics, documents
from clearance.whitelist import service as whitelist
from enrolment import photos as enrolment_photos
from enrolment import remake
from enrolment.photos import Template


@dataclass(frozen=True)
class Registration:
    full_name: str
    document_type: DocumentType
    document_number: str
    organisation_id: uuid.UUID
    home_park: Park
    valid_until: date
    face_only: bool = False
    chinese_name: str = ""
    """The name in Chinese characters; ``full_name`` holds the one in Latin letters. Either may be
    empty, not both."""


CHINESE_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·・‧ ]+$")
"""CJK ideographs (with the extensions people's names use), the middle dots of transliterated
names, and spaces."""


def check_staff_access(user: User, commuter: Commuter) -> None:
    """Enrollers see only their own organisation's commuters; officers see all."""
    if user.role is Role.OFFICER:
        return
    if user.role is Role.ENROLLER and user.organisation_id == commuter.organisation_id:
        return
    # Same answer as for a missing commuter: another organisation's people are not disclosed.
    raise NotFound(Message("no commuter with id {id}", id=commuter.id))


def get_commuter_or_raise(session: Session, commuter_id: uuid.UUID, *, user: User) -> Commuter:
    commuter = session.get(Commuter, commuter_id)
    if commuter is None:
        raise NotFound(Message("no commuter with id {commuter_id}", commuter_id=commuter_id))
    check_staff_access(user, commuter)
    return commuter


def validate_registration(
    session: Session, *, registration: Registration, enroller: User, index_key: bytes
) -> Registration:
    """The registration with its fields normalised, or an error saying which field is wrong
    (``field`` in the error's extra)."""
    full_name = " ".join(registration.full_name.split())
    chinese_name = " ".join(registration.chinese_name.split())
    if not full_name and not chinese_name:
        raise InvalidInput(
            "give the name in Latin letters (full_name), in Chinese characters (chinese_name), or both",
            field="full_name",
        )
    if len(full_name) > 200:
        raise InvalidInput("full_name must be at most 200 characters", field="full_name")
    if chinese_name and (len(chinese_name) > 100 or not CHINESE_NAME.match(chinese_name)):
        raise InvalidInput("chinese_name must be up to 100 Chinese characters", field="chinese_name")
    number = documents.canonical(registration.document_type.value, registration.document_number)
    problem = documents.number_problem(registration.document_type.value, number)
    if problem is not None:
        raise InvalidInput(problem, field="document_number")
    if registration.valid_until <= local_today():
        raise InvalidInput("valid_until must be a date in the future", field="valid_until")
    try:
        accounts.get_organisation_or_raise(session, registration.organisation_id)
    except NotFound as exc:
        raise NotFound(exc.message, field="organisation") from None
    if enroller.role is Role.ENROLLER and enroller.organisation_id != registration.organisation_id:
        raise Forbidden(
            "an enroller registers commuters of their own organisation only", field="organisation"
        )
    duplicate = select(Commuter.id).where(
        Commuter.organisation_id == registration.organisation_id,
        Commuter.document_type == registration.document_type.value,
        Commuter.document_index
        == documents.document_index(index_key, document_type=registration.document_type.value, number=number),
    )
    if session.scalar(duplicate) is not None:
        raise Conflict(
            Message(
                "this organisation already registered {document_type} {number}",
                document_type=registration.document_type,
                number=number,
            ),
            field="document_number",
        )
    return replace(registration, full_name=full_name, chinese_name=chinese_name, document_number=number)


def register_commuter(
    session: Session,
    *,
    registration: Registration,
    photos: list[bytes],
    actor: UserActor,
    keyring: Keyring,
    settings: Settings,
    metrics: Metrics,
) -> Commuter:
    """Register a commuter from their details and one or more uploaded photos (two make a
    template that refuses far fewer genuine commuters: BENCHMARKS.md): the details are checked
    first (nothing is done with a photo for a registration that cannot stand), then each photo
    goes through the quality gate, then the commuter is enrolled, pending approval."""
    validate_registration(
        session, registration=registration, enroller=actor.user, index_key=keyring.index_key
    )
    made = enrolment_photos.templates_from_uploads(photos, settings=settings, metrics=metrics)
    return enrol_commuter(
        session, registration=registration, templates=made, actor=actor, keyring=keyring, metrics=metrics
    )


def enrol_commuter(
    session: Session,
    *,
    registration: Registration,
    templates: list[Template],
    actor: UserActor,
    keyring: Keyring,
    metrics: Metrics,
    source: Message | None = None,
) -> Commuter:
    """A pending commuter with a sealed template and document number, from a validated
    registration (checked again here) and the templates of photos that passed the gate.
    ``source`` says where the registration came from, for the audit trail (an import line)."""
    registration = validate_registration(
        session, registration=registration, enroller=actor.user, index_key=keyring.index_key
    )
    commuter_id = uuid.uuid4()
    data_key = keyring.sealing_key(session)
    commuter = Commuter(
        id=commuter_id,
        organisation_id=registration.organisation_id,
        full_name=registration.full_name,
        chinese_name=registration.chinese_name or None,
        document_type=registration.document_type.value,
        sealed_document_number=documents.seal_number(
            data_key, commuter_id=commuter_id, number=registration.document_number
        ),
        document_index=documents.document_index(
            keyring.index_key,
            document_type=registration.document_type.value,
            number=registration.document_number,
        ),
        home_park=registration.home_park,
        valid_until=registration.valid_until,
        face_only=registration.face_only,
        status=CommuterStatus.PENDING,
        enrolled_by_id=actor.user.id,
    )
    commuter.template = biometrics.seal_template(
        data_key,
        commuter_id=commuter.id,
        encodings=np.stack([t.encoding for t in templates]),
        reference_jpegs=[t.reference_jpeg for t in templates],
        quality={**templates[0].quality_report(), "photos": [t.quality_report() for t in templates]},
        model=templates[0].model,
    )
    session.add(commuter)
    session.flush()
    photos = Message("{n} photo(s)", n=len(templates))
    detail = words("{photos}; {source}", photos=photos, source=source) if source else Words(photos)
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.REGISTER_COMMUTER,
        object_type="commuter",
        object_id=commuter.id,
        detail=detail,
    )
    metrics.enrolments.labels(outcome="enrolled").inc()
    return commuter


def list_commuters(
    session: Session,
    *,
    actor: UserActor,
    status: CommuterStatus | None = None,
    q: str | None = None,
    index_key: bytes,
    limit: int = 100,
    offset: int = 0,
) -> list[Commuter]:
    """Commuters the actor may see, newest first; ``q`` matches part of a name or a whole
    document number (numbers are only stored sealed, so they are found by their blind index).
    A search is a read of personal data: it is audited (what was searched for is not kept,
    since it may itself be a document number)."""
    user = actor.user
    query = select(Commuter)
    if user.role is Role.ENROLLER:
        query = query.where(Commuter.organisation_id == user.organisation_id)
    if status is not None:
        query = query.where(Commuter.status == status)
    if q:
        pattern = f"%{q.strip().lower()}%"
        # Chinese names are matched in one script: 陈大文 finds 陳大文 and the other way round.
        folded = f"%{hanzi.fold(q.strip())}%"
        indexes = [
            documents.document_index(index_key, document_type=kind.value, number=q) for kind in DocumentType
        ]
        query = query.where(
            or_(
                func.lower(Commuter.full_name).like(pattern),
                Commuter.chinese_name_folded.like(folded),
                Commuter.document_index.in_(indexes),
            )
        )
    query = query.order_by(Commuter.created_at.desc(), Commuter.id).limit(limit).offset(offset)
    found = list(session.scalars(query))
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.SEARCH_COMMUTERS,
        detail=words(
            "{n} found, status {status}, by name or document"
            if status and q
            else "{n} found, status {status}"
            if status
            else "{n} found, by name or document"
            if q
            else "{n} found",
            n=len(found),
            status=status,
        ),
    )
    return found


def read_commuter(session: Session, *, commuter: Commuter, actor: Actor, purpose: str | None) -> Commuter:
    """``commuter``'s details, for ``actor``; the read is recorded with its purpose if given."""
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.READ_COMMUTER,
        object_type="commuter",
        object_id=commuter.id,
        purpose=purpose,
    )
    return commuter


Transition = Literal["approve", "suspend", "reinstate", "revoke"]
REFUSED_TRANSITIONS: dict[Transition, str] = {
    "approve": "cannot approve a commuter who is {status}",
    "suspend": "cannot suspend a commuter who is {status}",
    "reinstate": "cannot reinstate a commuter who is {status}",
    "revoke": "cannot revoke a commuter who is {status}",
}


def _transition(
    commuter: Commuter,
    *,
    allowed_from: set[CommuterStatus],
    to: CommuterStatus,
    action: Transition,
) -> None:
    if commuter.status not in allowed_from:
        raise InvalidTransition(
            Message(REFUSED_TRANSITIONS[action], status=commuter.status),
            status=commuter.status.value,
        )
    commuter.status = to


def _record_change(
    session: Session, *, commuter: Commuter, actor: Actor, action: AuditAction, detail: str | None = None
) -> None:
    whitelist.touch(session, commuter)
    session.flush()
    audit.record_event(
        session, actor=actor, action=action, object_type="commuter", object_id=commuter.id, detail=detail
    )


def approve_commuter(session: Session, *, commuter: Commuter, actor: UserActor) -> Commuter:
    """Pending → active. Four eyes: never by the user who entered the registration or added any
    of the photos its template holds."""
    officer = actor.user
    if officer.id in commuter.contributors():
        raise Forbidden(
            "a registration must be approved by someone other than who entered it or added a photo"
        )
    _transition(commuter, allowed_from={CommuterStatus.PENDING}, to=CommuterStatus.ACTIVE, action="approve")
    commuter.approved_by_id = officer.id
    commuter.approved_at = utcnow()
    commuter.status_reason = None
    _record_change(session, commuter=commuter, actor=actor, action=AuditAction.APPROVE_COMMUTER)
    return commuter


def suspend_commuter(session: Session, *, commuter: Commuter, reason: str, actor: Actor) -> Commuter:
    """Active → suspended, with a reason: off the whitelist until reinstated."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("a suspension needs a reason", field="reason")
    _transition(commuter, allowed_from={CommuterStatus.ACTIVE}, to=CommuterStatus.SUSPENDED, action="suspend")
    commuter.status_reason = reason
    _record_change(
        session, commuter=commuter, actor=actor, action=AuditAction.SUSPEND_COMMUTER, detail=reason
    )
    return commuter


def reinstate_commuter(session: Session, *, commuter: Commuter, actor: Actor) -> Commuter:
    _transition(
        commuter,
        allowed_from={CommuterStatus.SUSPENDED},
        to=CommuterStatus.ACTIVE,
        action="reinstate",
    )
    commuter.status_reason = None
    _record_change(session, commuter=commuter, actor=actor, action=AuditAction.REINSTATE_COMMUTER)
    return commuter


def revoke_commuter(session: Session, *, commuter: Commuter, reason: str | None, actor: Actor) -> Commuter:
    """Revoked for good: biometrics erased and every credential revoked."""
    _transition(
        commuter,
        allowed_from={CommuterStatus.PENDING, CommuterStatus.ACTIVE, CommuterStatus.SUSPENDED},
        to=CommuterStatus.REVOKED,
        action="revoke",
    )
    commuter.status_reason = reason
    commuter.template = None  # delete-orphan: the row holding encoding and photo is deleted
    # Once committed, also out of SQLite's write-ahead log (PostgreSQL: see README, erasure).
    after_commit(session, lambda: release_deleted_pages(session))
    now = utcnow()
    for credential in session.scalars(
        select(Credential).where(Credential.commuter_id == commuter.id, Credential.revoked_at.is_(None))
    ):
        credential.revoked_at = now
        credential.sealed_secret = None
    _record_change(session, commuter=commuter, actor=actor, action=AuditAction.REVOKE_COMMUTER, detail=reason)
    return commuter


def add_photo(
    session: Session,
    *,
    commuter: Commuter,
    photo: bytes,
    actor: UserActor,
    keyring: Keyring,
    settings: Settings,
    metrics: Metrics,
) -> Commuter:
    """Add an enrolment photo to a commuter's template (at most ``max_enrolment_photos``).

    The face that clears them changes, so it is looked at again: an active or suspended
    commuter goes back to pending, off the whitelist, until an officer other than whoever added
    the photo approves (the same four eyes as a registration)."""
    if commuter.status is CommuterStatus.REVOKED or commuter.template is None:
        raise InvalidTransition(
            "this commuter was revoked: register them again", status=commuter.status.value
        )
    data_key = keyring.sealing_key(session)
    references = biometrics.open_reference_photos(keyring.data_key, commuter.template)
    if len(references) >= settings.max_enrolment_photos:
        raise InvalidInput(
            Message(
                "a template holds at most {most} photos",
                most=settings.max_enrolment_photos,
            ),
            field="photo",
        )
    (made,) = enrolment_photos.templates_from_uploads([photo], settings=settings, metrics=metrics)
    if commuter.template.model == made.model:
        encodings = biometrics.open_encodings(keyring.data_key, commuter.template, size=len(made.encoding))
    else:
        # Made by a face model no longer in use: the earlier photos are encoded again with this one.
        encodings = remake.encode_references(references, stack=face_stack(settings), settings=settings)
    biometrics.reseal(
        data_key,
        commuter.template,
        encodings=np.vstack([encodings, made.encoding[None, :]]),
        reference_jpegs=[*references, made.reference_jpeg],
        model=made.model,
    )
    commuter.template.quality = {
        **commuter.template.quality,
        # A template from before several photos has its one photo's report at the top level.
        "photos": [
            *(commuter.template.quality.get("photos") or [commuter.template.quality]),
            made.quality_report(),
        ],
    }
    if commuter.status in (CommuterStatus.ACTIVE, CommuterStatus.SUSPENDED):
        commuter.status = CommuterStatus.PENDING
        commuter.status_reason = "a photo was added: waiting for an officer to approve again"
    # Four eyes: whoever added a photo does not approve, however many others add one after.
    commuter.photo_added_by_id = actor.user.id
    commuter.photo_added_by_ids = sorted({*(commuter.photo_added_by_ids or []), str(actor.user.id)})
    _record_change(
        session,
        commuter=commuter,
        actor=actor,
        action=AuditAction.ADD_PHOTO,
        detail=words("photo {n}", n=len(references) + 1),
    )
    return commuter


def document_number(commuter: Commuter, *, data_key: vault.DataKey) -> str:
    return documents.open_number(data_key, commuter_id=commuter.id, sealed=commuter.sealed_document_number)


@dataclass(frozen=True)
class ApprovalEvidence:
    """What an officer compares before approving a registration."""

    commuter: Commuter
    photos: list[bytes]
    """Every enrolment photo the template was made from (JPEG)."""
    document_number: str
    registered_by: str


def evidence_for_approval(
    session: Session, *, commuter: Commuter, data_key: vault.DataKey, actor: UserActor
) -> ApprovalEvidence:
    """A pending registration's photos, document number and who entered it, for ``actor`` to
    approve it: a read of personal data, recorded with the purpose "approval" (and what makes
    the registration one they may approve in bulk)."""
    if commuter.status is not CommuterStatus.PENDING:
        raise InvalidTransition(
            Message("this registration is {status}, not waiting for approval", status=commuter.status)
        )
    photos = _view_photos(
        session,
        commuter=commuter,
        data_key=data_key,
        actor=actor,
        purpose="approval",
        detail=Message("{n} photo(s) and the document, to approve the registration"),
    )
    registered_by = session.get(User, commuter.enrolled_by_id)
    return ApprovalEvidence(
        commuter=commuter,
        photos=photos,
        document_number=document_number(commuter, data_key=data_key),
        registered_by=registered_by.username if registered_by else "",
    )


def unjudged_photos(commuter: Commuter) -> list[int]:
    """Which of the commuter's enrolment photos (1, 2, ...) the liveness check did not judge
    (ID-style crops): the approving officer compares those with the person and the document."""
    if commuter.template is None:
        return []
    photos = commuter.template.quality.get("photos") or [commuter.template.quality]
    return [n for n, photo in enumerate(photos, start=1) if "liveness" in photo and photo["liveness"] is None]


def evidence_seen(session: Session, *, commuter: Commuter, user: User) -> bool:
    """Whether ``user`` opened this registration's evidence since it last changed (a photo added
    since must be looked at again)."""
    return commuter.id in dashboard.evidence_seen(session, [commuter], user=user)


def view_reference_photo(
    session: Session, *, commuter: Commuter, data_key: vault.DataKey, actor: Actor, purpose: str
) -> bytes:
    """The reference photo (JPEG) for a manual check, for one of ``audit.PURPOSES``; the view is
    recorded in the audit trail with its purpose."""
    if purpose not in audit.PURPOSES:
        raise InvalidInput(Message("purpose must be one of {purposes}", purposes=", ".join(audit.PURPOSES)))
    return _view_photos(session, commuter=commuter, data_key=data_key, actor=actor, purpose=purpose)[0]


def _view_photos(
    session: Session,
    *,
    commuter: Commuter,
    data_key: vault.DataKey,
    actor: Actor,
    purpose: str,
    detail: Message | None = None,
) -> list[bytes]:
    """The commuter's enrolment photos (JPEG), the view recorded with its ``purpose`` (and
    ``detail``, where ``{n}`` is how many photos)."""
    if commuter.template is None:
        raise NotFound("this commuter's biometrics were erased")
    photos = biometrics.open_reference_photos(data_key, commuter.template)
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.VIEW_REFERENCE_PHOTO,
        object_type="commuter",
        object_id=commuter.id,
        purpose=purpose,
        detail=Words(Message(detail.text, n=len(photos))) if detail else None,
    )
    return photos
