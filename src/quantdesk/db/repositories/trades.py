"""Queries on trades: round trips, the open one per instrument and account."""

from __future__ import annotations

from sqlalchemy import select

from quantdesk.db.models import Trade
from quantdesk.db.repositories.base import Paged, Repository


class TradeRepository(Repository[Trade]):
    """Round trips of one user."""

    model = Trade

    async def open_trade(
        self, user_id: int, instrument_id: int, mode: str, account: str
    ) -> Trade | None:
        """The trade still open in this instrument and account, or None."""
        statement = select(Trade).where(
            Trade.user_id == user_id,
            Trade.instrument_id == instrument_id,
            Trade.mode == mode,
            Trade.account == account,
            Trade.status == "open",
        )
        return await self.session.scalar(statement.order_by(Trade.id.desc()).limit(1))

    async def list_for_user(
        self,
        user_id: int,
        *,
        status: str | None,
        limit: int,
        offset: int,
        mode: str | None = None,
        account: str | None = None,
    ) -> Paged[Trade]:
        """The user's trades, newest entry first; of one mode or account when given."""
        statement = select(Trade).where(Trade.user_id == user_id)
        for column, value in ((Trade.status, status), (Trade.mode, mode), (Trade.account, account)):
            if value is not None:
                statement = statement.where(column == value)
        statement = statement.order_by(Trade.entry_time.desc(), Trade.id.desc())
        return await self.page(statement, limit=limit, offset=offset)

    async def for_deployment(self, deployment_id: int) -> list[Trade]:
        """A deployment's trades in entry order."""
        statement = (
            select(Trade)
            .where(Trade.deployment_id == deployment_id)
            .order_by(Trade.entry_time, Trade.id)
        )
        return list(await self.session.scalars(statement))
