"""Queries on users."""

from __future__ import annotations

from sqlalchemy import select

from quantdesk.db.models import User
from quantdesk.db.repositories.base import Paged, Repository


class UserRepository(Repository[User]):
    """Look users up by id or email and list them for administration."""

    model = User

    async def get_by_email(self, email: str) -> User | None:
        """The user with this (already lower-cased) email, or None."""
        return await self.session.scalar(select(User).where(User.email == email))

    async def list_page(self, *, limit: int, offset: int) -> Paged[User]:
        """Users oldest first, one page at a time."""
        statement = select(User).order_by(User.id)
        return await self.page(statement, limit=limit, offset=offset)
