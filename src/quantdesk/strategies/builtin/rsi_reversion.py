"""RSI mean reversion: buy the turn out of oversold, sell into overbought."""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from quantdesk.bars import Bars
from quantdesk.indicators.momentum import rsi
from quantdesk.strategies.base import BoolArray, FloatArray, Signals
from quantdesk.strategies.builtin._base import AtrStops, IndicatorStrategy
from quantdesk.strategies.crossings import crossings
from quantdesk.strategies.registry import register


class RsiReversionParameters(AtrStops):
    """RSI period and levels; lower < exit_level < upper."""

    period: int = Field(14, ge=2, le=10_000, description="Bars of the RSI")
    lower: float = Field(30.0, gt=0, lt=100, description="Oversold level the RSI must rise through")
    upper: float = Field(70.0, gt=0, lt=100, description="Overbought level that closes the trade")
    exit_level: float | None = Field(
        None,
        gt=0,
        lt=100,
        description="Close earlier, when the RSI rises through this level (shorts: 100 - it)",
    )

    @model_validator(mode="after")
    def _ordered_levels(self) -> RsiReversionParameters:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper}); swap them")
        if self.exit_level is not None and not self.lower < self.exit_level < self.upper:
            raise ValueError(
                f"exit_level ({self.exit_level}) must lie between lower ({self.lower}) "
                f"and upper ({self.upper}); leave it empty to exit at upper"
            )
        return self


@register
class RsiReversion(IndicatorStrategy[RsiReversionParameters]):
    """Buy when the RSI rises back through ``lower``; sell when it rises through ``upper``.

    Rules, on the close of bar *i*: enter long when RSI crosses above ``lower`` (30); exit
    when it crosses above ``upper`` (70) or, if set, above ``exit_level``. With shorts
    allowed the mirror image holds: a cross below ``upper`` opens a short, a cross below
    ``lower`` (or below ``100 - exit_level``) closes it. Warm-up: the RSI has ``period``
    NaNs and a crossing needs two valid bars, so the first signal can come at bar
    ``period + 1``. ``stop_atr``/``target_atr`` set levels from the signal bar's close.

    Example:
        >>> RsiReversion(period=10, lower=25).warmup
        11
    """

    name = "rsi_reversion"
    Parameters = RsiReversionParameters

    @property
    def indicator_warmup(self) -> int:
        """Return ``period + 1``: the first bar with two valid RSI values."""
        return self.params.period + 1

    def conditions(self, bars: Bars) -> Signals:
        """Cross the RSI with the levels: up through lower enters, up through upper exits."""
        value = rsi(bars.close, timeperiod=self.params.period)
        up_lower, down_lower = _cross(value, self.params.lower)
        up_upper, down_upper = _cross(value, self.params.upper)
        exits, short_exits = up_upper, down_lower
        if self.params.exit_level is not None:
            exits = exits | _cross(value, self.params.exit_level)[0]
            short_exits = short_exits | _cross(value, 100.0 - self.params.exit_level)[1]
        return Signals(
            entries=up_lower, exits=exits, short_entries=down_upper, short_exits=short_exits
        )


def _cross(values: FloatArray, level: float) -> tuple[BoolArray, BoolArray]:
    return crossings(values, np.full(values.shape[0], level))
