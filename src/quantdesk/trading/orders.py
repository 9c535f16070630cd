"""Orders as immutable values: types, sides, time in force, statuses, fills and brackets.

An :class:`Order` maps field by field onto the ``orders`` table (the service converts
``symbol`` to an instrument id and ``history`` to ``status_history``); a :class:`Fill` maps
onto ``fills``. Values are checked when built, so an order that exists is well formed:
a limit order has a limit price, a trailing stop has exactly one trail, quantities are
positive. Orders change only through :func:`quantdesk.trading.state.transition`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from quantdesk.errors import ValidationError
from quantdesk.trading.money import ZERO


class Side(StrEnum):
    """Direction of an order; a sell without a long position opens a short."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """Return +1 for a buy and -1 for a sell, the sign of the position change."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """Return the side that closes a position this side opened."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """How an order meets the market; see docs/trading.md for each one's fill rule."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"
    TRAILING_STOP = "trailing_stop"


class TimeInForce(StrEnum):
    """How long an order rests: the session, until cancelled, or not at all."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Where an order is in its life; ``unknown`` is a submit whose answer never came."""

    NEW = "new"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """Return whether no further transition can leave this status."""
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        """Return whether the order may still fill (it counts as an open order)."""
        return self in _WORKING


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
_WORKING = frozenset(
    {OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN}
)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One change of status: when, from what, to what, and why."""

    at: datetime
    from_status: OrderStatus
    to_status: OrderStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of ``quantity`` at ``price``; ``fill_id`` makes it count only once.

    ``commission`` is the fee in the account currency. Maps onto the ``fills`` table
    (``fill_id`` is ``broker_fill_id``, ``at`` is ``executed_at``).
    """

    fill_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    at: datetime
    commission: Decimal = ZERO
    liquidity: str | None = None

    def __post_init__(self) -> None:
        _positive(self.quantity, f"fill {self.fill_id} quantity")
        _positive(self.price, f"fill {self.fill_id} price")
        if not isinstance(self.commission, Decimal) or self.commission < ZERO:
            raise ValidationError(
                f"fill {self.fill_id} commission must be a Decimal of at least 0, "
                f"got {self.commission!r}"
            )

    @property
    def value(self) -> Decimal:
        """Return quantity x price, the cash the fill moves before fees."""
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class Order:
    """An order and its state; build it with keywords, change it with ``transition``.

    Example::

        Order(client_order_id="a1", symbol="AAPL", side=Side.BUY, quantity=Decimal(10),
              type=OrderType.LIMIT, limit_price=Decimal("189.50"))
    """

    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    status: OrderStatus = OrderStatus.NEW
    filled_quantity: Decimal = ZERO
    average_fill_price: Decimal | None = None
    parent_client_order_id: str | None = None
    oco_group: str | None = None
    broker_order_id: str | None = None
    reason: str | None = None
    rejection_reason: str | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    filled_at: datetime | None = None
    cancelled_at: datetime | None = None
    fill_ids: frozenset[str] = field(default_factory=frozenset)
    history: tuple[OrderEvent, ...] = ()

    def __post_init__(self) -> None:
        if not self.client_order_id or len(self.client_order_id) > 64:
            raise ValidationError(
                f"client_order_id must be 1 to 64 characters, got {self.client_order_id!r}"
            )
        _positive(self.quantity, "quantity")
        for name in ("limit_price", "stop_price", "trail_amount", "trail_percent"):
            value = getattr(self, name)
            if value is not None:
                _positive(value, name)
        _check_prices(self)

    @property
    def remaining(self) -> Decimal:
        """Return the quantity still to fill."""
        return self.quantity - self.filled_quantity

    @property
    def is_working(self) -> bool:
        """Return whether the order may still fill."""
        return self.status.is_working

    @property
    def reference_price(self) -> Decimal | None:
        """Return the price the order names (limit, else stop), or None for a market order."""
        return self.limit_price if self.limit_price is not None else self.stop_price


_NEEDS = {
    OrderType.MARKET: (),
    OrderType.LIMIT: ("limit_price",),
    OrderType.STOP: ("stop_price",),
    OrderType.STOP_LIMIT: ("stop_price", "limit_price"),
    OrderType.TRAILING_STOP: (),
}


def _check_prices(order: Order) -> None:
    for name in _NEEDS[order.type]:
        if getattr(order, name) is None:
            raise ValidationError(f"a {order.type} order needs {name}; set it or change type")
    if order.type is OrderType.TRAILING_STOP:
        if (order.trail_amount is None) == (order.trail_percent is None):
            raise ValidationError(
                "a trailing_stop order needs exactly one of trail_amount (price units) "
                "or trail_percent (0.02 is 2 %)"
            )
        if order.trail_percent is not None and order.trail_percent >= 1:
            raise ValidationError(
                f"trail_percent must be below 1 (0.02 is 2 %), got {order.trail_percent}"
            )
    elif order.type is OrderType.MARKET and order.reference_price is not None:
        raise ValidationError("a market order takes no limit_price or stop_price; remove them")


def _positive(value: object, name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= ZERO:
        raise ValidationError(f"{name} must be a Decimal above 0, got {value!r}")


MAX_BRACKET_ID_LENGTH = 61
"""The longest client order id of a bracket entry, so that its children's ids fit 64."""


@dataclass(frozen=True, slots=True)
class Bracket:
    """An entry with a stop-loss child, a take-profit child, or both, that cancel each other.

    The children sell what a buy entry bought (or buy back a short), share the OCO group
    named after the entry, and go to the market only once the entry fills; when one child
    fills, :meth:`sibling` names the order to cancel.
    """

    entry: Order
    stop_loss: Order | None = None
    take_profit: Order | None = None

    @classmethod
    def build(
        cls,
        entry: Order,
        *,
        stop_price: Decimal | None = None,
        take_profit_price: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> Bracket:
        """Return the bracket of ``entry``, its children ``<id>:sl`` and ``<id>:tp``.

        Give ``stop_price``, ``take_profit_price`` or both; a level left out has no child.
        """
        if stop_price is None and take_profit_price is None:
            raise ValidationError("a bracket needs a stop_price, a take_profit_price or both")
        _check_levels(entry, stop_price, take_profit_price)
        if len(entry.client_order_id) > MAX_BRACKET_ID_LENGTH:
            raise ValidationError(
                f"a bracket entry's client_order_id must be at most {MAX_BRACKET_ID_LENGTH} "
                f"characters (children add ':sl' and ':tp'), got {len(entry.client_order_id)}"
            )
        stop = target = None
        if stop_price is not None:
            stop = _child(entry, "sl", time_in_force, OrderType.STOP, stop_price=stop_price)
        if take_profit_price is not None:
            target = _child(
                entry, "tp", time_in_force, OrderType.LIMIT, limit_price=take_profit_price
            )
        return cls(entry=entry, stop_loss=stop, take_profit=target)

    @property
    def children(self) -> tuple[Order, ...]:
        """Return the stop-loss and the take-profit orders that exist, in that order."""
        return tuple(child for child in (self.stop_loss, self.take_profit) if child is not None)

    def sibling(self, client_order_id: str) -> Order | None:
        """Return the child to cancel when the child ``client_order_id`` fills (None if alone)."""
        children = self.children
        if client_order_id not in {child.client_order_id for child in children}:
            raise ValidationError(
                f"{client_order_id!r} is not a child of bracket {self.entry.client_order_id!r}; "
                f"its children are {', '.join(repr(c.client_order_id) for c in children)}"
            )
        return next((c for c in children if c.client_order_id != client_order_id), None)


def _child(
    entry: Order,
    suffix: str,
    time_in_force: TimeInForce,
    type_: OrderType,
    *,
    stop_price: Decimal | None = None,
    limit_price: Decimal | None = None,
) -> Order:
    return Order(
        client_order_id=f"{entry.client_order_id}:{suffix}",
        symbol=entry.symbol,
        side=entry.side.opposite,
        quantity=entry.quantity,
        type=type_,
        time_in_force=time_in_force,
        stop_price=stop_price,
        limit_price=limit_price,
        parent_client_order_id=entry.client_order_id,
        oco_group=entry.client_order_id,
        created_at=entry.created_at,
    )


def _check_levels(entry: Order, stop: Decimal | None, target: Decimal | None) -> None:
    if stop is not None:
        _positive(stop, "bracket stop_price")
    if target is not None:
        _positive(target, "bracket take_profit_price")
    reference = entry.reference_price
    # a long's stop sits below its entry and its target above; a short's the other way round
    levels = (stop, reference, target) if entry.side is Side.BUY else (target, reference, stop)
    known = [level for level in levels if level is not None]
    if any(low >= high for low, high in itertools.pairwise(known)):
        order = (
            "stop < entry < take profit" if entry.side is Side.BUY else "take profit < entry < stop"
        )
        raise ValidationError(
            f"bracket levels of {entry.client_order_id!r} must satisfy {order} for a "
            f"{entry.side}; got stop_price={stop}, entry={reference}, take_profit_price={target}"
        )
