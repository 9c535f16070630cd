"""Users, their refresh tokens and their private settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, LargeBinary, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from quantdesk.db.base import Base, one_of, reference

USER_ROLES = ("user", "admin")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (one_of("role", USER_ROLES),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(20), default="user", server_default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Bumped on deactivation or password change: tokens issued before it stop working.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    last_login_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One issued refresh token. ``family`` links a chain of rotations from one login."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[int] = reference("users")
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    replaced_by: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    client_address: Mapped[str | None] = mapped_column(String(64))


class UserSettings(Base):
    """Per-user settings. Broker credentials are stored Fernet-encrypted, never in clear."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = reference("users", unique=True)
    broker_credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    notifications_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
