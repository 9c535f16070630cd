"""Queries on user settings: one row per user, made on first write."""

from __future__ import annotations

from sqlalchemy import select

from quantdesk.db.models import UserSettings
from quantdesk.db.repositories.base import Repository


class UserSettingsRepository(Repository[UserSettings]):
    """The settings row of each user."""

    model = UserSettings

    async def for_user(self, user_id: int) -> UserSettings | None:
        """The user's settings row, or None before the first write."""
        return await self.session.scalar(
            select(UserSettings).where(UserSettings.user_id == user_id)
        )
