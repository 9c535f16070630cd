"""Translate trading values to and from ib_async's: contracts, orders, statuses, fills.

Pure functions, no connection: the adapter in :mod:`quantdesk.brokers.ib` uses them, and
tests check each mapping on its own.

Symbols name their contract:

* ``AAPL`` is a stock routed through ``SMART`` in the account currency;
* ``EUR.USD`` (or ``EUR/USD``) is a currency pair on ``IDEALPRO``;
* ``ES@CME:202512`` is a future: root, exchange and contract month.
"""

from __future__ import annotations

from datetime import datetime

import ib_async

from quantdesk.errors import ValidationError
from quantdesk.trading.money import as_decimal, quantize
from quantdesk.trading.orders import Fill, Order, OrderStatus, OrderType, Side

_STATUS: dict[str, OrderStatus | None] = {
    "PendingSubmit": None,
    "ApiPending": None,
    "ApiUpdate": None,
    "ValidationError": None,
    "PendingCancel": None,
    "PreSubmitted": OrderStatus.ACCEPTED,
    "Submitted": OrderStatus.ACCEPTED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELLED,
    "ApiCancelled": OrderStatus.CANCELLED,
    "Inactive": OrderStatus.REJECTED,
}
"""IB's order statuses and ours; None means "no news for the order's life" (still pending)."""

_TYPES = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.STOP: "STP",
    OrderType.STOP_LIMIT: "STP LMT",
    OrderType.TRAILING_STOP: "TRAIL",
}
OCA_CANCEL_WITH_BLOCK = 1
"""IB's OCA type 1: a fill of one member cancels the others, as the paper broker does."""


def contract_for(symbol: str, currency: str = "USD") -> ib_async.Contract:
    """Return the unqualified IB contract a QuantDesk symbol names (see the module doc)."""
    if "@" in symbol:
        root, _, rest = symbol.partition("@")
        exchange, _, month = rest.partition(":")
        if not (root and exchange and month):
            raise ValidationError(
                f"future symbol {symbol!r} must read ROOT@EXCHANGE:YYYYMM, e.g. ES@CME:202512"
            )
        return ib_async.Future(root, month, exchange, currency=currency)
    if len(symbol) == 7 and symbol[3] in "./":
        return ib_async.Forex(symbol[:3] + symbol[4:])
    return ib_async.Stock(symbol, "SMART", currency)


def ib_order_of(order: Order, *, account: str = "", parent_id: int = 0) -> ib_async.Order:
    """Return the IB order for ``order``; ``orderRef`` carries the client order id."""
    ib_order = ib_async.Order(
        action="BUY" if order.side is Side.BUY else "SELL",
        totalQuantity=float(order.quantity),
        orderType=_TYPES[order.type],
        tif=order.time_in_force.value,
        orderRef=order.client_order_id,
        account=account,
        parentId=parent_id,
    )
    if order.limit_price is not None:
        ib_order.lmtPrice = float(order.limit_price)
    if order.stop_price is not None:
        ib_order.auxPrice = float(order.stop_price)
    if order.trail_amount is not None:
        ib_order.auxPrice = float(order.trail_amount)
    if order.trail_percent is not None:
        ib_order.trailingPercent = float(order.trail_percent * 100)
    if order.oco_group is not None:
        ib_order.ocaGroup, ib_order.ocaType = order.oco_group, OCA_CANCEL_WITH_BLOCK
    return ib_order


def status_of(ib_status: str, filled: float, *, accepted: bool) -> OrderStatus | None:
    """Return our status for IB's, or None while IB has nothing final to say.

    IB reports a rejection as ``Cancelled`` (or ``Inactive``) before any acceptance; after
    acceptance ``Inactive`` means the order was taken off the market, so it is cancelled.
    A ``Submitted`` order with fills is partially filled.
    """
    if ib_status not in _STATUS:
        raise ValidationError(f"unknown IB order status {ib_status!r}; map it in ib_mapping")
    status = _STATUS[ib_status]
    if status is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    if status is OrderStatus.CANCELLED and not accepted and filled == 0:
        return OrderStatus.REJECTED
    if status is OrderStatus.REJECTED and accepted:
        return OrderStatus.CANCELLED
    return status


def fill_of(
    execution: ib_async.Execution,
    client_order_id: str,
    symbol: str,
    commission: float,
    at: datetime,
) -> Fill:
    """Return the fill of an IB execution; ``execId`` is its fill id, so a repeat counts once."""
    side = Side.BUY if execution.side == "BOT" else Side.SELL
    return Fill(
        fill_id=execution.execId,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        quantity=as_decimal(execution.shares),
        price=quantize(as_decimal(execution.price)),
        at=at,
        commission=as_decimal(max(commission, 0.0)),
        liquidity=str(execution.lastLiquidity) if execution.lastLiquidity else None,
    )


def symbol_of(contract: ib_async.Contract) -> str:
    """Return the QuantDesk symbol of an IB contract (the inverse of :func:`contract_for`)."""
    if contract.secType == "CASH":
        return f"{contract.symbol}.{contract.currency}"
    if contract.secType == "FUT":
        return f"{contract.symbol}@{contract.exchange}:{contract.lastTradeDateOrContractMonth}"
    return contract.symbol
