"""Bollinger mean reversion: buy the return inside the lower band, sell at the middle."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from quantdesk.bars import Bars
from quantdesk.indicators.volatility import bbands
from quantdesk.strategies.base import Signals
from quantdesk.strategies.builtin._base import BandParameters, IndicatorStrategy
from quantdesk.strategies.crossings import crossings
from quantdesk.strategies.registry import register


class BollingerReversionParameters(BandParameters):
    """Bollinger bands and the band that takes profit."""

    exit_at: Literal["middle", "upper"] = Field(
        "middle",
        description="Close a long once the close reaches this band (a short: middle or lower)",
    )


@register
class BollingerReversion(IndicatorStrategy[BollingerReversionParameters]):
    """Buy when the close crosses back above the lower band; sell at the middle or upper band.

    Rules, on the close of bar *i*: enter long when the close crosses above the lower
    band (it was at or below it on bar *i-1*); exit while the close is at or above the
    middle band (``exit_at="middle"``) or the upper band (``"upper"``). Shorts mirror it:
    a cross back below the upper band opens one, a close at or below the middle (or the
    lower band) closes it. Warm-up: the bands have ``period - 1`` NaNs and a crossing
    needs two valid bars, so the first entry can come at bar ``period``.

    Example:
        >>> BollingerReversion(period=10).warmup
        10
    """

    name = "bollinger_reversion"
    Parameters = BollingerReversionParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``period``: the first bar with two valid band values."""
        return self.params.period

    def conditions(self, bars: Bars) -> Signals:
        """Cross the close with the outer bands; compare it with the exit band."""
        width = self.params.deviations
        bands = bbands(bars.close, self.params.period, width, width)
        entries = crossings(bars.close, bands.lower)[0]
        short_entries = crossings(bars.close, bands.upper)[1]
        if self.params.exit_at == "middle":
            long_target, short_target = bands.middle, bands.middle
        else:
            long_target, short_target = bands.upper, bands.lower
        return Signals(
            entries=entries,
            exits=bars.close >= long_target,
            short_entries=short_entries,
            short_exits=bars.close <= short_target,
        )
