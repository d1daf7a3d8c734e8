"""Request and response bodies of sign-in and of the administration of organisations and users."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clearance.core.enums import Park, Role
from clearance.db.base import ORMModel


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    device_token: str | None = Field(
        default=None,
        description="Send it back as the Device-Token header when signing in again from this client: "
        "its failed attempts are then counted apart from strangers'",
    )


class OrganisationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    park: Park


class OrganisationEdit(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    park: Park | None = None


class OrganisationOut(ORMModel):
    id: uuid.UUID
    name: str
    park: Park
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    organisation_id: uuid.UUID | None = None


class UserEdit(BaseModel):
    role: Role | None = None
    organisation_id: uuid.UUID | None = Field(
        default=None, description="An enroller's organisation (an enroller keeps theirs when left out)"
    )


class UserSwitch(BaseModel):
    reason: str = Field(default="", max_length=200, description="Why, for the audit trail")


class PasswordReset(BaseModel):
    password: str = Field(min_length=8, max_length=200)


class UserOut(ORMModel):
    id: uuid.UUID
    username: str
    role: Role
    organisation_id: uuid.UUID | None
    is_active: bool
    created_at: datetime
