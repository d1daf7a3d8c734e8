"""Organisations, users and logging in."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance import security
from clearance.errors import Conflict, InvalidCredentials, InvalidInput, NotFound
from clearance.models import Organisation, Park, Role, User


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


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not security.verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials("wrong username or password")
    assert user is not None
    if not user.is_active:
        raise InvalidCredentials("this account is disabled")
    return user
