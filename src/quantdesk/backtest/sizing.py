"""How many units an entry buys or sells.

Every rule is capped by buying power (``leverage`` x equity - the gross value of open
positions, fees included) and by ``max_position`` x equity per position; with
``whole_units`` the quantity is rounded down. An entry whose quantity comes out as zero
is skipped.
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


Sizing = AllIn | EquityFraction | FixedQuantity | FixedCash | VolatilityTarget
