"""Fill rules for live and paper orders: the backtest engine's own rules, in Decimal.

The prices come from the engine's compiled rules themselves (``_fill_price`` for
slippage, ``_exit_level`` for stops, targets, trailing stops and the intrabar policy), so a
paper broker that matches orders with this module fills where a backtest would. Conventions:

* A market order fills at the bar's open: the first price after it was placed (the
  engine's next-open rule).
* A sell stop is a long's stop-loss and a buy stop a short's; a limit order is a take-profit.
  A gap through the level fills at the open, a touch within the bar at the level.
* A trailing stop follows ``extreme``, the best price since it was placed up to the previous
  bar (:func:`next_extreme`), and this bar's open, as the engine's trailing stop does.
* A stop-limit triggers like a stop; it fills at the trigger price when that is within the
  limit, at the limit when the bar reaches it after the trigger, and otherwise rests as a
  limit order (:func:`as_triggered`).
* Slippage (bps and ticks) worsens every fill, limits included, as in the engine;
  commission is a fraction of the fill's value plus a fixed amount per fill.

Bar prices are floats and enter as ``Decimal`` through their shortest text
(:func:`~quantdesk.trading.money.as_decimal`); fill prices are the engine's float results
converted the same way and rounded to the ten places the database keeps, so
``quantize(Decimal(str(engine_price))) == fill.price``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
from numba import njit

from quantdesk.backtest import _layout
from quantdesk.backtest._fills import _fill_price
from quantdesk.backtest._stops import _exit_level
from quantdesk.backtest.costs import Commission, Slippage
from quantdesk.backtest.options import IntrabarPolicy
from quantdesk.errors import ValidationError
from quantdesk.trading.money import as_decimal, quantize
from quantdesk.trading.orders import Order, OrderType, Side

_POLICY = {"pessimistic": _layout.PESSIMISTIC, "optimistic": _layout.OPTIMISTIC}
_POLICY["ohlc_path"] = _layout.OHLC_PATH
_REASONS = _layout.EXIT_REASONS


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar's open, high, low and close as exact decimals."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal

    @classmethod
    def of(cls, open_: float, high: float, low: float, close: float) -> Bar:
        """Build a bar from float prices through their shortest text."""
        return cls(as_decimal(open_), as_decimal(high), as_decimal(low), as_decimal(close))


@dataclass(frozen=True, slots=True)
class FillRules:
    """Costs and the intrabar policy, the same types and names the backtest options use."""

    commission: Commission = field(default_factory=Commission)
    slippage: Slippage = field(default_factory=Slippage)
    intrabar: IntrabarPolicy = "pessimistic"

    def __post_init__(self) -> None:
        if self.intrabar not in _POLICY:
            raise ValidationError(
                f"intrabar must be one of {', '.join(_POLICY)}, got {self.intrabar!r}"
            )

    def fees(self, quantity: Decimal, price: Decimal) -> Decimal:
        """Return the commission of one fill: fraction x value + fixed."""
        fraction = as_decimal(self.commission.fraction)
        return quantity * price * fraction + as_decimal(self.commission.fixed)


@dataclass(frozen=True, slots=True)
class BarFill:
    """Where an order fills on a bar and by which rule.

    ``reason`` is ``market``, ``limit``, ``stop``, ``stop_loss``, ``take_profit`` or
    ``trailing_stop``; ``ambiguous`` means the bar touched both a stop and a target and the
    intrabar policy chose.
    """

    price: Decimal
    reason: str
    ambiguous: bool = False


@njit(cache=True, nogil=True)
def _levels_kernel(
    bar: tuple[float, float, float, float],
    position: float,
    levels: tuple[float, float, float, float],
    costs: tuple[float, float, float],
) -> tuple[int, float, bool]:
    # one symbol's state and config, so the engine's own helpers decide and price the exit
    cfg = np.zeros(_layout.CONFIG_SIZE)
    cfg[_layout.TRAIL_FRACTION], cfg[_layout.POLICY] = levels[3], costs[0]
    cfg[_layout.SLIP_RATE], cfg[_layout.SLIP_AMOUNT] = costs[1], costs[2]
    state = np.zeros((1, _layout.STATE_SIZE))
    state[0, _layout.QTY] = position
    state[0, _layout.STOP], state[0, _layout.TARGET] = levels[0], levels[1]
    state[0, _layout.EXTREME] = levels[2]
    reason, raw, ambiguous = _exit_level(0, bar[0], bar[1], bar[2], bar[3], state, cfg)
    if reason == _layout.OPEN:
        return reason, math.nan, False
    return reason, _fill_price(raw, -position, cfg), ambiguous


@njit(cache=True, nogil=True)
def _slipped_kernel(price: float, side: float, rate: float, amount: float) -> float:
    cfg = np.zeros(_layout.CONFIG_SIZE)
    cfg[_layout.SLIP_RATE], cfg[_layout.SLIP_AMOUNT] = rate, amount
    return float(_fill_price(price, side, cfg))


def slipped(price: Decimal, side: Side, rules: FillRules) -> Decimal:
    """Return ``price`` worsened by the slippage for an order of ``side``."""
    rate, amount = rules.slippage.rate, rules.slippage.amount
    return quantize(as_decimal(_slipped_kernel(float(price), float(side.sign), rate, amount)))


def match_exit(
    position_side: Side,
    bar: Bar,
    rules: FillRules,
    *,
    stop: Decimal | None = None,
    target: Decimal | None = None,
    trail_fraction: Decimal | None = None,
    extreme: Decimal | None = None,
) -> BarFill | None:
    """Return the exit of a position on ``bar`` through its stop, target or trailing stop.

    This is the engine's level pass for one position: bracket children and the targets
    table use it. ``position_side`` is the side that opened the position; ``extreme`` (the
    best price since entry up to the previous bar) is needed with ``trail_fraction``.
    """
    if trail_fraction is not None and extreme is None:
        raise ValidationError("a trailing stop needs extreme, the best price since entry")
    levels = (_float(stop), _float(target), _float(extreme), _float(trail_fraction))
    costs = (_POLICY[rules.intrabar], rules.slippage.rate, rules.slippage.amount)
    prices = (float(bar.open), float(bar.high), float(bar.low), float(bar.close))
    reason, price, ambiguous = _levels_kernel(prices, float(position_side.sign), levels, costs)
    if reason == _layout.OPEN:
        return None
    return BarFill(quantize(as_decimal(price)), _REASONS[reason], bool(ambiguous))


def _float(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def match(
    order: Order, bar: Bar, rules: FillRules, *, extreme: Decimal | None = None
) -> BarFill | None:
    """Return where ``order`` fills on ``bar``, or None when it does not.

    ``extreme`` is the best price since a trailing stop was placed (see :func:`next_extreme`).

    Example::

        fill = match(order, Bar.of(100.0, 101.5, 99.0, 100.5), FillRules(slippage=Slippage(bps=5)))
    """
    return _MATCHERS[order.type](order, bar, rules, extreme)


def _market(order: Order, bar: Bar, rules: FillRules, extreme: Decimal | None) -> BarFill:
    return BarFill(slipped(bar.open, order.side, rules), "market")


def _limit(order: Order, bar: Bar, rules: FillRules, extreme: Decimal | None) -> BarFill | None:
    found = match_exit(order.side.opposite, bar, rules, target=order.limit_price)
    return None if found is None else BarFill(found.price, "limit")


def _stop(order: Order, bar: Bar, rules: FillRules, extreme: Decimal | None) -> BarFill | None:
    found = match_exit(order.side.opposite, bar, rules, stop=order.stop_price)
    return None if found is None else BarFill(found.price, "stop")


def _trailing(order: Order, bar: Bar, rules: FillRules, extreme: Decimal | None) -> BarFill | None:
    if extreme is None:
        raise ValidationError(
            f"trailing stop {order.client_order_id} needs extreme, the best price since it "
            "was placed; start it at the reference price and advance it with next_extreme"
        )
    position = order.side.opposite
    if order.trail_percent is not None:
        found = match_exit(
            position, bar, rules, trail_fraction=order.trail_percent, extreme=extreme
        )
    else:
        level = trailing_level(order, extreme, bar.open)
        found = match_exit(position, bar, rules, stop=level)
    return None if found is None else BarFill(found.price, "trailing_stop")


def _stop_limit(
    order: Order, bar: Bar, rules: FillRules, extreme: Decimal | None
) -> BarFill | None:
    trigger = _trigger_price(order, bar)
    if trigger is None:
        return None
    limit = _required(order.limit_price)
    sign = order.side.sign
    if sign * (trigger - limit) <= 0:
        return BarFill(slipped(trigger, order.side, rules), "stop_limit")
    reaches = bar.low <= limit if order.side is Side.BUY else bar.high >= limit
    return BarFill(slipped(limit, order.side, rules), "stop_limit") if reaches else None


def _trigger_price(order: Order, bar: Bar) -> Decimal | None:
    # the engine's stop rule before slippage: the open on a gap, the level on a touch
    stop, sign = _required(order.stop_price), order.side.sign
    if sign * (bar.open - stop) >= 0:
        return bar.open
    touched = bar.high >= stop if order.side is Side.BUY else bar.low <= stop
    return stop if touched else None


def is_triggered(order: Order, bar: Bar) -> bool:
    """Return whether a stop-limit order's stop was reached on ``bar``."""
    return order.type is OrderType.STOP_LIMIT and _trigger_price(order, bar) is not None


def as_triggered(order: Order) -> Order:
    """Return a triggered stop-limit order as the limit order it has become."""
    if order.type is not OrderType.STOP_LIMIT:
        raise ValidationError(f"order {order.client_order_id} is a {order.type}, not a stop_limit")
    return replace(order, type=OrderType.LIMIT)


def trailing_level(order: Order, extreme: Decimal, open_: Decimal | None = None) -> Decimal:
    """Return a trailing stop's level from the best price so far (and this bar's open)."""
    position = order.side.opposite.sign
    if open_ is not None:
        extreme = max(extreme, open_) if position > 0 else min(extreme, open_)
    if order.trail_percent is not None:
        return extreme * (1 - position * order.trail_percent)
    return extreme - position * _required(order.trail_amount)


def next_extreme(order: Order, extreme: Decimal, bar: Bar) -> Decimal:
    """Return the trailing stop's best price after ``bar`` (its high for a sell stop)."""
    if order.side is Side.SELL:
        return max(extreme, bar.high)
    return min(extreme, bar.low)


def _required(value: Decimal | None) -> Decimal:
    if value is None:
        raise ValidationError("the order lacks the price its type needs")
    return value


_Matcher = Callable[[Order, Bar, FillRules, Decimal | None], BarFill | None]
_MATCHERS: dict[OrderType, _Matcher] = {
    OrderType.MARKET: _market,
    OrderType.LIMIT: _limit,
    OrderType.STOP: _stop,
    OrderType.STOP_LIMIT: _stop_limit,
    OrderType.TRAILING_STOP: _trailing,
}
