"""Registration and token bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from quantdesk.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class UserRegister(BaseModel):
    """A new account; the email becomes the login name."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "password": "correct horse battery",
                    "full_name": "Ada",
                }
            ]
        }
    )

    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    full_name: str | None = Field(default=None, max_length=200)


class TokenPairRead(BaseModel):
    """An access token for the API and a refresh token that buys the next pair."""

    access_token: str
    refresh_token: str
    token_type: str = Field(default="bearer", description="Send as 'Authorization: Bearer …'.")
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")


class RefreshTokenBody(BaseModel):
    """A refresh token for API clients; the dashboard sends it in a cookie instead."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"refresh_token": "eyJhbGciOiJIUzI1NiIs…"}]}
    )

    refresh_token: str | None = Field(default=None, max_length=4096)
