"""Queries on fills: one row per broker fill id and order, so a repeat is recognised."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from quantdesk.db.models import Fill, Order
from quantdesk.db.repositories.base import Repository


class FillRepository(Repository[Fill]):
    """Fills of orders; the (order, broker fill id) pair is unique."""

    model = Fill

    async def exists(self, order_id: int, broker_fill_id: str) -> bool:
        """Whether this order already has the fill ``broker_fill_id``."""
        statement = select(Fill.id).where(
            Fill.order_id == order_id, Fill.broker_fill_id == broker_fill_id
        )
        return await self.session.scalar(statement) is not None

    async def for_order(self, order_id: int) -> Sequence[Fill]:
        """The order's fills in execution order."""
        statement = select(Fill).where(Fill.order_id == order_id).order_by(Fill.executed_at)
        return list(await self.session.scalars(statement))

    async def for_user(self, user_id: int) -> Sequence[tuple[Fill, Order]]:
        """Every fill of the user's orders with its order, in execution order."""
        statement = (
            select(Fill, Order)
            .join(Order, Fill.order_id == Order.id)
            .where(Order.user_id == user_id)
            .order_by(Fill.executed_at, Fill.id)
        )
        return [(row[0], row[1]) for row in await self.session.execute(statement)]
