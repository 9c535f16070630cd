"""How many units an entry buys or sells.

Every rule is capped by buying power (``leverage`` x equity - the gross value of open
positions, fees included) and by ``max_position`` x equity per position; with
``whole_units`` the quantity is rounded down (:class:`StopRisk` also to its lot size). An
entry whose quantity comes out as zero is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantdesk.backtest import _layout
from quantdesk.errors import ValidationError


def _positive(value: float, name: str, example: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ValidationError(f"{name} must be a finite number above 0, got {value!r}; {example}")
    return number


@dataclass(frozen=True, slots=True)
class AllIn:
    """Spend all buying power on each entry, net of fees (vectorbt's ``size=np.inf``)."""

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.ALL_IN, 0.0, 0.0


@dataclass(frozen=True, slots=True)
class EquityFraction:
    """Spend ``fraction`` of current equity, fees included, on each entry."""

    fraction: float

    def __post_init__(self) -> None:
        _positive(self.fraction, "EquityFraction.fraction", "0.5 spends half the equity")

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.EQUITY_FRACTION, float(self.fraction), 0.0


@dataclass(frozen=True, slots=True)
class FixedQuantity:
    """Trade ``quantity`` units on each entry."""

    quantity: float

    def __post_init__(self) -> None:
        _positive(self.quantity, "FixedQuantity.quantity", "10 trades ten units")

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.FIXED_QUANTITY, float(self.quantity), 0.0


@dataclass(frozen=True, slots=True)
class FixedCash:
    """Trade ``cash`` worth of units (notional, before fees) on each entry."""

    cash: float

    def __post_init__(self) -> None:
        _positive(self.cash, "FixedCash.cash", "1000 buys 1000 worth of units")

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.FIXED_CASH, float(self.cash), 0.0


@dataclass(frozen=True, slots=True)
class VolatilityTarget:
    """Risk ``risk`` x equity on a move of ``atr_multiple`` x ATR(``atr_period``).

    Quantity = risk x equity / (atr_multiple x ATR at the signal bar), so calm markets get
    larger positions than stormy ones. No entry happens while the ATR is still warming up.
    """

    risk: float = 0.01
    atr_period: int = 14
    atr_multiple: float = 2.0

    def __post_init__(self) -> None:
        _positive(self.risk, "VolatilityTarget.risk", "0.01 risks 1 % of equity")
        _positive(self.atr_multiple, "VolatilityTarget.atr_multiple", "2 means two ATRs")
        if isinstance(self.atr_period, bool) or int(self.atr_period) != self.atr_period:
            raise ValidationError(
                f"VolatilityTarget.atr_period must be a whole number, got {self.atr_period!r}"
            )
        if self.atr_period < 1:
            raise ValidationError(
                f"VolatilityTarget.atr_period must be at least 1, got {self.atr_period}"
            )

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.VOLATILITY_TARGET, float(self.risk), float(self.atr_multiple)


@dataclass(frozen=True, slots=True)
class StopRisk:
    """Lose ``fraction`` of equity if the entry's stop is hit: the deployments' risk sizing.

    Quantity = floor(fraction x equity / |close - stop| / lot_size) x lot_size, where
    *close* is the signal bar's close (the last price a live deployment knows when its order
    goes out, so a replay sizes as the deployment did) and *stop* is the stop-loss level the
    engine gives the entry: the strategy's ``stop_loss`` at the signal bar, else the
    ``stop_loss`` option's fraction of the fill price. An entry without a stop, or whose stop
    is not on the losing side of the close, is skipped, as a deployment refuses it.
    Slippage and fees come on top of the fraction.

    Example:
        >>> StopRisk(0.01).code()  # 1 % of equity at the stop, whole units
        (5, 0.01, 1.0)
    """

    fraction: float
    lot_size: float = 1.0

    def __post_init__(self) -> None:
        fraction = _positive(self.fraction, "StopRisk.fraction", "0.01 risks 1 % of equity")
        if fraction > 1.0:
            raise ValidationError(
                f"StopRisk.fraction must be at most 1 (0.01 is 1 %), got {self.fraction!r}"
            )
        _positive(self.lot_size, "StopRisk.lot_size", "1 trades whole units, 0.001 thousandths")

    def code(self) -> tuple[int, float, float]:
        """Return (mode, value, multiple) for the kernel."""
        return _layout.STOP_RISK, float(self.fraction), float(self.lot_size)


Sizing = AllIn | EquityFraction | FixedQuantity | FixedCash | VolatilityTarget | StopRisk
