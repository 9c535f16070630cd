"""Queries on refresh tokens, stored by ``jti``; the token itself is never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, Select, Update, select, update

from quantdesk.db.models import RefreshToken
from quantdesk.db.repositories.base import Paged, Repository


class RefreshTokenRepository(Repository[RefreshToken]):
    """Record, look up, rotate and revoke refresh tokens."""

    model = RefreshToken

    async def get_by_jti(self, jti: str) -> RefreshToken | None:
        """The token with this id, revoked or not, or None."""
        return await self.session.scalar(select(RefreshToken).where(RefreshToken.jti == jti))

    async def get_for_user(self, row_id: int, user_id: int) -> RefreshToken | None:
        """The user's token with this row id; another user's answers None."""
        statement = select(RefreshToken).where(
            RefreshToken.id == row_id, RefreshToken.user_id == user_id
        )
        return await self.session.scalar(statement)

    async def list_active(
        self, user_id: int, *, now: datetime, limit: int, offset: int
    ) -> Paged[RefreshToken]:
        """The user's unrevoked, unexpired tokens, newest first."""
        statement = self._active(now).where(RefreshToken.user_id == user_id)
        return await self.page(
            statement.order_by(RefreshToken.id.desc()), limit=limit, offset=offset
        )

    async def revoke_if_active(self, jti: str, *, now: datetime, replaced_by: str | None) -> bool:
        """Revoke one token unless already revoked; False means someone used it first."""
        statement = (
            update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, replaced_by=replaced_by)
        )
        result = await self.session.execute(statement)
        return _rowcount(result) == 1

    async def revoke_family(self, family: str, *, now: datetime) -> int:
        """Revoke every still-active token descended from one login."""
        statement = update(RefreshToken).where(
            RefreshToken.family == family, RefreshToken.revoked_at.is_(None)
        )
        return await self._revoke(statement, now)

    async def revoke_all_for_user(self, user_id: int, *, now: datetime) -> int:
        """Revoke every active token of a user, ending all their sessions."""
        statement = update(RefreshToken).where(
            RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
        )
        return await self._revoke(statement, now)

    async def _revoke(self, statement: Update, now: datetime) -> int:
        return _rowcount(await self.session.execute(statement.values(revoked_at=now)))

    @staticmethod
    def _active(now: datetime) -> Select[RefreshToken]:
        return select(RefreshToken).where(
            RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now
        )


def _rowcount(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
