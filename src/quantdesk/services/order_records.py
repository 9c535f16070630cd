"""Conversions between ``orders``/``fills`` rows and the trading library's values."""

from __future__ import annotations

from typing import Any

from quantdesk.db.models import Fill as FillRow
from quantdesk.db.models import Order as OrderRow
from quantdesk.trading.money import ZERO
from quantdesk.trading.orders import (
    Fill,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

__all__ = ["apply_to_row", "fill_row", "order_payload", "to_order"]


def to_order(row: OrderRow, symbol: str) -> Order:
    """The library order a row holds, so the state machine can move it."""
    return Order(
        client_order_id=row.client_order_id,
        symbol=symbol,
        side=Side(row.side),
        quantity=row.quantity,
        type=OrderType(row.type),
        time_in_force=TimeInForce(row.time_in_force),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        trail_amount=row.trail_amount,
        trail_percent=row.trail_percent,
        status=OrderStatus(row.status),
        filled_quantity=row.filled_quantity or ZERO,
        average_fill_price=row.average_fill_price,
        oco_group=row.oco_group,
        broker_order_id=row.broker_order_id,
        reason=row.reason,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        filled_at=row.filled_at,
        cancelled_at=row.cancelled_at,
    )


def apply_to_row(row: OrderRow, order: Order) -> None:
    """Copy the order's state onto its row, appending the history it gained."""
    row.status = str(order.status)
    row.filled_quantity = order.filled_quantity
    row.average_fill_price = order.average_fill_price
    row.broker_order_id = order.broker_order_id
    row.reason = order.reason
    row.rejection_reason = order.rejection_reason
    row.submitted_at = order.submitted_at
    row.filled_at = order.filled_at
    row.cancelled_at = order.cancelled_at
    row.status_history = [*(row.status_history or []), *map(_history, order.history)]


def _history(event: OrderEvent) -> dict[str, str]:
    return {"status": str(event.to_status), "at": event.at.isoformat(), "reason": event.reason}


def fill_row(order_id: int, fill: Fill) -> FillRow:
    """The row that stores ``fill`` against its order."""
    return FillRow(
        order_id=order_id,
        quantity=fill.quantity,
        price=fill.price,
        commission=fill.commission,
        liquidity=fill.liquidity,
        executed_at=fill.at,
        broker_fill_id=fill.fill_id,
    )


def order_payload(row: OrderRow, symbol: str) -> dict[str, Any]:
    """The order as a live event carries it."""
    return {
        "id": row.id,
        "client_order_id": row.client_order_id,
        "symbol": symbol,
        "side": row.side,
        "type": row.type,
        "quantity": str(row.quantity),
        "status": row.status,
        "filled_quantity": str(row.filled_quantity),
        "average_fill_price": None
        if row.average_fill_price is None
        else str(row.average_fill_price),
        "mode": row.mode,
    }
