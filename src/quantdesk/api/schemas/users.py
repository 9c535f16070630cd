"""User profile, password, session and administration bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from quantdesk.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Role = Literal["user", "admin"]


class UserRead(BaseModel):
    """A user as the API shows it; the password hash never leaves the server."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    timezone: str
    created_at: datetime
    last_login_at: datetime | None


class UserUpdate(BaseModel):
    """Changes to one's own profile; omitted fields stay as they are, "" clears the name."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"full_name": "Ada Lovelace", "timezone": "Europe/London"}]
        },
    )

    full_name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


class PasswordChange(BaseModel):
    """The current password, proving it is the owner, and the new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "old secret words", "new_password": "new secret words"}
            ]
        }
    )

    current_password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class AdminUserUpdate(BaseModel):
    """What an admin may change on a user; omitted fields stay as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_active": False}, {"role": "admin"}]}
    )

    is_active: bool | None = None
    role: Role | None = None


class SessionRead(BaseModel):
    """One signed-in device: an active refresh token, shown without the token itself."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    expires_at: datetime
    user_agent: str | None
    client_address: str | None
