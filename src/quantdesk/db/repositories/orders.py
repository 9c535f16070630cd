"""Queries on orders: owner-scoped lookups by id and client order id, and the working set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select

from quantdesk.db.models import Instrument, Order
from quantdesk.db.models.order_counts import WORKING_STATUSES
from quantdesk.db.repositories.base import Paged, Repository

# built once, bound per call: a repeated client order id is looked up by it
_BY_CLIENT_ID = select(Order).where(
    Order.user_id == bindparam("user_id"), Order.client_order_id == bindparam("client_order_id")
)

_TABLE: Table = Order.__table__  # type: ignore[assignment]  # a mapped class's Table
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_COLUMNS = tuple(column for column in _TABLE.columns if column.key != "id")


def _value(row: Order, column: Any) -> Any:
    """The row's value for ``column``, or the column's Python default, set on the row too."""
    stored = row.__dict__
    if column.key in stored:
        return stored[column.key]
    default = column.default
    value = None if default is None else default.arg(None) if default.is_callable else default.arg
    setattr(row, column.key, value)
    return value


class OrderRepository(Repository[Order]):
    """Orders of one user; the client order id is unique per user."""

    model = Order

    async def insert_new(self, row: Order) -> None:
        """Store a new order with one prepared INSERT instead of the session's flush.

        For an order that is answered as it is and not changed again in this transaction
        (the paper book's): the unit of work cost more than the rest of the order's checks.
        The row gets its id and defaults but stays outside the session.
        """
        values = {column.key: _value(row, column) for column in _COLUMNS}
        row.id = (await self.session.execute(_INSERT, values)).scalar_one()

    async def get_for_user(self, order_id: int, user_id: int) -> Order | None:
        """The user's order with this id; another user's is None."""
        statement = select(Order).where(Order.id == order_id, Order.user_id == user_id)
        return await self.session.scalar(statement)

    async def get_by_client_id(self, user_id: int, client_order_id: str) -> Order | None:
        """The user's order with this client order id, or None."""
        params = {"user_id": user_id, "client_order_id": client_order_id}
        found: Order | None = await self.session.scalar(_BY_CLIENT_ID, params)
        return found

    async def get_with_symbol_by_client_id(
        self, user_id: int, client_order_id: str
    ) -> tuple[Order, str] | None:
        """The user's order with this client order id and its symbol, its row locked."""
        statement = (
            select(Order, Instrument.symbol)
            .join(Instrument, Instrument.id == Order.instrument_id)
            .where(Order.user_id == user_id, Order.client_order_id == client_order_id)
            .with_for_update(of=Order)
            .execution_options(populate_existing=True)
        )
        found = (await self.session.execute(statement)).first()
        return None if found is None else (found[0], found[1])

    async def by_client_ids(self, user_id: int, client_order_ids: Sequence[str]) -> Sequence[Order]:
        """The user's orders with any of these client order ids."""
        statement = select(Order).where(
            Order.user_id == user_id, Order.client_order_id.in_(client_order_ids)
        )
        return list(await self.session.scalars(statement))

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

    async def children(self, parent_order_id: int) -> Sequence[Order]:
        """The orders attached to ``parent_order_id`` (a bracket's exits), oldest first."""
        statement = select(Order).where(Order.parent_order_id == parent_order_id)
        return list(await self.session.scalars(statement.order_by(Order.id)))

    async def symbols(self, instrument_ids: Sequence[int]) -> dict[int, str]:
        """The symbol of each instrument id."""
        if not instrument_ids:
            return {}
        statement = select(Instrument.id, Instrument.symbol).where(
            Instrument.id.in_(set(instrument_ids))
        )
        return {row.id: row.symbol for row in await self.session.execute(statement)}
