"""Trading costs: what a broker charges per order and how far a fill lands from the quote.

Commission is a fraction of the order's notional plus a fixed amount per order; a reversal
is two orders and pays the fixed amount twice. Slippage always works against the order:
a buy fills higher and a sell lower, by basis points of the price and/or whole ticks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantdesk.errors import ValidationError


def _non_negative(value: float, name: str, fix: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0.0:
        raise ValidationError(f"{name} must be a finite number of at least 0, got {value!r}; {fix}")
    return number


@dataclass(frozen=True, slots=True)
class Commission:
    """Fees per order: ``fraction`` x notional + ``fixed`` (in the account currency).

    Example: ``Commission(fraction=0.001, fixed=1.0)`` charges 0.1 % plus 1.00 per order.
    """

    fraction: float = 0.0
    fixed: float = 0.0

    def __post_init__(self) -> None:
        fraction = _non_negative(self.fraction, "commission fraction", "0.001 means 0.1 %")
        if fraction >= 1.0:
            raise ValidationError(
                f"commission fraction must be below 1, got {self.fraction!r}; 0.001 means 0.1 %"
            )
        object.__setattr__(self, "fraction", fraction)
        fixed = _non_negative(self.fixed, "commission fixed", "pass the fee per order")
        object.__setattr__(self, "fixed", fixed)


@dataclass(frozen=True, slots=True)
class Slippage:
    """Adverse fill offset: ``bps`` basis points of the price plus ``ticks`` x ``tick_size``.

    Example: ``Slippage(bps=5)`` buys at 1.0005 x price; ``Slippage(ticks=1, tick_size=0.01)``
    buys one cent above the price and sells one cent below it.
    """

    bps: float = 0.0
    ticks: float = 0.0
    tick_size: float = 0.0

    def __post_init__(self) -> None:
        bps = _non_negative(self.bps, "slippage bps", "5 means 0.05 % of the price")
        if bps >= 10_000.0:
            raise ValidationError(f"slippage bps must be below 10000, got {self.bps!r}")
        object.__setattr__(self, "bps", bps)
        ticks = _non_negative(self.ticks, "slippage ticks", "pass a whole number of ticks")
        tick_size = _non_negative(self.tick_size, "slippage tick_size", "pass the price step")
        if ticks > 0.0 and tick_size == 0.0:
            raise ValidationError("slippage ticks need a tick_size greater than 0, e.g. 0.01")
        object.__setattr__(self, "ticks", ticks)
        object.__setattr__(self, "tick_size", tick_size)

    @property
    def rate(self) -> float:
        """Return the proportional part as a fraction of the price."""
        return self.bps / 10_000.0

    @property
    def amount(self) -> float:
        """Return the absolute part in price units."""
        return self.ticks * self.tick_size


def as_commission(value: float | Commission) -> Commission:
    """Accept a bare number as a fraction of notional, so ``commission=0.001`` reads naturally."""
    if isinstance(value, Commission):
        return value
    return Commission(fraction=_number(value, "commission"))


def as_slippage(value: float | Slippage) -> Slippage:
    """Accept a bare number as basis points, so ``slippage=5`` means 0.05 %."""
    if isinstance(value, Slippage):
        return value
    return Slippage(bps=_number(value, "slippage"))


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number or a {name.title()}(...), got {value!r}")
    return float(value)
