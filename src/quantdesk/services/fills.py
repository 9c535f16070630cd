"""Broker events into the books: status updates and fills, each counted once.

A fill is stored against its order under the broker's fill id; the same id again changes
nothing. A new fill moves the order, its position and trade, and the account's P&L
snapshot, in the caller's transaction, with an event for each.
"""

from __future__ import annotations

import structlog

from quantdesk.db.engine import lock_for_writing
from quantdesk.db.models import Order as OrderRow
from quantdesk.db.models import Position as PositionRow
from quantdesk.db.repositories.fills import FillRepository
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.ports.broker import BrokerEvent
from quantdesk.services import bracket_exits, events
from quantdesk.services.context import ServiceContext
from quantdesk.services.order_records import apply_to_row, fill_row, order_payload, to_order
from quantdesk.services.orders import apply_update, changes
from quantdesk.services.pnl import record_snapshot
from quantdesk.services.positions import book_fill
from quantdesk.services.trading_metrics import FILLS_APPLIED
from quantdesk.trading.orders import Fill
from quantdesk.trading.state import Filled, IllegalTransitionError, transition

__all__ = ["OrderNotStoredError", "apply_broker_event", "apply_fill"]

logger = structlog.get_logger(__name__)


class OrderNotStoredError(LookupError):
    """A broker event names an order this user has not (yet) stored."""


async def apply_broker_event(ctx: ServiceContext, user_id: int, event: BrokerEvent) -> bool:
    """Apply one broker event for ``user_id``; return whether it changed anything.

    Raises:
        OrderNotStoredError: The event's order is not stored (its submit may not have
            committed yet); the caller may retry.
    """
    if event.fill is not None:
        await lock_for_writing(ctx.session)
        return await apply_fill(ctx, user_id, event.fill)
    if event.update is None:
        return False
    row, symbol = await _order(ctx, user_id, event.update.client_order_id)
    if not changes(row, symbol, event.update):
        return False  # most often the acknowledgement its submit has already stored
    await lock_for_writing(ctx.session)  # then read again: the submit may have just written
    row, symbol = await _order(ctx, user_id, event.update.client_order_id)
    return await apply_update(ctx, row, symbol, event.update)


async def _order(ctx: ServiceContext, user_id: int, client_order_id: str) -> tuple[OrderRow, str]:
    found = await OrderRepository(ctx.session).get_with_symbol_by_client_id(
        user_id, client_order_id
    )
    if found is None:
        raise OrderNotStoredError(client_order_id)
    return found


async def apply_fill(ctx: ServiceContext, user_id: int, fill: Fill) -> bool:
    """Book ``fill`` once: order, fill row, position, trade and P&L; False for a repeat."""
    row, symbol = await _order(ctx, user_id, fill.client_order_id)
    fills = FillRepository(ctx.session)
    if await fills.exists(row.id, fill.fill_id):
        return False
    try:
        order = transition(to_order(row, symbol), Filled(fill))
    except IllegalTransitionError as error:
        logger.warning("fill_refused", order_id=row.id, reason=error.message)
        return False
    apply_to_row(row, order)
    await fills.add(fill_row(row.id, fill))
    position = await book_fill(ctx, row, fill)
    await record_snapshot(ctx, user_id, row.mode, row.account, fill.at)
    FILLS_APPLIED.inc()
    events.publish(ctx, "orders", user_id, "order", order_payload(row, symbol))
    events.publish(ctx, "orders", user_id, "fill", _fill_payload(row, fill))
    events.publish(ctx, "positions", user_id, "position", _position_payload(position, symbol))
    await bracket_exits.after_exit_fill(ctx, row)
    return True


def _fill_payload(row: OrderRow, fill: Fill) -> dict[str, object]:
    return {
        "order_id": row.id,
        "client_order_id": fill.client_order_id,
        "fill_id": fill.fill_id,
        "symbol": fill.symbol,
        "side": str(fill.side),
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "commission": str(fill.commission),
        "at": fill.at.isoformat(),
    }


def _position_payload(position: PositionRow, symbol: str) -> dict[str, object]:
    return {
        "symbol": symbol,
        "mode": position.mode,
        "account": position.account,
        "quantity": str(position.quantity),
        "average_price": str(position.average_price),
        "realized_pnl": str(position.realized_pnl),
    }
