"""Tick and lot checks: prices move in ticks and quantities in lots, or the broker refuses.

A ``None`` step (the ``instruments`` row has no tick or lot size) means any positive value
is fine. A value that misses the grid is refused with the two nearest valid values, so the
caller can round the way it prefers instead of the library guessing.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from quantdesk.errors import ValidationError
from quantdesk.trading.orders import Order


def _nearest(value: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    steps = value / step
    below = steps.to_integral_value(rounding=ROUND_FLOOR) * step
    above = steps.to_integral_value(rounding=ROUND_CEILING) * step
    return below, above


def _check_step(value: Decimal, step: Decimal | None, field: str, unit: str) -> None:
    if step is None or value % step == 0:
        return
    below, above = _nearest(value, step)
    raise ValidationError(
        f"{field} {value} is not a multiple of the {unit} {step}; "
        f"the nearest valid values are {below.normalize()} and {above.normalize()}",
        details={"field": field, "value": str(value), "step": str(step)},
    )


def check_price(price: Decimal, tick_size: Decimal | None, field: str = "price") -> None:
    """Raise ValidationError unless ``price`` is a whole number of ticks.

    Example: ``check_price(Decimal("100.015"), Decimal("0.01"), "limit_price")`` raises
    "limit_price 100.015 is not a multiple of the tick size 0.01; the nearest valid values
    are 100.01 and 100.02".
    """
    _check_step(price, tick_size, field, "tick size")


def check_quantity(quantity: Decimal, lot_size: Decimal | None, field: str = "quantity") -> None:
    """Raise ValidationError unless ``quantity`` is a whole number of lots."""
    _check_step(quantity, lot_size, field, "lot size")


def check_order_steps(order: Order, tick_size: Decimal | None, lot_size: Decimal | None) -> None:
    """Check an order's quantity against the lot and each of its prices against the tick."""
    check_quantity(order.quantity, lot_size)
    for field in ("limit_price", "stop_price", "trail_amount"):
        value = getattr(order, field)
        if value is not None:
            check_price(value, tick_size, field)
