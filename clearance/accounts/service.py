"""Organisations, staff accounts, signing in and out."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import security
from clearance.core.enums import AuditAction, Park, Role
from clearance.core.errors import (
    Conflict,
    InvalidCredentials,
    InvalidInput,
    InvalidTransition,
    NotFound,
    TooManySignIns,
)
from clearance.core.messages import Message, words
from clearance.core.names import Named, clean_name
from clearance.core.settings import Settings
from clearance.db import events
from clearance.db.actors import Actor, PublicActor, UserActor
from clearance.db.models import Organisation, SignInFailure, User, WebSession

LANGUAGES = ("en", "zh-Hant", "zh-Hans")


def create_organisation(session: Session, *, name: str, park: Park, actor: Actor) -> Organisation:
    name = clean_name(name, what=Named.ORGANISATION)
    if session.scalar(select(Organisation).where(Organisation.name == name)):
        raise Conflict(Message("an organisation named {name!r} already exists", name=name))
    organisation = Organisation(name=name, park=park)
    session.add(organisation)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.CREATE_ORGANISATION,
        object_type="organisation",
        object_id=organisation.id,
        detail=words("park {park}", park=park),
    )
    return organisation


def edit_organisation(
    session: Session,
    *,
    organisation: Organisation,
    actor: Actor,
    name: str | None = None,
    park: Park | None = None,
) -> Organisation:
    """Rename an organisation or move it to the other park; audited with what changed."""
    new_name = organisation.name if name is None else clean_name(name, what=Named.ORGANISATION)
    if new_name != organisation.name and session.scalar(
        select(Organisation).where(Organisation.name == new_name)
    ):
        raise Conflict(Message("an organisation named {new_name!r} already exists", new_name=new_name))
    audit.record_edit(
        session,
        actor=actor,
        action=AuditAction.EDIT_ORGANISATION,
        target=organisation,
        object_type="organisation",
        changes={"name": new_name, "park": park or organisation.park},
    )
    return organisation


def get_organisation_or_raise(session: Session, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(Message("no organisation with id {organisation_id}", organisation_id=organisation_id))
    return organisation


def find_organisation(session: Session, reference: str) -> Organisation:
    """The organisation with this id, or with this name when exactly one has it."""
    try:
        return get_organisation_or_raise(session, uuid.UUID(reference))
    except ValueError:
        pass
    found = list(session.scalars(select(Organisation).where(Organisation.name == reference.strip())))
    if not found:
        raise NotFound(Message("no organisation named {reference!r}", reference=reference))
    if len(found) > 1:
        raise InvalidInput(
            Message(
                "{count} organisations are named {reference!r}: give the id",
                count=len(found),
                reference=reference,
            ),
            field="organisation",
        )
    return found[0]


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    organisation_id: uuid.UUID | None = None,
    actor: Actor,
) -> User:
    """A staff account. Enrollers belong to exactly one organisation; other roles to none."""
    username = username.strip()
    if role is Role.ENROLLER and organisation_id is None:
        raise InvalidInput("an enroller must belong to an organisation: give organisation_id")
    if role is not Role.ENROLLER and organisation_id is not None:
        raise InvalidInput(Message("a user with role {role} does not belong to an organisation", role=role))
    if organisation_id is not None:
        get_organisation_or_raise(session, organisation_id)
    problem = security.password_problem(password, username=username)
    if problem is not None:
        raise InvalidInput(problem, field="password")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(Message("the username {username!r} is taken", username=username))
    user = User(
        username=username,
        password_hash=security.hash_password(password),
        role=role,
        organisation_id=organisation_id,
    )
    session.add(user)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.CREATE_USER,
        object_type="user",
        object_id=user.id,
        detail=words("{username} as {role}", username=user.username, role=role),
    )
    return user


def get_user_or_raise(session: Session, reference: str | uuid.UUID) -> User:
    """The user with this id, or this username."""
    user = None
    try:
        user = session.get(User, reference if isinstance(reference, uuid.UUID) else uuid.UUID(reference))
    except ValueError:
        user = session.scalar(select(User).where(User.username == str(reference).strip()))
    if user is None:
        raise NotFound(Message("no user {reference!r}", reference=str(reference)))
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def end_sessions(session: Session, *, user: User) -> int:
    """Sign ``user`` out everywhere, at once: every browser session ends, every access token
    issued before is refused from its next request, and every live stream of theirs closes (told
    through the live feed when this unit of work commits). How many browser sessions ended."""
    ended = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    user.sessions_version += 1
    session.flush()
    events.publish(session, {"type": events.SESSIONS_ENDED, "user_id": str(user.id)})
    return int(ended.rowcount)  # type: ignore[attr-defined]


def set_user_active(session: Session, *, user: User, active: bool, actor: Actor, reason: str = "") -> User:
    """Disable a staff account (every browser session ends and every API token is refused from its
    next request) or enable it again; audited with ``reason``. An administrator cannot disable
    themselves."""
    if user.is_active == active:
        raise InvalidTransition(
            Message(
                "the user {username!r} is already enabled"
                if active
                else "the user {username!r} is already disabled",
                username=user.username,
            )
        )
    if not active and isinstance(actor, UserActor) and actor.user.id == user.id:
        raise InvalidTransition("you cannot disable your own account")
    user.is_active = active
    if not active:
        end_sessions(session, user=user)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.ENABLE_USER if active else AuditAction.DISABLE_USER,
        object_type="user",
        object_id=user.id,
        detail=reason.strip()[:200] or None,
    )
    return user


def edit_user(
    session: Session,
    *,
    user: User,
    actor: Actor,
    role: Role | None = None,
    organisation_id: uuid.UUID | None = None,
) -> User:
    """Give a staff account another role or (an enroller) another organisation. An enroller keeps
    theirs unless told; other roles belong to none. A change of role signs them out of every
    browser; an administrator cannot change their own role. Audited with what changed."""
    new_role = role or user.role
    if new_role is not user.role and isinstance(actor, UserActor) and actor.user.id == user.id:
        raise InvalidTransition("you cannot change your own role")
    if new_role is Role.ENROLLER:
        new_organisation = organisation_id or user.organisation_id
        if new_organisation is None:
            raise InvalidInput("an enroller must belong to an organisation: give one", field="organisation")
        get_organisation_or_raise(session, new_organisation)
    elif organisation_id is not None:
        raise InvalidInput(
            Message("a user with role {new_role} does not belong to an organisation", new_role=new_role)
        )
    else:
        new_organisation = None
    role_changes = new_role is not user.role
    audit.record_edit(
        session,
        actor=actor,
        action=AuditAction.EDIT_USER,
        target=user,
        object_type="user",
        changes={"role": new_role, "organisation_id": new_organisation},
        labels={"organisation_id": "organisation"},
    )
    if role_changes:
        end_sessions(session, user=user)
    return user


def reset_password(session: Session, *, user: User, password: str, actor: Actor) -> User:
    """Give ``user`` a new password (held to the same rules as a new account's) and sign them out
    everywhere; audited (never the password). Never one's own: an administrator who resets their
    own password from an open session would hand it to whoever sits at that session; an operator
    at the command line (``hetao admin reset-password``) can."""
    if isinstance(actor, UserActor) and actor.user.id == user.id:
        raise InvalidTransition("you cannot reset your own password here: ask another administrator")
    problem = security.password_problem(password, username=user.username)
    if problem is not None:
        raise InvalidInput(problem, field="password")
    user.password_hash = security.hash_password(password)
    ended = end_sessions(session, user=user)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.RESET_PASSWORD,
        object_type="user",
        object_id=user.id,
        detail=words("{n} browser session(s) ended", n=ended),
    )
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


@dataclass(frozen=True)
class SignedIn:
    user: User
    device_token: str
    """Proof that this browser or client has signed in as this user before (OWASP's device
    cookie): presented next time, the attempt is counted apart from strangers' failures."""


def _serialise(session: Session, *keys: str) -> None:
    """PostgreSQL: hold a transaction lock per key, so concurrent attempts for one username or
    address are counted one after another (each sees the failures recorded before it). SQLite
    runs one unit of work at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _failures(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(SignInFailure).where(*conditions)) or 0


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    actor: PublicActor,
    limits: SignInLimits,
    now: datetime,
    device_token: str | None,
    secret: str,
) -> SignedIn:
    """The user with this username and password, recorded in the audit trail.

    Every failure is recorded too. A client that signed in as this user before presents its
    device token and is refused only after ``limits.max_failures`` failures of its own within
    ``limits.window``. Any other client is refused after that many failures for the username
    from clients without a token, or four times as many from its address: so an attacker can
    neither guess at length nor lock a user out of the browser they always use, and one noisy
    address does not lock out colleagues who signed in there before. A refused attempt is
    refused before the password is even checked. Both refusals keep their audit record."""
    username = username.strip()[:100]
    since = now - limits.window
    device = security.device_of(device_token, username=username, secret=secret) if device_token else None
    _serialise(session, f"sign-in:user:{username}", f"sign-in:address:{actor.ip}")
    recent = SignInFailure.at >= since
    if device is not None:
        locked = _failures(
            session, recent, SignInFailure.username == username, SignInFailure.device == device
        ) >= (limits.max_failures)
    else:
        strangers = SignInFailure.device.is_(None)
        locked = _failures(
            session, recent, strangers, SignInFailure.username == username
        ) >= limits.max_failures or (
            actor.ip is not None
            and _failures(session, recent, strangers, SignInFailure.ip == actor.ip) >= 4 * limits.max_failures
        )
    if locked:
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.SIGN_IN_REFUSED,
            object_type="username",
            object_id=username,
        )
        minutes = int(limits.window.total_seconds() // 60)
        raise TooManySignIns(
            Message(
                "too many failed sign-ins for this account or from this address: try again in "
                "{minutes} minutes",
                minutes=minutes,
            )
        ).keep_record()
    try:
        user = authenticate(session, username=username, password=password)
    except InvalidCredentials as exc:
        session.add(SignInFailure(at=now, username=username, ip=actor.ip, device=device))
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.SIGN_IN_FAILED,
            object_type="username",
            object_id=username,
        )
        raise exc.keep_record() from None
    audit.record_event(session, actor=UserActor(user, actor.ip), action=AuditAction.SIGN_IN)
    token = (
        device_token if device is not None else security.new_device_token(username=username, secret=secret)
    )
    assert token is not None
    return SignedIn(user, token)


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not security.verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials("wrong username or password")
    assert user is not None
    if not user.is_active:
        raise InvalidCredentials("this account is disabled")
    return user


def start_web_session(session: Session, *, user: User, lifetime: timedelta, now: datetime) -> str:
    """A signed-in browser for ``user`` (signed in with ``sign_in``); the returned token goes
    into the cookie and nowhere else: the database keeps its hash."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_hash=security.hash_session_token(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def sign_out(session: Session, *, token: str, actor: Actor) -> None:
    """End the browser session holding ``token``."""
    session.execute(delete(WebSession).where(WebSession.token_hash == security.hash_session_token(token)))
    audit.record_event(session, actor=actor, action=AuditAction.SIGN_OUT)


def set_language(session: Session, *, user: User, language: str, actor: Actor) -> None:
    """The language of the pages for ``user``: one of ``LANGUAGES``."""
    if language not in LANGUAGES:
        raise InvalidInput(Message("language must be one of {languages}", languages=", ".join(LANGUAGES)))
    if user.language != language:
        user.language = language
        session.flush()
        audit.record_event(
            session,
            actor=actor,
            action=AuditAction.SET_LANGUAGE,
            object_type="user",
            object_id=user.id,
            detail=language,
        )


def organisations_with_staff_counts(session: Session) -> list[tuple[Organisation, int]]:
    """Every organisation, by name, with how many staff accounts belong to it."""
    staff = func.count(User.id)
    rows = session.execute(
        select(Organisation, staff)
        .outerjoin(User, User.organisation_id == Organisation.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    return [(organisation, int(count)) for organisation, count in rows]
