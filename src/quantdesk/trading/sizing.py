"""Size an entry by risk: hitting the stop loses a chosen fraction of equity, no more."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from quantdesk.errors import ValidationError
from quantdesk.trading.money import ZERO


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
