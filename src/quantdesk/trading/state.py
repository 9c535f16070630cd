"""The one order state machine: every change of an order goes through :func:`transition`.

::

    new ──► accepted ──► partially_filled ──► filled
     │  │      │  │             │  ▲ │
     │  │      │  └──► expired ◄┘  └─┘ (more partial fills)
     │  │      └─────► cancelled ◄┘
     │  └──► rejected
     └──► unknown (submit timed out) ──► whatever reconciliation finds at the broker

A broker's answer arrives as an event (:class:`Accepted`, :class:`Filled`, ...); the
transition returns a new :class:`~quantdesk.trading.orders.Order` with an
:class:`~quantdesk.trading.orders.OrderEvent` appended to its history, or raises
:class:`IllegalTransitionError`. A fill whose id the order has already seen returns the
order unchanged, so a fill reported twice counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from quantdesk.errors import ConflictError
from quantdesk.trading.money import quantize
from quantdesk.trading.orders import Fill, Order, OrderEvent, OrderStatus, TimeInForce

_S = OrderStatus
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.NEW: frozenset({_S.ACCEPTED, _S.REJECTED, _S.CANCELLED, _S.UNKNOWN}),
    _S.ACCEPTED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.PARTIALLY_FILLED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}),
    _S.UNKNOWN: frozenset(
        {_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.REJECTED, _S.EXPIRED}
    ),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}
"""Each status and the statuses it may move to; terminal statuses lead nowhere."""


class IllegalTransitionError(ConflictError):
    """An event does not fit the order's status (or would overfill it); the order is unchanged."""

    code = "illegal_transition"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The broker took the order; it now works in the market."""

    at: datetime
    broker_order_id: str | None = None
    reason: str = "accepted by the broker"


@dataclass(frozen=True, slots=True)
class Filled:
    """The broker executed part or all of the order."""

    fill: Fill
    reason: str = "fill"

    @property
    def at(self) -> datetime:
        """Return the execution time."""
        return self.fill.at


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The order was cancelled (by the user, a kill switch, an OCO sibling, IOC leftovers)."""

    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The broker or the risk checks refused the order."""

    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Expired:
    """The order's time in force ran out (DAY at the session's end)."""

    at: datetime
    reason: str = "time in force ended"


@dataclass(frozen=True, slots=True)
class TimedOut:
    """A submit got no answer: the order is ``unknown`` until reconciliation settles it."""

    at: datetime
    reason: str = "broker did not answer the submit"


Event = Accepted | Filled | Cancelled | Rejected | Expired | TimedOut

_TARGET: dict[type, OrderStatus] = {
    Accepted: _S.ACCEPTED,
    Cancelled: _S.CANCELLED,
    Rejected: _S.REJECTED,
    Expired: _S.EXPIRED,
    TimedOut: _S.UNKNOWN,
}


def transition(order: Order, event: Event) -> Order:
    """Return ``order`` after ``event``, with the change recorded in its history.

    Raises:
        IllegalTransitionError: the event cannot happen in the order's status, or a fill
            exceeds the remaining quantity, or a fill-or-kill order would fill partly.

    Example::

        order = transition(order, Accepted(at=now, broker_order_id="B1"))
    """
    if isinstance(event, Filled):
        return _apply_fill(order, event)
    target = _TARGET[type(event)]
    _check(order, target)
    record = OrderEvent(event.at, order.status, target, event.reason)
    history = (*order.history, record)
    if isinstance(event, Accepted):
        broker_id = event.broker_order_id or order.broker_order_id
        submitted = order.submitted_at or event.at
        return replace(
            order, status=target, broker_order_id=broker_id, submitted_at=submitted, history=history
        )
    if isinstance(event, Rejected):
        return replace(order, status=target, rejection_reason=event.reason, history=history)
    if isinstance(event, Cancelled | Expired):
        return replace(
            order, status=target, reason=event.reason, cancelled_at=event.at, history=history
        )
    return replace(order, status=target, history=history)


def _check(order: Order, target: OrderStatus) -> None:
    if target not in ALLOWED[order.status]:
        allowed = ", ".join(sorted(ALLOWED[order.status])) or "nothing (it is final)"
        raise IllegalTransitionError(
            f"order {order.client_order_id} cannot go from {order.status} to {target}; "
            f"from {order.status} it can go to {allowed}",
            details={"client_order_id": order.client_order_id, "from": order.status, "to": target},
        )


def _apply_fill(order: Order, event: Filled) -> Order:
    fill = event.fill
    if fill.fill_id in order.fill_ids:
        return order
    _check_fill(order, fill)
    filled = order.filled_quantity + fill.quantity
    target = _S.FILLED if filled == order.quantity else _S.PARTIALLY_FILLED
    _check(order, target)
    if target is _S.PARTIALLY_FILLED and order.time_in_force is TimeInForce.FOK:
        raise _fill_error(order, fill, "a fill-or-kill order fills in full or not at all")
    return replace(
        order,
        status=target,
        filled_quantity=filled,
        average_fill_price=_average(order, fill, filled),
        filled_at=fill.at if target is _S.FILLED else order.filled_at,
        fill_ids=order.fill_ids | {fill.fill_id},
        history=(*order.history, OrderEvent(fill.at, order.status, target, event.reason)),
    )


def _check_fill(order: Order, fill: Fill) -> None:
    if (fill.client_order_id, fill.symbol, fill.side) != (
        order.client_order_id,
        order.symbol,
        order.side,
    ):
        raise _fill_error(
            order,
            fill,
            f"it is for {fill.client_order_id} {fill.side} {fill.symbol}, "
            f"not {order.client_order_id} {order.side} {order.symbol}",
        )
    if fill.quantity > order.remaining:
        raise _fill_error(
            order, fill, f"its quantity {fill.quantity} exceeds the remaining {order.remaining}"
        )


def _fill_error(order: Order, fill: Fill, why: str) -> IllegalTransitionError:
    return IllegalTransitionError(
        f"fill {fill.fill_id} cannot apply to order {order.client_order_id}: {why}",
        details={"client_order_id": order.client_order_id, "fill_id": fill.fill_id},
    )


def _average(order: Order, fill: Fill, filled: Decimal) -> Decimal:
    if order.average_fill_price is None:
        return fill.price
    return quantize((order.average_fill_price * order.filled_quantity + fill.value) / filled)
