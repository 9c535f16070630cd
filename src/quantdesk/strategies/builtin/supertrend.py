"""Supertrend: ride the trend the Supertrend line says, turn when it flips."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from quantdesk.bars import Bars
from quantdesk.indicators.trend import supertrend
from quantdesk.strategies.base import Signals
from quantdesk.strategies.builtin._base import AtrStops, IndicatorStrategy
from quantdesk.strategies.crossings import crossings
from quantdesk.strategies.registry import register


class SupertrendParameters(AtrStops):
    """Supertrend's ATR period and band multiplier."""

    period: int = Field(10, ge=1, le=10_000, description="Bars of the ATR behind the bands")
    multiplier: float = Field(
        3.0, gt=0, le=100, description="Band distance from the bar's midpoint, in ATRs"
    )


@register
class SupertrendStrategy(IndicatorStrategy[SupertrendParameters]):
    """Go long when the Supertrend direction flips up, leave when it flips down.

    Rules, on the close of bar *i*: the direction is +1 or -1 (Seban's Supertrend on
    ``hl2 ± multiplier x ATR(period)``); a change from -1 to +1 enters long and closes a
    short, a change from +1 to -1 closes a long and, with shorts allowed, opens a short.
    Warm-up: the direction has ``period`` NaNs and a flip needs two valid bars, so the
    first signal can come at bar ``period + 1``.

    Example:
        >>> SupertrendStrategy(period=7, multiplier=2.0).warmup
        8
    """

    name = "supertrend"
    Parameters = SupertrendParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``period + 1``: the first bar with two valid directions."""
        return self.params.period + 1

    def conditions(self, bars: Bars) -> Signals:
        """Mark the bars where the direction changes sign."""
        line = supertrend(
            bars.high, bars.low, bars.close, self.params.period, self.params.multiplier
        )
        up, down = crossings(line.direction, np.zeros(len(bars)))
        return Signals(entries=up, exits=down, short_entries=down, short_exits=up)
