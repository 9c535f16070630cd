"""Bollinger breakout: follow a close that breaks out of the bands."""

from __future__ import annotations

from quantdesk.bars import Bars
from quantdesk.indicators.volatility import bbands
from quantdesk.strategies.base import Signals
from quantdesk.strategies.builtin._base import BandParameters, IndicatorStrategy
from quantdesk.strategies.crossings import crossings
from quantdesk.strategies.registry import register


@register
class BollingerBreakout(IndicatorStrategy[BandParameters]):
    """Buy when the close breaks above the upper band; sell when it falls below the middle.

    Rules, on the close of bar *i*: enter long on the bar whose close crosses above the
    upper band (it was at or below it on bar *i-1*); exit while the close is below the
    middle band. Shorts mirror it: a close crossing below the lower band opens one, a
    close above the middle closes it. Warm-up: the bands have ``period - 1`` NaNs and a
    crossing needs two valid bars, so the first entry can come at bar ``period``.

    Example:
        >>> BollingerBreakout(period=50, deviations=2.5).warmup
        50
    """

    name = "bollinger_breakout"
    Parameters = BandParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``period``: the first bar with two valid band values."""
        return self.params.period

    def conditions(self, bars: Bars) -> Signals:
        """Cross the close with the outer bands; compare it with the middle band."""
        width = self.params.deviations
        bands = bbands(bars.close, self.params.period, width, width)
        return Signals(
            entries=crossings(bars.close, bands.upper)[0],
            exits=bars.close < bands.middle,
            short_entries=crossings(bars.close, bands.lower)[1],
            short_exits=bars.close > bands.middle,
        )
