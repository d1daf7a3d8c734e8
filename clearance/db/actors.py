"""Who acts, as every action and the audit trail know them: a signed-in member of staff, a
kiosk with its own key, the system itself (a background job, the command line), or someone not
signed in (a browser at the sign-in form, a commuter's phone).

Three types rather than one with optional parts: an action only staff may take asks for a
``UserActor`` and the type checker holds every caller to it."""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass

from clearance.db.models import User


@dataclass(frozen=True)
class UserActor:
    """A signed-in member of staff, from the address they called from."""

    user: User
    ip: str | None = None


@dataclass(frozen=True)
class KioskActor:
    """A checkpoint kiosk calling with its own key."""

    kiosk_id: uuid.UUID
    ip: str | None = None


@dataclass(frozen=True)
class SystemActor:
    """The system acting on its own (a background job) or an operator at the command line."""

    name: str
    role: str = "system"

    @classmethod
    def command_line(cls) -> SystemActor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(name=f"command line ({who})", role="operator")


@dataclass(frozen=True)
class PublicActor:
    """Someone not signed in: a browser at the sign-in form, or a commuter's phone proving it
    holds its pass."""

    ip: str | None = None
    name: str | None = None
    role: str | None = None

    @classmethod
    def phone_pass(cls, credential_id: uuid.UUID, ip: str | None) -> PublicActor:
        return cls(ip=ip, name=f"phone pass {credential_id}", role="commuter")


Actor = UserActor | KioskActor | SystemActor | PublicActor
