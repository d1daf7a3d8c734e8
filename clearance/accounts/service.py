"""Organisations, users and logging in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearance import audit, security
from clearance.audit import Actor
from clearance.errors import Conflict, InvalidCredentials, InvalidInput, NotFound, TooManySignIns
from clearance.models import AuditEvent, Organisation, Park, Role, User
from clearance.settings import Settings

SIGN_IN_FAILED = "sign_in_failed"


def create_organisation(session: Session, *, name: str, park: Park) -> Organisation:
    name = name.strip()
    if session.scalar(select(Organisation).where(Organisation.name == name)):
        raise Conflict(f"an organisation named {name!r} already exists")
    organisation = Organisation(name=name, park=park)
    session.add(organisation)
    session.flush()
    return organisation


def get_organisation_or_raise(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation with id {organisation_id}")
    return organisation


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    organisation_id: uuid.UUID | None = None,
) -> User:
    """A staff account. Enrollers belong to exactly one organisation; other roles to none."""
    username = username.strip()
    if role is Role.ENROLLER and organisation_id is None:
        raise InvalidInput("an enroller must belong to an organisation: give organisation_id")
    if role is not Role.ENROLLER and organisation_id is not None:
        raise InvalidInput(f"a user with role {role.value} does not belong to an organisation")
    if organisation_id is not None:
        get_organisation_or_raise(session, organisation_id)
    if len(password) < 8:
        raise InvalidInput("a password must be at least 8 characters long")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"the username {username!r} is taken")
    user = User(
        username=username,
        password_hash=security.hash_password(password),
        role=role,
        organisation_id=organisation_id,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed within ``window`` for one username (and four times as many from
    one address) before sign-in is refused for the rest of the window."""

    max_failures: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(settings.sign_in_max_failures, timedelta(minutes=settings.sign_in_window_minutes))


def _recent_failures(
    session: Session, *, since: datetime, username: str | None = None, ip: str | None = None
) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == SIGN_IN_FAILED, AuditEvent.at >= since)
    )
    if username is not None:
        query = query.where(AuditEvent.object_id == username)
    if ip is not None:
        query = query.where(AuditEvent.ip == ip)
    return session.scalar(query) or 0


def sign_in(
    session: Session, *, username: str, password: str, actor: Actor, limits: SignInLimits, now: datetime
) -> User:
    """The user with this username and password, recorded in the audit trail.

    Every failure is recorded too, and after ``limits.max_failures`` failures for one username
    (or four times as many from one address) within ``limits.window``, sign-in is refused with
    TooManySignIns, before the password is even checked, until the window has passed. The
    caller must commit the failures it is told of by the exception (see the sign-in routes)."""
    username = username.strip()[:100]
    since = now - limits.window
    locked = _recent_failures(session, since=since, username=username) >= limits.max_failures or (
        actor.ip is not None
        and _recent_failures(session, since=since, ip=actor.ip) >= 4 * limits.max_failures
    )
    if locked:
        audit.record_event(
            session, actor=actor, action="sign_in_refused", object_type="username", object_id=username
        )
        minutes = int(limits.window.total_seconds() // 60)
        raise TooManySignIns(
            f"too many failed sign-ins for this account or from this address: try again in {minutes} minutes"
        )
    try:
        user = authenticate(session, username=username, password=password)
    except InvalidCredentials:
        audit.record_event(
            session, actor=actor, action=SIGN_IN_FAILED, object_type="username", object_id=username
        )
        raise
    audit.record_event(session, actor=Actor(user, actor.ip), action="sign_in")
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not security.verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials("wrong username or password")
    assert user is not None
    if not user.is_active:
        raise InvalidCredentials("this account is disabled")
    return user
