"""Queries on users."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from quantdesk.db.models import User
from quantdesk.db.repositories.base import Paged, Repository

_BY_ID = select(User).where(User.id == bindparam("user_id"))


class UserRepository(Repository[User]):
    """Look users up by id or email and list them for administration."""

    model = User

    async def get(self, row_id: int) -> User | None:
        """The user with this id, or None; read by every signed-in request, so the
        statement is built once instead of per call as ``Session.get`` does."""
        found: User | None = await self.session.scalar(_BY_ID, {"user_id": row_id})
        return found

    async def get_by_email(self, email: str) -> User | None:
        """The user with this (already lower-cased) email, or None."""
        return await self.session.scalar(select(User).where(User.email == email))

    async def list_page(self, *, limit: int, offset: int) -> Paged[User]:
        """Users oldest first, one page at a time."""
        statement = select(User).order_by(User.id)
        return await self.page(statement, limit=limit, offset=offset)
