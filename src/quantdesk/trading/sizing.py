"""Size an entry: by risk (hitting the stop loses a chosen fraction of equity), or all in."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from quantdesk.errors import ValidationError
from quantdesk.trading.fills import FillRules
from quantdesk.trading.money import SCALE, ZERO, as_decimal


def size_by_risk(
    equity: Decimal,
    entry: Decimal,
    stop: Decimal,
    risk_fraction: Decimal,
    lot_size: Decimal = Decimal(1),
) -> Decimal:
    """Return the quantity whose loss from ``entry`` to ``stop`` is ``risk_fraction`` of equity.

    The quantity is rounded down to whole lots, so the loss at the stop never exceeds the
    budget (before slippage and fees); zero means even one lot risks too much.

    Example: ``size_by_risk(Decimal(10_000), Decimal(100), Decimal(95), Decimal("0.01"))``
    is 20: 20 x 5 = 100, one per cent of 10,000.
    """
    if not ZERO < risk_fraction <= 1:
        raise ValidationError(
            f"risk_fraction must be above 0 and at most 1 (0.01 is 1 %), got {risk_fraction}"
        )
    if entry <= ZERO or stop <= ZERO or entry == stop:
        raise ValidationError(
            f"entry and stop must be positive and differ, got entry={entry} stop={stop}; "
            "pass the stop-loss level of the entry"
        )
    if lot_size <= ZERO:
        raise ValidationError(f"lot_size must be above 0, got {lot_size}")
    if equity <= ZERO:
        return ZERO
    lots = (equity * risk_fraction / abs(entry - stop) / lot_size).to_integral_value(
        rounding=ROUND_FLOOR
    )
    return lots * lot_size


def size_all_in(
    buying_power: Decimal,
    price: Decimal,
    rules: FillRules,
    lot_size: Decimal | None = None,
) -> Decimal:
    """Return the quantity that spends ``buying_power`` on one fill at ``price``, fees included.

    This is the backtest's ``AllIn`` in Decimal: (buying power - fixed fee) / (1 + fee
    fraction) / price, rounded down to whole lots when ``lot_size`` is given and to the ten
    places the database keeps otherwise, so the order never costs more than there is.

    Example: ``size_all_in(Decimal(1_000), Decimal(30), FillRules(), Decimal(1))`` is 33.
    """
    if price <= ZERO:
        raise ValidationError(f"price must be above 0, got {price}")
    if lot_size is not None and lot_size <= ZERO:
        raise ValidationError(f"lot_size must be above 0, got {lot_size}")
    fraction = as_decimal(rules.commission.fraction)
    fixed = as_decimal(rules.commission.fixed)
    quantity = (buying_power - fixed) / (1 + fraction) / price
    if quantity <= ZERO:
        return ZERO
    if lot_size is None:
        return quantity.quantize(SCALE, rounding=ROUND_FLOOR)
    return (quantity / lot_size).to_integral_value(rounding=ROUND_FLOOR) * lot_size
