"""A bracket's exits follow their orders in the books: OCO on a fill, and the entry's end.

The broker holds a bracket's exits and settles them itself (the paper broker and IB both
cancel the other exit when one fills, and the exits of an entry that ends unfilled). The
stored rows follow in the same transaction as the event that causes it, so nobody reads a
filled stop-loss beside a take-profit that still works while the broker's own
cancellation is on its way; that later update then changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from quantdesk.db.models import Order as OrderRow
from quantdesk.db.repositories.orders import OrderRepository
from quantdesk.services import events
from quantdesk.services.context import ServiceContext
from quantdesk.services.order_records import apply_to_row, order_payload, to_order
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import OrderStatus
from quantdesk.trading.state import Cancelled, IllegalTransitionError, transition

__all__ = ["EXIT_ROLES", "OCO_REASON", "after_entry_update", "after_exit_fill", "waits_for"]

EXIT_ROLES = ("stop_loss", "take_profit")
OCO_REASON = "oco"


async def after_exit_fill(ctx: ServiceContext, row: OrderRow) -> None:
    """Cancel the other working exits of a bracket once one of its exits has a fill."""
    if row.bracket not in EXIT_ROLES or row.parent_order_id is None:
        return
    for sibling in await OrderRepository(ctx.session).children(row.parent_order_id):
        if sibling.id != row.id:
            await _cancel(ctx, sibling, OCO_REASON)


async def after_entry_update(ctx: ServiceContext, row: OrderRow) -> None:
    """Bring the exits of an entry that ended short of filled along.

    An entry that filled nothing takes its exits with it; one cancelled or expired after a
    partial fill leaves them guarding what did fill, as the brokers do.
    """
    status = OrderStatus(row.status)
    if row.bracket != "entry" or not status.is_terminal or status is OrderStatus.FILLED:
        return
    for child in await OrderRepository(ctx.session).children(row.id):
        if not OrderStatus(child.status).is_working:
            continue
        if row.filled_quantity == ZERO:
            await _cancel(ctx, child, f"entry {status}")
        else:
            child.quantity = row.filled_quantity


async def waits_for(ctx: ServiceContext, row: OrderRow) -> str | None:
    """The client order id a bracket exit must wait for when it is sent (again) to a broker.

    That is its entry's while the entry may still fill; once the entry has filled the exit
    guards a position that exists and works on its own, and outside a bracket it is None.
    """
    if row.bracket not in EXIT_ROLES or row.parent_order_id is None:
        return None
    entry = await OrderRepository(ctx.session).get(row.parent_order_id)
    if entry is None or not OrderStatus(entry.status).is_working:
        return None
    return entry.client_order_id


async def _cancel(ctx: ServiceContext, row: OrderRow, reason: str) -> None:
    repository = OrderRepository(ctx.session)
    symbol = (await repository.symbols([row.instrument_id]))[row.instrument_id]
    try:
        order = transition(to_order(row, symbol), Cancelled(at=datetime.now(UTC), reason=reason))
    except IllegalTransitionError:
        return
    apply_to_row(row, order)
    await repository.flush()
    events.publish(ctx, "orders", row.user_id, "order", order_payload(row, symbol))
