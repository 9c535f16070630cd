"""Queries on strategies: a user's saved strategy configurations, unique by name per owner."""

from __future__ import annotations

from sqlalchemy import select

from quantdesk.db.models import Strategy
from quantdesk.db.repositories.base import Paged, Repository


class StrategyRepository(Repository[Strategy]):
    """Owner-scoped lookups and listings of saved strategies."""

    model = Strategy

    async def get_for_user(self, strategy_id: int, user_id: int) -> Strategy | None:
        """The user's strategy with this id; another user's is None."""
        statement = select(Strategy).where(Strategy.id == strategy_id, Strategy.user_id == user_id)
        return await self.session.scalar(statement)

    async def get_by_name(self, user_id: int, name: str) -> Strategy | None:
        """The user's strategy called ``name``, or None."""
        statement = select(Strategy).where(Strategy.user_id == user_id, Strategy.name == name)
        return await self.session.scalar(statement)

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> Paged[Strategy]:
        """The user's strategies by name."""
        statement = (
            select(Strategy).where(Strategy.user_id == user_id).order_by(Strategy.name, Strategy.id)
        )
        return await self.page(statement, limit=limit, offset=offset)

    async def delete(self, strategy: Strategy) -> None:
        """Delete the strategy; its backtest runs keep their copy of type and parameters."""
        await self.session.delete(strategy)
        await self.session.flush()
