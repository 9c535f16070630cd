"""MACD crossover: trade the MACD line crossing its signal line."""

from __future__ import annotations

from pydantic import Field, model_validator

from quantdesk.bars import Bars
from quantdesk.indicators.momentum import macd
from quantdesk.strategies.base import Signals
from quantdesk.strategies.builtin._base import AtrStops, IndicatorStrategy
from quantdesk.strategies.crossings import crossings
from quantdesk.strategies.registry import register


class MacdCrossParameters(AtrStops):
    """MACD periods; the fast EMA must be the shorter."""

    fast: int = Field(12, ge=2, le=10_000, description="Bars of the fast EMA")
    slow: int = Field(26, ge=3, le=10_000, description="Bars of the slow EMA")
    signal: int = Field(9, ge=1, le=10_000, description="Bars of the signal line's EMA")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdCrossParameters:
        if self.fast >= self.slow:
            raise ValueError(
                f"fast ({self.fast}) must be below slow ({self.slow}); swap them or shorten fast"
            )
        return self


@register
class MacdCross(IndicatorStrategy[MacdCrossParameters]):
    """Go long when the MACD line crosses above its signal line, leave when it crosses below.

    Rules, on the close of bar *i*: the MACD line is EMA(fast) - EMA(slow) of the close
    and the signal line its EMA(signal) (TA-Lib's MACD). A cross above enters long and
    closes a short; a cross below closes a long and, with shorts allowed, opens a short.
    Warm-up: all three lines start after ``slow + signal - 2`` NaNs, so the first
    crossing can come at bar ``slow + signal - 1``.

    Example:
        >>> MacdCross().warmup
        34
    """

    name = "macd_cross"
    Parameters = MacdCrossParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``slow + signal - 1``: the first bar with two valid MACD and signal values."""
        return self.params.slow + self.params.signal - 1

    def conditions(self, bars: Bars) -> Signals:
        """Cross the MACD line with its signal line."""
        lines = macd(bars.close, self.params.fast, self.params.slow, self.params.signal)
        up, down = crossings(lines.macd, lines.signal)
        return Signals(entries=up, exits=down, short_entries=down, short_exits=up)
