"""Queries on orders: owner-scoped lookups, the working set, and recent submissions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from quantdesk.db.models import Instrument, Order
from quantdesk.db.repositories.base import Paged, Repository

WORKING_STATUSES = ("new", "accepted", "partially_filled", "unknown")


class OrderRepository(Repository[Order]):
    """Orders of one user; the client order id is unique per user."""

    model = Order

    async def get_for_user(self, order_id: int, user_id: int) -> Order | None:
        """The user's order with this id; another user's is None."""
        statement = select(Order).where(Order.id == order_id, Order.user_id == user_id)
        return await self.session.scalar(statement)

    async def get_by_client_id(self, user_id: int, client_order_id: str) -> Order | None:
        """The user's order with this client order id, or None."""
        statement = select(Order).where(
            Order.user_id == user_id, Order.client_order_id == client_order_id
        )
        return await self.session.scalar(statement)

    async def list_for_user(
        self, user_id: int, *, status: str | None, limit: int, offset: int
    ) -> Paged[Order]:
        """The user's orders, newest first, optionally of one status."""
        statement = select(Order).where(Order.user_id == user_id)
        if status is not None:
            statement = statement.where(Order.status == status)
        statement = statement.order_by(Order.id.desc())
        return await self.page(statement, limit=limit, offset=offset)

    async def working(self, user_id: int, mode: str | None = None) -> Sequence[Order]:
        """The user's orders that may still fill, oldest first."""
        statement = select(Order).where(
            Order.user_id == user_id, Order.status.in_(WORKING_STATUSES)
        )
        if mode is not None:
            statement = statement.where(Order.mode == mode)
        return list(await self.session.scalars(statement.order_by(Order.id)))

    async def working_everywhere(self) -> Sequence[Order]:
        """Every user's working orders, for restoration at start-up."""
        statement = select(Order).where(Order.status.in_(WORKING_STATUSES)).order_by(Order.id)
        return list(await self.session.scalars(statement))

    async def count_working(self, user_id: int, mode: str) -> int:
        """How many of the user's orders in ``mode`` may still fill."""
        statement = select(func.count()).where(
            Order.user_id == user_id, Order.mode == mode, Order.status.in_(WORKING_STATUSES)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def submitted_since(self, user_id: int, since: datetime) -> list[datetime]:
        """When the user's orders created after ``since`` were created."""
        statement = select(Order.created_at).where(
            Order.user_id == user_id, Order.created_at > since
        )
        return list(await self.session.scalars(statement))

    async def symbols(self, instrument_ids: Sequence[int]) -> dict[int, str]:
        """The symbol of each instrument id."""
        if not instrument_ids:
            return {}
        statement = select(Instrument.id, Instrument.symbol).where(
            Instrument.id.in_(set(instrument_ids))
        )
        return {row.id: row.symbol for row in await self.session.execute(statement)}
