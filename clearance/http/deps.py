"""FastAPI dependencies: the request's unit of work, who is calling, and what they may touch."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, UploadFile
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.core import security
from clearance.core.enums import Role
from clearance.core.errors import Forbidden, KioskDisabled, NotAuthenticated, PayloadTooLarge
from clearance.core.messages import Message
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import KioskActor, UserActor
from clearance.db.engine import session_scope
from clearance.db.events import EventHub
from clearance.db.keyring import Keyring
from clearance.db.models import Kiosk, User


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    metrics: Metrics
    events: EventHub
    write_lock: threading.Lock | None = None
    """SQLite only: units of work run one at a time (see ``get_session``)."""
    refused_kiosks: dict[uuid.UUID, datetime] = field(default_factory=dict)
    """Disabled kiosks whose key was used since the kiosk watch last looked, and when."""

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One unit of work on the app's database: committed at the end of the block, rolled
        back on any error. On SQLite it holds the app's lock throughout (see ``get_session``)."""
        with self.write_lock or nullcontext(), session_scope(self.sessions) as session:
            yield session


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """The request's unit of work: committed after the handler returns, before the response
    is sent, and rolled back if anything raised, so a rejected request writes nothing.

    On SQLite the whole unit of work holds the app's lock. SQLite has one writer at a time, and
    a transaction that read before another one committed cannot start writing (its snapshot is
    stale: "database is locked"), so requests there run one at a time. PostgreSQL needs no lock.
    """
    with context.unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(_bearer)]


def client_ip(request: Request) -> str | None:
    """The caller's address, as the audit trail records it."""
    return request.client.host if request.client else None


def get_current_user(session: SessionDep, context: ContextDep, token: TokenDep) -> User:
    if not token:
        raise NotAuthenticated("sign in: send 'Authorization: Bearer <token>' from /api/v1/auth/token")
    if security.is_kiosk_key(token):
        raise Forbidden("a kiosk key reaches only the /api/v1/kiosk endpoints")
    found = security.read_access_token(token, secret=context.settings.token_secret)
    user = session.get(User, found.user_id) if found else None
    if user is None or found is None or not user.is_active or user.sessions_version != found.version:
        raise NotAuthenticated("the access token is invalid or expired: sign in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    allowed = ", ".join(role.value for role in roles)

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(
                Message("this needs the role {allowed}; you are {role}", allowed=allowed, role=user.role)
            )
        return user

    return check


CurrentAdmin = Annotated[User, Depends(require_role(Role.ADMIN))]
CurrentOfficer = Annotated[User, Depends(require_role(Role.OFFICER))]
CurrentStaff = Annotated[User, Depends(require_role(Role.ENROLLER, Role.OFFICER))]


def actor_with(*roles: Role) -> Callable[..., UserActor]:
    """A dependency for a caller signed in with one of ``roles``, as the audit trail records them."""
    check = require_role(*roles)

    # A default rather than an Annotated hint: the hint would name a local, which FastAPI
    # cannot resolve from this module's globals.
    def actor(request: Request, user: User = Depends(check)) -> UserActor:  # noqa: B008
        return UserActor(user, client_ip(request))

    return actor


AdminActor = Annotated[UserActor, Depends(actor_with(Role.ADMIN))]
OfficerActor = Annotated[UserActor, Depends(actor_with(Role.OFFICER))]
StaffActor = Annotated[UserActor, Depends(actor_with(Role.ENROLLER, Role.OFFICER))]


def authenticate_kiosk(session: Session, *, api_key: str) -> Kiosk:
    """The active kiosk holding ``api_key`` (its last call noted), or why not."""
    kiosk = session.scalar(select(Kiosk).where(Kiosk.api_key_hash == security.hash_kiosk_key(api_key)))
    if kiosk is None:
        raise NotAuthenticated("unknown or disabled kiosk key")
    if not kiosk.is_active:
        raise KioskDisabled("unknown or disabled kiosk key", kiosk_id=kiosk.id)
    kiosk.last_seen_at = utcnow()
    return kiosk


def get_kiosk(session: SessionDep, token: TokenDep, context: ContextDep) -> Kiosk:
    if not token:
        raise NotAuthenticated("a kiosk sends 'Authorization: Bearer <kiosk key>'")
    if not security.is_kiosk_key(token):
        raise Forbidden("only a kiosk, with its own key, may call the kiosk endpoints")
    try:
        return authenticate_kiosk(session, api_key=token)
    except KioskDisabled as exc:
        # The request's unit of work is rolled back with the refusal: the kiosk watch raises the
        # officers' alert from here, in its own.
        if isinstance(exc.kiosk_id, uuid.UUID):
            context.refused_kiosks[exc.kiosk_id] = utcnow()
        raise


KioskDep = Annotated[Kiosk, Depends(get_kiosk)]


def get_kiosk_actor(request: Request, kiosk: KioskDep) -> KioskActor:
    return KioskActor(kiosk.id, client_ip(request))


KioskActorDep = Annotated[KioskActor, Depends(get_kiosk_actor)]


def read_upload(upload: UploadFile, *, settings: Settings) -> bytes:
    """The bytes of an uploaded file, refused with 413 past the size limit."""
    limit = settings.max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            Message(
                "{filename} is over the {limit} MiB upload limit",
                filename=upload.filename or "the file",
                limit=limit // (1024 * 1024),
            )
        )
    return data
